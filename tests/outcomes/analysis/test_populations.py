"""The analysis populations of KARE run through the services, as ADSL flags them, and the same
definition behind the report's CONSORT count of who received the intervention; each participant's
site and sex on every endpoint row of a simulated trial."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from outcomes.analysis import dataset
from outcomes.exports.adam import adsl_table
from outcomes.exports.policy import export_scope
from outcomes.exports.tables import endpoint_table
from participants.models import Participant
from tests.conftest import ROOT
from tests.outcomes.analysis.conftest import vitals
from trials.protocol import load_file

pytestmark = pytest.mark.django_db


def _infuse(clinic, participant, code: str, n: int) -> None:
    """``participant``'s infusion visit ``code`` attended on day ``n`` after randomisation, infused."""
    from participants.schedule.services import infusion_record

    clinic.attend(participant, code, n)
    start = dt.datetime.combine(clinic.day(participant, n), dt.time(10), tzinfo=participant.site.zone)
    infusion_record(
        actor=clinic.coordinator,
        appointment=clinic.appointment(participant, code),
        weight_kg=Decimal("75.0"),
        volume_ml=Decimal("50.0"),
        breath_alcohol=Decimal("0.00"),
        started_at=start,
        stopped_at=start + dt.timedelta(minutes=40),
        completed=True,
        vitals=vitals(),
    )


def _adsl(trial, user=None) -> dict[str, dict]:
    table = adsl_table(export_scope(user=user, trial=trial))
    names = [c.name for c in table.columns]
    return {row[names.index("SUBJID")]: dict(zip(names, row, strict=True)) for row in table.rows()}


@pytest.fixture
def people(clinic, make_user):
    """Participants with what they received: named for it."""
    out = {
        "withdrew_before_infusion": clinic.randomised(),
        "one_infusion": clinic.randomised(sex="F"),
        "every_infusion": clinic.randomised(site="london"),
        "every_infusion_important_deviation": clinic.randomised(),
        "session_only": clinic.randomised(),
        "not_randomised": clinic.enrol(),
    }
    clinic.withdraw(out["withdrew_before_infusion"], "intervention", n=3)
    clinic.infuse(out["one_infusion"])
    for who in ("every_infusion", "every_infusion_important_deviation"):
        for code, n in (("V2", 7), ("V4", 21), ("V6", 35)):
            _infuse(clinic, out[who], code, n)
    clinic.session(out["session_only"])
    from participants.safety.services import deviation_record, deviation_review

    deviation = deviation_record(
        actor=clinic.coordinator,
        participant=out["every_infusion_important_deviation"],
        kind="other",
        description="consent form of a superseded version signed",
        occurred_on=clinic.day(out["every_infusion_important_deviation"], 2),
    )
    deviation_review(actor=make_user("investigator", clinic.trial), deviation=deviation, important=True)
    return {name: Participant.objects.get(pk=p.pk) for name, p in out.items()}


def _flags(row: dict) -> tuple:
    return row["RANDFL"], row["ITTFL"], row["SAFFL"], row["PPROTFL"]


def test_adsl_flags_each_participant_by_what_they_received(clinic, people):
    adsl = _adsl(clinic.trial)
    by = {name: adsl[p.study_id] for name, p in people.items()}
    assert _flags(by["withdrew_before_infusion"]) == ("Y", "Y", "N", "N")
    assert _flags(by["one_infusion"]) == ("Y", "Y", "Y", "N")
    assert _flags(by["every_infusion"]) == ("Y", "Y", "Y", "Y")
    assert _flags(by["every_infusion_important_deviation"]) == ("Y", "Y", "Y", "N")
    assert _flags(by["session_only"]) == ("Y", "Y", "Y", "N")
    assert _flags(by["not_randomised"]) == ("N", "N", "N", "N")
    assert (by["every_infusion"]["NINFUS"], by["every_infusion"]["NINFCMP"]) == (3, 3)
    assert (by["session_only"]["NINFUS"], by["session_only"]["NSESS"]) == (0, 1)
    assert by["one_infusion"]["SEX"] == "F"
    assert by["every_infusion"]["SITEID"] == "london"
    assert (by["one_infusion"]["AGE"], by["one_infusion"]["AGEU"]) == (people["one_infusion"].age_at_consent, "YEARS")
    assert {"ARM", "TRT01P", "DRUG"}.isdisjoint(by["one_infusion"])  # the system's export is blinded


