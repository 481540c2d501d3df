"""One KARE participant walked through the whole schedule through the API, as a coordinator
would: three infusions, seven sessions and two follow-ups, with what goes wrong in real life on
the way (a late infusion, a vitals breach, a late session, a serious adverse event, a missed
follow-up). The walk is recorded once per test; each test checks one thing it showed.

The coordinator may see the therapy factor but not the drug: every answer of the walk is also
checked for anything naming the drug level, and an outcome assessor (blinded to both) reads it all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pytest

from participants import blinding
from participants.models import DeviationKind
from tests.participants.conftest import mentions, values_in
from tests.participants.visits_fixtures import Clinic, client_for, infusion_body, vitals

pytestmark = pytest.mark.django_db

D = dt.timedelta
DRUG_WORDS = ("ketamine", "placebo", "saline", "sodium chloride")
ARM_CODES = ("KT", "KE", "PT", "PE")
# The day after randomisation (R+n) each event happened on. V2 is 3 days after its target (R+7),
# still inside its window; V8 is 5 days after its target (V7+7 = R+52), 2 days past its window.
DAYS = {"V2": 10, "V3": 17, "V4": 24, "V5": 31, "V6": 38, "V7": 45, "V8": 57, "V9": 91}
MISSED = {"V10": (182, "moved abroad, not reachable by phone")}
SESSIONS = {"V2": 1, "V3": 2, "V4": 3, "V5": 4, "V6": 5, "V7": 6, "V8": 7}
INFUSIONS = ("V2", "V4", "V6")


@dataclass
class Walk:
    participant: Any
    answers: list[tuple[str, int, Any]] = field(default_factory=list)  # (request, status, JSON)
    schedules: dict[str, dict[str, dict]] = field(default_factory=dict)  # moment -> event code -> appointment
    infusions: dict[str, dict] = field(default_factory=dict)
    sessions: dict[str, dict] = field(default_factory=dict)
    prompts: list[bool] = field(default_factory=list)  # adverse_event_prompt of V4's infusion, read over time
    sae: dict = field(default_factory=dict)
    deadlines: dict[str, list] = field(default_factory=dict)
    deviations: list[dict] = field(default_factory=list)


class Recorder:
    """A client that keeps every answer, and fails the walk on any it did not expect."""

    def __init__(self, client, walk: Walk):
        self.client, self.walk = client, walk

    def _call(self, method: str, url: str, body=None, expect: int = 200):
        response = getattr(self.client, method)(url, body, format="json") if body is not None else self.client.get(url)
        data = response.json()
        self.walk.answers.append((f"{method} {url}", response.status_code, data))
        assert response.status_code == expect, (method, url, data)
        return data

    def get(self, url: str):
        return self._call("get", url)

    def post(self, url: str, body: dict, expect: int = 201):
        return self._call("post", url, body, expect)


def _schedule(recorder: Recorder, participant) -> dict[str, dict]:
    rows = recorder.get(f"/api/participants/{participant.study_id}/appointments/?page_size=50")["results"]
    return {row["event_code"]: row for row in rows}


def _walk(clinic: Clinic) -> Walk:
    participant = clinic.randomised()
    walk = Walk(participant=participant)
    api = Recorder(client_for(clinic.coordinator), walk)
    day = lambda n: str(clinic.day(participant, n))  # noqa: E731
    walk.schedules["randomised"] = schedule = _schedule(api, participant)
    ids = {code: row["id"] for code, row in schedule.items()}

    for code, n in DAYS.items():
        api.post(f"/api/appointments/{ids[code]}/visit/", {"actual_date": day(n), "attended": True})
        if code == "V2":
            walk.schedules["after V2"] = _schedule(api, participant)
        if code in INFUSIONS:
            body = infusion_body(clinic.day(participant, n), weight="82.0")
            if code == "V4":
                body["vitals"] = vitals(systolic=192, heart_rate=118)
            walk.infusions[code] = api.post(f"/api/appointments/{ids[code]}/infusion/", body)
            if code == "V4":
                walk.prompts.append(walk.infusions[code]["adverse_event_prompt"])
                walk.prompts.append(api.get(f"/api/appointments/{ids[code]}/infusion/")["adverse_event_prompt"])
                api.post(
                    f"/api/participants/{participant.study_id}/adverse-events/",
                    {
                        "term": "Hypertension",
                        "onset_date": day(n),
                        "end_date": day(n),
                        "grade": 2,
                        "drug_causality": "probably",
                        "therapy_causality": "not_related",
                        "expected": True,
                        "action_taken": "infusion slowed",
                        "infusion_appointment": ids[code],
                    },
                )
                walk.prompts.append(api.get(f"/api/appointments/{ids[code]}/infusion/")["adverse_event_prompt"])
        if code in SESSIONS:
            walk.sessions[code] = api.post(
                f"/api/appointments/{ids[code]}/session/",
                {"session_number": SESSIONS[code], "attended": True, "minutes": 90},
            )

    for code, (n, reason) in MISSED.items():
        api.post(
            f"/api/appointments/{ids[code]}/visit/", {"actual_date": day(n), "attended": False, "missed_reason": reason}
        )

    walk.sae = api.post(
        f"/api/participants/{participant.study_id}/adverse-events/",
        {
            "term": "Alcohol withdrawal seizure",
            "onset_date": day(60),
            "grade": 3,
            "seriousness": ["hospitalisation"],
            "drug_causality": "possibly",
            "therapy_causality": "not_related",
            "expected": False,
        },
    )
    walk.deadlines["recorded"] = api.get("/api/adverse-events/deadlines/")
    api.post(f"/api/adverse-events/{walk.sae['id']}/reports/", {"to": "sponsor"}, expect=200)
    walk.deadlines["sponsor told"] = api.get("/api/adverse-events/deadlines/")
    api.post(f"/api/adverse-events/{walk.sae['id']}/reports/", {"to": "regulator"}, expect=200)
    walk.deadlines["regulator told"] = api.get("/api/adverse-events/deadlines/")

    walk.schedules["end"] = _schedule(api, participant)
    walk.deviations = api.get(f"/api/participants/{participant.study_id}/deviations/")["results"]
    api.get(f"/api/participants/{participant.study_id}/adverse-events/")
    api.get(f"/api/adverse-events/{walk.sae['id']}/")
    api.get("/api/deviations/")
    api.get(f"/api/appointments/?site=exeter&due_before={day(200)}")
    return walk


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def walk(clinic) -> Walk:
    return _walk(clinic)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_the_whole_schedule_is_walked(walk):
    statuses = {code: row["status"] for code, row in walk.schedules["end"].items()}
    assert statuses == {**{f"V{n}": "done" for n in range(1, 10)}, "V10": "missed"}
    assert sorted(walk.infusions) == ["V2", "V4", "V6"]
    assert sorted(s["session_number"] for s in walk.sessions.values()) == [1, 2, 3, 4, 5, 6, 7]
    follow_ups = {code: row["status"] for code, row in walk.schedules["end"].items() if row["kind"] == "follow_up"}
    assert follow_ups == {"V9": "done", "V10": "missed"}
    assert all(i["completed"] and i["minutes"] == 40.0 for i in walk.infusions.values())


def test_the_late_first_infusion_moved_the_events_chained_to_it(walk):
    before, after = walk.schedules["randomised"], walk.schedules["after V2"]
    assert after["V2"]["window_state"] == "in_window"
    for code in ("V3", "V4"):
        for key in ("target_date", "window_start", "window_end"):
            assert _date(after[code][key]) - _date(before[code][key]) == D(3), (code, key)
    r = walk.participant.allocation.allocated_on
    assert _date(after["V4"]["target_date"]) == r + D(24)
    for code in ("V9", "V10"):
        assert after[code]["target_date"] == before[code]["target_date"]


def test_the_missed_follow_up_is_missed_with_its_reason(walk):
    v10 = walk.schedules["end"]["V10"]
    assert v10["status"] == "missed"
    assert v10["visit"]["attended"] is False
    assert v10["visit"]["missed_reason"] == MISSED["V10"][1]


def test_the_visit_outside_its_window_is_the_one_deviation(walk):
    assert walk.schedules["end"]["V8"]["window_state"] == "late"
    assert [(d["kind"], d["event_code"], d["automatic"]) for d in walk.deviations] == [
        (DeviationKind.OUT_OF_WINDOW, "V8", True)
    ]
    other_states = {row["window_state"] for code, row in walk.schedules["end"].items() if code not in ("V8", "V10")}
    assert other_states == {"in_window"}


def test_the_vitals_breach_prompted_an_adverse_event_until_one_was_linked(walk):
    flags = walk.infusions["V4"]["safety_flags"]
    assert len(flags) == 1
    assert flags[0].startswith("systolic 192 > 180")
    assert walk.prompts == [True, True, False]
    assert all(not walk.infusions[code]["safety_flags"] for code in ("V2", "V6"))


def test_the_serious_event_was_on_the_deadline_list_until_reported(walk):
    sae = walk.sae
    aware = _date_time(sae["aware_at"])
    assert (sae["serious"], sae["susar"]) == (True, True)
    assert [(row["report_to"], _date_time(row["due"])) for row in walk.deadlines["recorded"]] == [
        ("sponsor", aware + D(hours=24)),
        ("regulator", aware + D(days=15)),
    ]
    assert [row["report_to"] for row in walk.deadlines["sponsor told"]] == ["regulator"]
    assert walk.deadlines["regulator told"] == []


def _date_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# --- blinding ----------------------------------------------------------------------------------------


def _levels(participant) -> dict[str, str]:
    return blinding.arm_levels(participant.allocation)


def _programmes(kare) -> dict[str, str]:
    return {p.level: p.title for p in kare.version_on().protocol.therapy.programmes}


def _pairs(data: Any, key: str = "") -> list[tuple[str, str]]:
    """Every string value in decoded JSON with the key it is found under."""
    if isinstance(data, dict):
        return [pair for k, v in data.items() for pair in _pairs(v, str(k))]
    if isinstance(data, list):
        return [pair for item in data for pair in _pairs(item, key)]
    return [(key, data)] if isinstance(data, str) else []


def _drug_mentions(text: str) -> bool:
    return any(word in text.lower() for word in DRUG_WORDS) or any(mentions(text, code) for code in ARM_CODES)


def test_no_answer_of_the_walk_names_the_drug_to_the_coordinator(kare, walk):
    assert len(walk.answers) >= 30
    for request, _, data in walk.answers:
        leaked = [text for text in values_in(data) if _drug_mentions(text)]
        assert not leaked, (request, leaked)
    for infusion in walk.infusions.values():
        assert (infusion["drug"], infusion["mg_per_kg"], infusion["dose_mg"]) == ("study drug", None, None)
    # The coordinator may see the therapy factor: the sessions name the participant's programme, never the other.
    programmes = _programmes(kare)
    own = programmes.pop(_levels(walk.participant)["therapy"])
    [other] = programmes.values()
    assert {s["programme"] for s in walk.sessions.values()} == {own}
    assert not any(other in text for _, _, data in walk.answers for text in values_in(data))


def test_an_outcome_assessor_reads_the_walk_without_any_level(kare, clinic, walk):
    participant = walk.participant
    assessor = client_for(clinic.user("outcome_assessor"))
    study = participant.study_id
    ids = {code: row["id"] for code, row in walk.schedules["end"].items()}
    urls = [
        f"/api/participants/{study}/appointments/",
        "/api/appointments/?site=exeter",
        f"/api/participants/{study}/adverse-events/",
        f"/api/adverse-events/{walk.sae['id']}/",
        "/api/adverse-events/deadlines/",
        f"/api/participants/{study}/deviations/",
        "/api/deviations/",
        *(f"/api/appointments/{ids[code]}/infusion/" for code in INFUSIONS),
    ]
    answers = []
    for url in urls:
        response = assessor.get(url)
        assert response.status_code == 200, (url, response.json())
        answers.append((url, response.json()))
    # Recording a session again is refused; the refusal names no programme either.
    again = assessor.post(
        f"/api/appointments/{ids['V8']}/session/", {"session_number": 7, "attended": True, "minutes": 90}
    )
    assert again.status_code == 409, again.json()
    answers.append(("session again", again.json()))
    factors = kare.version_on().protocol.factors
    hidden_levels = {lv.code for f in factors for lv in f.levels}
    hidden_titles = set(_programmes(kare).values()) | {lv.title for f in factors for lv in f.levels}
    for where, data in answers:
        for key, text in _pairs(data):
            # An appointment's kind ("therapy", "infusion") comes from the schedule, alike for every arm.
            if key == "kind":
                continue
            assert not _drug_mentions(text), (where, text)
            assert not any(mentions(text, code) for code in hidden_levels), (where, key, text)
            assert not any(title in text for title in hidden_titles), (where, text)
