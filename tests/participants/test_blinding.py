"""Blinding enforced everywhere a participant can be read, for every role of KARE.

A role's hidden factors are those whose ``visible_to`` leaves it out; an arm code names every
factor, so it is hidden from anyone with a hidden factor. No response may carry a hidden level
or arm code as a value (dict keys are field and factor names, which are not secret).
"""

from __future__ import annotations

import pytest

from participants import blinding
from participants.models import Participant
from tests.participants.conftest import ALL_ROLES, mentions, values_in

pytestmark = pytest.mark.django_db


def _protocol(trial):
    return trial.version_on().protocol


def hidden_codes(trial, role: str) -> set[str]:
    protocol = _protocol(trial)
    hidden = [f for f in protocol.factors if role not in f.visible_to]
    codes = {level.code for f in hidden for level in f.levels}
    if hidden:
        codes |= {arm.code for arm in protocol.arms}
    return codes


def visible_codes(trial, role: str) -> set[str]:
    return {level.code for f in _protocol(trial).factors if role in f.visible_to for level in f.levels}


@pytest.fixture
def allocated(people, lists) -> list[Participant]:
    """Randomised participants at exeter (men) until every KARE arm has one."""
    participants, arms = [], set()
    while len(arms) < 4:
        assert len(participants) < 8, "a block of at most 8 holds every arm"
        participant = people.randomised(sex="M")
        participants.append(participant)
        arms.add(participant.allocation.arm.code)
    return participants


def _complementary(participants) -> list[Participant]:
    """Two participants whose arms differ in every factor (KE and PT): between them every level."""
    by_arm = {p.allocation.arm.code: p for p in participants}
    return [by_arm["KE"], by_arm["PT"]]


def _sweep(client, participants) -> list:
    """Every participant endpoint's answer to ``client``: (what was asked, status, JSON)."""
    calls = [("get", "/api/participants/"), ("get", "/api/participants/?trial=KARE")]
    calls += [("get", "/api/trials/KARE/allocation-counts/"), ("get", "/api/screenings/")]
    for p in _complementary(participants):
        calls += [
            ("get", f"/api/participants/{p.study_id}/"),
            ("get", f"/api/participants/{p.study_id}/allocation/"),
            ("post", f"/api/participants/{p.study_id}/randomise/"),
            ("get", f"/api/participants/{p.study_id}/history/"),
        ]
    answers = []
    for method, url in calls:
        response = getattr(client, method)(url)
        answers.append((f"{method} {url}", response.status_code, response.json()))
    return answers


@pytest.mark.parametrize("role", ALL_ROLES)
def test_no_endpoint_shows_a_role_a_level_it_is_blinded_to(kare, allocated, make_user, as_user, role):
    answers = _sweep(as_user(make_user(role, kare)), allocated)
    hidden = hidden_codes(kare, role)
    seen = set()
    for where, status, data in answers:
        assert status in (200, 403), (where, status, data)
        for text in values_in(data):
            leaked = [code for code in hidden if mentions(text, code)]
            assert not leaked, (role, where, text)
            seen |= {code for code in visible_codes(kare, role) if text == code}
    # The sweep would pass vacuously if nothing were shown: what a role may see, it does see.
    assert seen == visible_codes(kare, role)


@pytest.mark.postgres
def test_the_audit_history_shows_a_blinded_role_the_allocation_without_its_arm(kare, allocated, make_user, as_user):
    participant = allocated[0]
    client = as_user(make_user("investigator", kare))
    events = client.get(f"/api/participants/{participant.study_id}/history/").json()["results"]
    allocation_events = [e for e in events if e["model"] == "participants.allocation"]
    assert len(allocation_events) == 1
    assert {"arm_id", "slot_id"}.isdisjoint(allocation_events[0]["values"])
    statistician_events = as_user(make_user("unblinded_statistician", kare)).get(
        f"/api/participants/{participant.study_id}/history/"
    )
    [unblinded] = [e for e in statistician_events.json()["results"] if e["model"] == "participants.allocation"]
    assert unblinded["values"]["arm_id"] == participant.allocation.arm_id


# --- filtering and ordering ----------------------------------------------------------------------

FACTOR_QUERIES = [
    ("drug", "ordering=drug"),
    ("drug", "drug=ketamine"),
    ("arm", "ordering=arm"),
    ("arm", "arm=KT"),
    ("therapy", "ordering=-therapy"),
    ("therapy", "therapy=education"),
]


def _may_query(trial, role: str, subject: str) -> bool:
    factors = _protocol(trial).factors
    if subject == "arm":
        return all(role in f.visible_to for f in factors)
    return role in next(f for f in factors if f.code == subject).visible_to


def test_a_query_on_a_hidden_factor_or_arm_is_refused(kare, allocated, make_user, as_user):
    refused = 0
    for role in ALL_ROLES:
        client = as_user(make_user(role, kare))
        for subject, query in FACTOR_QUERIES:
            response = client.get(f"/api/participants/?trial=KARE&{query}")
            expected = 200 if _may_query(kare, role, subject) else 400
            assert response.status_code == expected, (role, query, response.json())
            refused += expected == 400
    # All six of the five fully blinded roles (the administrator among them), and four each of the
    # coordinator, therapist and pharmacist.
    assert refused == 5 * 6 + 3 * 4