def test_the_actual_treatment_is_the_arm_once_anything_was_received(clinic, people):
    statistician = get_user_model().objects.get(username="statistician")
    adsl = _adsl(clinic.trial, statistician)
    for name, participant in people.items():
        row = adsl[participant.study_id]
        if name == "not_randomised":
            assert (row["ARM"], row["ARMCD"], row["TRT01P"], row["TRT01A"]) == (None, None, None, None)
            continue
        arm = participant.allocation.arm
        assert (row["ARM"], row["ARMCD"], row["TRT01P"]) == (arm.title, arm.code, arm.title), name
        assert row["TRT01A"] == (None if name == "withdrew_before_infusion" else arm.title), name


def test_the_reports_received_count_is_the_safety_population(clinic, people):
    adsl = _adsl(clinic.trial)
    received = dataset.load(clinic.trial).participants.set_index("study_id")["received"]
    assert {sid: bool(v) for sid, v in received.items()} == {
        sid: row["SAFFL"] == "Y" for sid, row in adsl.items() if row["RANDFL"] == "Y"
    }


def test_every_endpoint_row_of_a_simulated_trial_has_the_participants_site_and_sex(synthetic):
    trial = synthetic(per_arm=4)
    table = endpoint_table(export_scope(user=None, trial=trial))
    names = [c.name for c in table.columns]
    rows = list(table.rows())
    expected = {
        sid: (site, sex)
        for sid, site, sex in Participant.objects.filter(trial=trial).values_list("study_id", "site__code", "sex")
    }
    assert len(rows) == len(expected) * len(trial.version_on().protocol.outcomes.windows)
    assert {r[names.index("sex")] for r in rows} == {"M", "F"}
    for row in rows:
        assert (row[names.index("site")], row[names.index("sex")]) == expected[row[0]]


def test_the_analysis_plan_defines_the_per_protocol_population():
    from outcomes.plan.document import PerProtocol
    from outcomes.populations import Exposure

    protocol = load_file(ROOT / "protocols" / "kare.yaml")
    two_and_five = Exposure(infusions=2, infusions_completed=2, sessions=5)
    assert not two_and_five.per_protocol(protocol)  # the protocol plans three infusions
    assert two_and_five.per_protocol(protocol, PerProtocol(min_infusions=2, min_sessions=5))
    assert not two_and_five.per_protocol(protocol, PerProtocol(min_infusions=2, min_sessions=6))
    flagged = Exposure(infusions=3, infusions_completed=3, sessions=7, important_deviations=1)
    assert not flagged.per_protocol(protocol, PerProtocol(min_infusions=3, min_sessions=0))
    assert flagged.per_protocol(
        protocol, PerProtocol(min_infusions=3, min_sessions=0, exclude_important_deviations=False)
    )


def test_adsl_takes_the_per_protocol_rule_from_the_trials_analysis_plan(clinic, people):
    """Three infusions and no session: per protocol by the protocol's default, not under the shipped
    plan, which asks for five sessions."""
    from outcomes.plan.document import load_file as load_plan
    from outcomes.plan.services import analysis_plan_load

    trial = people["every_infusion"].trial
    study_id = people["every_infusion"].study_id
    assert _adsl(trial)[study_id]["PPROTFL"] == "Y"
    plan = load_plan(ROOT / "protocols" / "kare.sap.yaml", protocol=trial.version_on().protocol)
    analysis_plan_load(trial=trial, plan=plan)
    assert _adsl(trial)[study_id]["PPROTFL"] == "N"
