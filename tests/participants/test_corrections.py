"""Corrections of a recorded infusion and session through the API (``PATCH``): the value changed in
place with a reason kept in the audit trail, checked as at first entry, refused whole, blinded as
the record is, and the infusion's automatic deviations brought in line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from core import history
from core.errors import Invalid
from participants.locks import services as locks
from participants.models import Deviation, DeviationKind, InfusionSession, TherapySession, VitalSigns
from participants.schedule import services as schedule
from tests.participants.test_infusions import _drug_leaks
from tests.participants.visits_fixtures import Clinic, at, client_for, refused, row_counts, vitals

pytestmark = pytest.mark.django_db

REASON = "transcription error against the source worksheet"


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def coordinator_client(clinic):
    return client_for(clinic.coordinator)


def _infused(clinic, client, participant, **changes):
    clinic.attend(client, participant, "V2", 7)
    response = clinic.infuse(client, participant, "V2", 7, **changes)
    assert response.status_code == 201, response.json()
    return clinic.appointment(participant, "V2")


def _url(appointment, what: str = "infusion") -> str:
    return f"/api/appointments/{appointment.pk}/{what}/"


def _patch(client, appointment, body, what: str = "infusion"):
    return client.patch(_url(appointment, what), body, format="json")


def _infusion(appointment) -> InfusionSession:
    return InfusionSession.objects.get(visit__appointment=appointment)


# --- infusions ----------------------------------------------------------------------------------


def test_a_corrected_volume_is_stored_and_answered(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    response = _patch(coordinator_client, appointment, {"volume_ml": "45.5", "reason": REASON})
    assert response.status_code == 200, response.json()
    assert response.json()["volume_ml"] == "45.5"
    assert _infusion(appointment).volume_ml == Decimal("45.5")


def test_correcting_an_infusion_needs_a_reason_and_writes_nothing_without_one(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    for body in ({"volume_ml": "45.5"}, {"volume_ml": "45.5", "reason": "   "}):
        refused(_patch(coordinator_client, appointment, body), 400, field="reason")
    assert _infusion(appointment).volume_ml == Decimal("50.0")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weight_kg": "20.0"}, "weight_kg"),
        ({"volume_ml": "0.0"}, "volume_ml"),
        ({"vitals": vitals(systolic=70, diastolic=90)}, "vitals.1.systolic"),
        ({"dissociation_score": 101}, "dissociation_score"),
    ],
)
def test_a_correction_is_checked_as_the_first_entry_and_a_refusal_writes_nothing(
    clinic, coordinator_client, body, field
):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    infusion = _infusion(appointment)
    before = row_counts()
    refused(_patch(coordinator_client, appointment, {**body, "reason": REASON}), 400, field=field)
    assert row_counts() == before
    again = _infusion(appointment)
    assert (again.weight_kg, again.volume_ml, again.dissociation_score) == (
        infusion.weight_kg,
        infusion.volume_ml,
        infusion.dissociation_score,
    )


def test_times_corrected_off_the_visit_day_or_backwards_are_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _infused(clinic, coordinator_client, participant)
    day = clinic.day(participant, 7)
    backwards = {"stopped_at": at(day, 9).isoformat(), "reason": REASON}
    refused(_patch(coordinator_client, appointment, backwards), 400, field="stopped_at")
    other_day = {
        "started_at": at(day + dt.timedelta(days=1)).isoformat(),
        "stopped_at": at(day + dt.timedelta(days=1), 11).isoformat(),
        "reason": REASON,
    }
    refused(_patch(coordinator_client, appointment, other_day), 400, field="started_at")


def test_breath_alcohol_corrected_above_zero_is_refused_as_at_first_entry(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    refused(
        _patch(coordinator_client, appointment, {"breath_alcohol": "0.02", "reason": REASON}),
        409,
        code="breath_alcohol",
    )
    assert _infusion(appointment).breath_alcohol == Decimal("0.00")


def test_a_corrected_weight_recomputes_the_dose_which_only_a_pharmacist_reads(clinic, coordinator_client):
    participant = clinic.in_arm("KT")
    appointment = _infused(clinic, coordinator_client, participant, weight="75.0")
    response = _patch(coordinator_client, appointment, {"weight_kg": "80.0", "reason": REASON})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["drug"], body["mg_per_kg"], body["dose_mg"]) == ("study drug", None, None)
    assert not _drug_leaks(body), body
    assert _infusion(appointment).dose_mg == Decimal("64.00")
    pharmacist = client_for(clinic.user("pharmacist"))
    assert pharmacist.get(_url(appointment)).json()["dose_mg"] == "64.00"


@pytest.mark.parametrize("arm", ["KT", "PT"])
def test_one_blind_to_the_drug_may_not_correct_the_dose_given_whatever_the_arm(clinic, coordinator_client, arm):
    appointment = _infused(clinic, coordinator_client, clinic.in_arm(arm))
    before = row_counts()
    error = refused(_patch(coordinator_client, appointment, {"dose_mg_given": "10.00", "reason": REASON}), 403)
    assert not _drug_leaks(error)
    assert row_counts() == before
    assert _infusion(appointment).dose_mg_given is None


def test_corrected_vitals_replace_the_readings_and_their_safety_flags(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised(), vitals=vitals(systolic=190))
    assert _infusion(appointment).safety_flags
    calm = vitals()[:2]
    response = _patch(coordinator_client, appointment, {"vitals": calm, "reason": REASON})
    assert response.status_code == 200, response.json()
    assert response.json()["safety_flags"] == []
    assert [v["systolic"] for v in response.json()["vitals"]] == [122, 125]
    assert VitalSigns.objects.filter(infusion__visit__appointment=appointment).count() == 2
    raised = _patch(coordinator_client, appointment, {"vitals": vitals(heart_rate=140), "reason": REASON})
    assert raised.json()["safety_flags"]
    assert raised.json()["adverse_event_prompt"] is True


def test_a_correction_that_removes_a_length_deviation_closes_its_candidate_saying_why(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _infused(clinic, coordinator_client, participant, minutes=90)
    candidate = Deviation.objects.get(appointment=appointment, kind=DeviationKind.DURATION)
    assert candidate.reviewed_at is None
    start = at(clinic.day(participant, 7))
    body = {"stopped_at": (start + dt.timedelta(minutes=40)).isoformat(), "reason": REASON}
    assert _patch(coordinator_client, appointment, body).status_code == 200
    candidate.refresh_from_db()
    assert candidate.important is False
    assert candidate.reviewed_at is not None
    assert REASON in candidate.review_note
    assert Deviation.objects.filter(appointment=appointment, kind=DeviationKind.DURATION).count() == 1


def test_a_correction_that_causes_a_length_deviation_records_a_candidate(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _infused(clinic, coordinator_client, participant)
    assert not Deviation.objects.filter(appointment=appointment).exists()
    start = at(clinic.day(participant, 7))
    body = {"stopped_at": (start + dt.timedelta(minutes=90)).isoformat(), "reason": REASON}
    assert _patch(coordinator_client, appointment, body).status_code == 200
    found = Deviation.objects.get(appointment=appointment, kind=DeviationKind.DURATION)
    assert found.automatic
    assert found.reviewed_at is None
    assert REASON in found.description


def test_a_correction_that_leaves_the_length_alone_records_no_deviation_again(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised(), minutes=90)
    candidate = Deviation.objects.get(appointment=appointment, kind=DeviationKind.DURATION)
    assert _patch(coordinator_client, appointment, {"volume_ml": "45.0", "reason": REASON}).status_code == 200
    assert list(Deviation.objects.filter(appointment=appointment)) == [candidate]
    candidate.refresh_from_db()
    assert candidate.reviewed_at is None


def test_another_sites_infusion_is_not_found(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    london = client_for(clinic.user("coordinator", sites=["london"]))
    refused(_patch(london, appointment, {"volume_ml": "45.0", "reason": REASON}), 404)
    assert _infusion(appointment).volume_ml == Decimal("50.0")


def test_an_infusion_not_recorded_cannot_be_corrected(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    refused(_patch(coordinator_client, clinic.appointment(participant, "V2"), {"reason": REASON}), 404)


def test_a_locked_participants_infusion_is_not_corrected(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _infused(clinic, coordinator_client, participant)
    locks.data_lock(actor=clinic.user("data_manager"), trial=clinic.trial, participant=participant, reason="clean")
    refused(_patch(coordinator_client, appointment, {"volume_ml": "45.0", "reason": REASON}), 409, code="locked")
    assert _infusion(appointment).volume_ml == Decimal("50.0")


def test_a_monitor_may_not_correct_an_infusion(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    refused(_patch(client_for(clinic.user("monitor")), appointment, {"volume_ml": "45.0", "reason": REASON}), 403)


def test_a_correction_changing_nothing_writes_nothing(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    first = _patch(coordinator_client, appointment, {"volume_ml": "45.0", "reason": REASON})
    assert first.status_code == 200
    replayed = _patch(coordinator_client, appointment, {"volume_ml": "45.0", "reason": REASON})
    assert replayed.status_code == 200
    assert replayed.json() == first.json()


def test_an_unknown_field_is_refused_by_the_service(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    with pytest.raises(Invalid) as refusal:
        schedule.infusion_update(actor=clinic.coordinator, infusion=_infusion(appointment), reason=REASON, dose_mg=1)
    assert "dose_mg" in refusal.value.fields


@pytest.mark.postgres
def test_the_audit_trail_keeps_the_old_volume_and_the_reason(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.randomised())
    assert _patch(coordinator_client, appointment, {"volume_ml": "45.5", "reason": REASON}).status_code == 200
    infusion = _infusion(appointment)
    events = history.events_for([(InfusionSession, Q(pgh_obj_id=infusion.pk))])
    change = events[-1]
    assert change["label"] == "update"
    assert change["changes"]["volume_ml"] == ["50.0", "45.5"]
    assert change["reason"] == REASON
    assert change["actor"] == clinic.coordinator.username


# --- sessions -----------------------------------------------------------------------------------


def _with_session(clinic, client, participant, **extra):
    clinic.attend(client, participant, "V3", 14)
    appointment = clinic.appointment(participant, "V3")
    body = {"session_number": 1, "attended": True, "minutes": 60, **extra}
    response = client.post(_url(appointment, "session"), body, format="json")
    assert response.status_code == 201, response.json()
    return appointment


def test_a_sessions_attendance_is_corrected_with_its_minutes(clinic, coordinator_client):
    appointment = _with_session(clinic, coordinator_client, clinic.randomised())
    response = _patch(coordinator_client, appointment, {"attended": False, "reason": REASON}, "session")
    assert response.status_code == 200, response.json()
    assert (response.json()["attended"], response.json()["minutes"]) == (False, 0)
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.attended, session.minutes) == (False, 0)


def test_a_session_correction_needs_a_reason_and_is_checked_as_at_first_entry(clinic, coordinator_client):
    appointment = _with_session(clinic, coordinator_client, clinic.randomised())
    refused(_patch(coordinator_client, appointment, {"minutes": 50}, "session"), 400, field="reason")
    body = {"attended": False, "minutes": 30, "reason": REASON}
    refused(_patch(coordinator_client, appointment, body, "session"), 400, field="minutes")
    refused(
        _patch(coordinator_client, appointment, {"minutes": 999, "reason": REASON}, "session"), 400, field="minutes"
    )
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.attended, session.minutes) == (True, 60)


def test_a_session_number_corrected_onto_another_sessions_is_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    v2 = clinic.appointment(participant, "V2")
    body = {"session_number": 2, "attended": True, "minutes": 60}
    assert coordinator_client.post(_url(v2, "session"), body, format="json").status_code == 201
    v3 = _with_session(clinic, coordinator_client, participant)
    refused(
        _patch(coordinator_client, v3, {"session_number": 2, "reason": REASON}, "session"), 400, field="session_number"
    )


@pytest.mark.parametrize("role", ["coordinator", "investigator"])
def test_a_corrected_session_names_its_programme_only_to_those_who_see_the_therapy_factor(clinic, role):
    participant = clinic.randomised()
    appointment = _with_session(clinic, client_for(clinic.coordinator), participant)
    response = _patch(client_for(clinic.user(role)), appointment, {"minutes": 55, "reason": REASON}, "session")
    assert response.status_code == 200, response.json()
    protocol = clinic.trial.version_on().protocol
    level = {al.level.factor.code: al.level.code for al in participant.allocation.arm.arm_levels.all()}["therapy"]
    titles = {p.level: p.title for p in protocol.therapy.programmes}
    sees = role in protocol.factor("therapy").visible_to
    assert response.json()["programme"] == (titles[level] if sees else "psychological session")
    shown = {lv for lv, title in titles.items() if title in response.content.decode()}
    assert shown == ({level} if sees else set())


def test_another_sites_session_is_not_found_and_a_locked_one_is_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _with_session(clinic, coordinator_client, participant)
    london = client_for(clinic.user("coordinator", sites=["london"]))
    refused(_patch(london, appointment, {"minutes": 50, "reason": REASON}, "session"), 404)
    locks.data_lock(actor=clinic.user("data_manager"), trial=clinic.trial, reason="interim analysis")
    refused(_patch(coordinator_client, appointment, {"minutes": 50, "reason": REASON}, "session"), 409, code="locked")
    assert TherapySession.objects.get(visit__appointment=appointment).minutes == 60


@pytest.mark.postgres
def test_the_audit_trail_keeps_the_sessions_old_attendance_and_the_reason(clinic, coordinator_client):
    appointment = _with_session(clinic, coordinator_client, clinic.randomised())
    assert _patch(coordinator_client, appointment, {"attended": False, "reason": REASON}, "session").status_code == 200
    session = TherapySession.objects.get(visit__appointment=appointment)
    change = history.events_for([(TherapySession, Q(pgh_obj_id=session.pk))])[-1]
    assert change["changes"]["attended"] == [True, False]
    assert change["reason"] == REASON


def test_one_blind_to_the_drug_may_not_correct_the_weight_once_a_dose_given_is_recorded(clinic, coordinator_client):
    # The dose deviation a new weight opens or closes would follow the drug level.
    participant = clinic.in_arm("KT")
    appointment = _infused(clinic, coordinator_client, participant)
    pharmacist = client_for(clinic.user("pharmacist"))
    assert _patch(pharmacist, appointment, {"dose_mg_given": "55.00", "reason": REASON}).status_code == 200
    deviations = list(Deviation.objects.filter(appointment=appointment).values_list("pk", "reviewed_at"))
    error = refused(_patch(coordinator_client, appointment, {"weight_kg": "90.0", "reason": REASON}), 403)
    assert not _drug_leaks(error)
    assert _infusion(appointment).weight_kg == Decimal("75.0")
    assert list(Deviation.objects.filter(appointment=appointment).values_list("pk", "reviewed_at")) == deviations
    # The same weight again, with another value corrected, is not a weight correction.
    same = _patch(coordinator_client, appointment, {"weight_kg": "75.0", "volume_ml": "45.0", "reason": REASON})
    assert same.status_code == 200, same.json()
    assert _patch(pharmacist, appointment, {"weight_kg": "90.0", "reason": REASON}).status_code == 200


def test_a_dose_given_corrected_to_the_computed_dose_closes_its_dose_deviation(clinic, coordinator_client):
    appointment = _infused(clinic, coordinator_client, clinic.in_arm("KT"))  # 75 kg: 60.00 mg computed
    pharmacist = client_for(clinic.user("pharmacist"))
    assert _patch(pharmacist, appointment, {"dose_mg_given": "55.00", "reason": REASON}).status_code == 200
    candidate = Deviation.objects.get(appointment=appointment, kind=DeviationKind.DOSE)
    assert candidate.reviewed_at is None
    assert _patch(pharmacist, appointment, {"dose_mg_given": "60.00", "reason": REASON}).status_code == 200
    candidate.refresh_from_db()
    assert candidate.important is False
    assert REASON in candidate.review_note