def test_a_query_on_a_factor_without_naming_the_trial_is_refused_to_a_blinded_role(kare, coordinator, as_user):
    assert as_user(coordinator).get("/api/participants/?ordering=drug").status_code == 400


def _study_ids(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["study_id"] for row in response.json()["results"]]


def _levels(participant) -> dict[str, str]:
    return blinding.arm_levels(participant.allocation)


def test_the_unblinded_statistician_filters_by_drug_and_by_arm(kare, allocated, statistician, as_user):
    client = as_user(statistician)
    on_ketamine = sorted(p.study_id for p in allocated if _levels(p)["drug"] == "ketamine")
    in_kt = sorted(p.study_id for p in allocated if p.allocation.arm.code == "KT")
    assert sorted(_study_ids(client.get("/api/participants/?trial=KARE&drug=ketamine"))) == on_ketamine
    assert sorted(_study_ids(client.get("/api/participants/?trial=KARE&arm=KT"))) == in_kt


def test_the_unblinded_statistician_orders_by_drug_and_by_arm(kare, allocated, statistician, as_user):
    client = as_user(statistician)
    by_drug = _study_ids(client.get("/api/participants/?trial=KARE&ordering=drug"))
    assert by_drug == sorted(by_drug, key=lambda sid: (_levels(_by_id(allocated, sid))["drug"], sid))
    by_arm = _study_ids(client.get("/api/participants/?trial=KARE&ordering=-arm"))
    positions = [_by_id(allocated, sid).allocation.arm.position for sid in by_arm]
    assert positions == sorted(positions, reverse=True)


def _by_id(participants, study_id):
    return next(p for p in participants if p.study_id == study_id)


def test_a_coordinator_orders_and_filters_by_therapy(kare, allocated, coordinator, as_user):
    client = as_user(coordinator)
    by_therapy = _study_ids(client.get("/api/participants/?trial=KARE&ordering=therapy"))
    therapies = [_levels(_by_id(allocated, sid))["therapy"] for sid in by_therapy]
    assert therapies == sorted(therapies)
    education = _study_ids(client.get("/api/participants/?trial=KARE&therapy=education"))
    assert sorted(education) == sorted(p.study_id for p in allocated if _levels(p)["therapy"] == "education")


# --- other sites ---------------------------------------------------------------------------------

PARTICIPANT_CALLS = [
    ("get", ""),
    ("get", "allocation/"),
    ("post", "randomise/"),
    ("get", "history/"),
    ("get", "identity/"),
    ("post", "unblind/"),
    ("post", "consents/"),
    ("post", "withdrawals/"),
    ("post", "baseline/"),
]


def test_another_sites_participant_does_not_exist_for_any_role(kare, people, lists, make_user, as_user):
    in_london = people.randomised(site="london", sex="F")
    for role in ALL_ROLES:
        client = as_user(make_user(role, kare, sites=["exeter"]))
        for method, suffix in PARTICIPANT_CALLS:
            response = getattr(client, method)(f"/api/participants/{in_london.study_id}/{suffix}", {})
            assert response.status_code == 404, (role, method, suffix, response.status_code)
            assert response.json()["error"]["message"] == "no such participant"
        assert in_london.study_id not in _study_ids(client.get("/api/participants/?trial=KARE"))
        screenings = client.get("/api/screenings/").json()["results"]
        assert in_london.screening.number not in [row["number"] for row in screenings], role


# --- error messages ------------------------------------------------------------------------------


def test_no_error_message_names_a_hidden_level(kare, allocated, people, make_user, as_user):
    randomised = allocated[0]
    not_ready = people.enrol(sex="F")
    requests = [("get", f"/api/participants/?trial=KARE&{query}", None) for _, query in FACTOR_QUERIES]
    requests += [
        ("get", "/api/participants/?trial=KARE&drug=nonsense", None),
        ("get", "/api/participants/?trial=KARE&ordering=drug,-therapy,arm", None),
        ("get", "/api/participants/?ordering=therapy", None),
        ("post", f"/api/participants/{randomised.study_id}/unblind/", {"reason": "rash", "password": "wrong"}),
        ("post", f"/api/participants/{randomised.study_id}/unblind/", {"password": "wrong"}),
        ("post", f"/api/participants/{not_ready.study_id}/randomise/", None),
        ("post", f"/api/participants/{not_ready.study_id}/unblind/", {"reason": "rash", "password": "x"}),
        ("get", f"/api/participants/{not_ready.study_id}/allocation/", None),
        ("get", "/api/participants/ZZZZZZZ/allocation/", None),
        ("get", "/api/trials/KARE/randomisation-lists/slots/", None),
    ]
    for role in ALL_ROLES:
        client = as_user(make_user(role, kare))
        errors = 0
        for method, url, body in requests:
            response = getattr(client, method)(url, body)
            if response.status_code < 400:
                continue
            errors += 1
            for text in values_in(response.json()):
                assert not any(mentions(text, code) for code in hidden_codes(kare, role)), (role, url, text)
        assert errors >= 5, role


def test_a_page_of_participants_costs_the_same_queries_whatever_its_size(people, lists, coordinator, as_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(6):
        people.randomised(site="exeter")  # blinding is decided once per site on the page
    client = as_user(coordinator)

    def queries(size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/participants/?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        assert all(r["allocation"]["levels"] for r in response.json()["results"])
        return len(captured)

    queries(1)  # the caller's roles are read once and remembered
    assert queries(6) == queries(2)
