"""Recording visits and therapy sessions through the API: dates checked against today, consent and
earlier visits; missed visits with a reason; corrections with a reason kept in the audit trail;
sessions shown blinded to those who may not see the therapy factor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from core import history
from participants.models import Deviation, DeviationKind, TherapySession, Visit
from tests.participants.conftest import days_ago
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts

pytestmark = pytest.mark.django_db

D = dt.timedelta


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def coordinator_client(clinic):
    return client_for(clinic.coordinator)


def _visit(client, appointment, day: dt.date, **extra):
    return client.post(
        f"/api/appointments/{appointment.pk}/visit/",
        {"actual_date": str(day), "attended": True, **extra},
        format="json",
    )


# --- recording a visit ---------------------------------------------------------------------------


def test_an_attended_visit_marks_the_appointment_done(clinic, coordinator_client):
    participant = clinic.randomised()
    v2 = clinic.appointment(participant, "V2")
    response = _visit(coordinator_client, v2, clinic.day(participant, 7))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["window_state"]) == ("done", "in_window")
    assert body["visit"] == {
        "actual_date": str(clinic.day(participant, 7)),
        "attended": True,
        "missed_reason": "",
        "seen_by": clinic.coordinator.username,
    }


def test_a_missed_visit_needs_a_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    before = row_counts()
    response = _visit(coordinator_client, v9, clinic.day(participant, 91), attended=False)
    refused(response, 400, field="missed_reason")
    assert row_counts() == before


def test_a_missed_follow_up_is_recorded_missed_with_its_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    v10 = clinic.appointment(participant, "V10")
    response = _visit(
        coordinator_client, v10, clinic.day(participant, 182), attended=False, missed_reason="unreachable"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "missed"
    assert response.json()["visit"]["missed_reason"] == "unreachable"
    assert response.json()["visit"]["seen_by"] is None
    # A missed visit is not a deviation for being outside its window.
    assert not Deviation.objects.filter(participant=participant).exists()


@pytest.mark.parametrize(
    ("case", "field_message"),
    [
        ("in the future", "future"),
        ("before consent", "consented"),
        ("before the previous visit", "earlier visit"),
    ],
)
def test_an_impossible_visit_date_is_refused_and_nothing_is_written(clinic, coordinator_client, case, field_message):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    day = {
        "in the future": days_ago(-2),
        "before consent": participant.consents.get().consented_on - D(1),
        "before the previous visit": clinic.day(participant, 6),
    }[case]
    v3 = clinic.appointment(participant, "V3")
    before = row_counts()
    error = refused(_visit(coordinator_client, v3, day), 400, field="actual_date")
    assert field_message in " ".join(error["fields"]["actual_date"])
    assert row_counts() == before
    v3.refresh_from_db()
    assert v3.status == "scheduled"


def test_a_visit_is_recorded_once(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    before = row_counts()
    refused(_visit(coordinator_client, clinic.appointment(participant, "V2"), clinic.day(participant, 8)), 409)
    assert row_counts() == before


@pytest.mark.parametrize(("offset", "state"), [(-4, "early"), (4, "late")])
def test_a_visit_outside_its_window_records_a_deviation(clinic, coordinator_client, offset, state):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")  # window R+77 .. R+105
    day = (v9.window_start if offset < 0 else v9.window_end) + D(offset)
    response = _visit(coordinator_client, v9, day)
    assert response.status_code == 201, response.json()
    assert response.json()["window_state"] == state
    [deviation] = Deviation.objects.filter(participant=participant)
    assert (deviation.kind, deviation.appointment_id, deviation.occurred_on) == (
        DeviationKind.OUT_OF_WINDOW,
        v9.pk,
        day,
    )
    assert deviation.automatic
    assert deviation.important is None
    listed = coordinator_client.get(f"/api/participants/{participant.study_id}/deviations/").json()["results"]
    assert [(d["kind"], d["event_code"]) for d in listed] == [("out_of_window", "V9")]


def test_another_sites_appointment_is_not_found(clinic):
    participant = clinic.randomised(site="exeter")
    v2 = clinic.appointment(participant, "V2")
    london = client_for(clinic.user("coordinator", sites=["london"]))
    before = row_counts()
    refused(_visit(london, v2, clinic.day(participant, 7)), 404)
    refused(london.post(f"/api/appointments/{v2.pk}/reschedule/", {"booked_date": str(v2.window_end)}), 404)
    refused(london.post(f"/api/appointments/{v2.pk}/cancel/", {"reason": "x"}), 404)
    refused(london.get(f"/api/participants/{participant.study_id}/appointments/"), 404)
    assert row_counts() == before
    # The same answer as for an appointment that does not exist at all.
    missing = london.post("/api/appointments/999999/visit/", {"actual_date": str(days_ago(1)), "attended": True})
    assert missing.json()["error"]["message"] == refused(_visit(london, v2, days_ago(1)), 404)["message"]


def test_a_monitor_may_read_but_not_record_visits(clinic):
    participant = clinic.randomised()
    monitor = client_for(clinic.user("monitor"))
    assert monitor.get(f"/api/participants/{participant.study_id}/appointments/").status_code == 200
    before = row_counts()
    refused(_visit(monitor, clinic.appointment(participant, "V2"), clinic.day(participant, 7)), 403)
    assert row_counts() == before


# --- corrections after first entry ---------------------------------------------------------------


def test_changing_a_visit_needs_a_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    v2 = clinic.appointment(participant, "V2")
    url = f"/api/appointments/{v2.pk}/visit/"
    for body in (
        {"actual_date": str(clinic.day(participant, 8))},
        {"actual_date": str(clinic.day(participant, 8)), "reason": ""},
    ):
        refused(coordinator_client.patch(url, body, format="json"), 400, field="reason")
    assert Visit.objects.get(appointment=v2).actual_date == clinic.day(participant, 7)


def test_changing_a_visit_with_a_reason_changes_it_and_re_dates_the_chain(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    v2 = clinic.appointment(participant, "V2")
    response = coordinator_client.patch(
        f"/api/appointments/{v2.pk}/visit/",
        {"actual_date": str(clinic.day(participant, 9)), "reason": "date mistyped from the paper CRF"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["visit"]["actual_date"] == str(clinic.day(participant, 9))
    assert clinic.appointment(participant, "V3").target_date == clinic.day(participant, 16)


def _correct(client, appointment, day: dt.date, reason: str):
    response = client.patch(
        f"/api/appointments/{appointment.pk}/visit/", {"actual_date": str(day), "reason": reason}, format="json"
    )
    assert response.status_code == 200, response.json()


def test_a_date_corrected_into_the_window_closes_its_deviation_saying_why(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    assert _visit(coordinator_client, v9, v9.window_end + D(3)).status_code == 201
    _correct(coordinator_client, v9, v9.window_end, "the CRF said the 3rd, not the 6th")
    [deviation] = Deviation.objects.filter(participant=participant)
    assert deviation.important is False
    assert deviation.reviewed_by == clinic.coordinator
    assert str(v9.window_end) in deviation.review_note
    assert "the CRF said the 3rd" in deviation.review_note


def test_a_date_corrected_but_still_outside_the_window_re_describes_its_deviation(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    _visit(coordinator_client, v9, v9.window_end + D(3))
    _correct(coordinator_client, v9, v9.window_end + D(5), "mistyped")
    [deviation] = Deviation.objects.filter(participant=participant)  # one, not two
    assert deviation.occurred_on == v9.window_end + D(5)
    assert str(v9.window_end + D(5)) in deviation.description
    assert deviation.reviewed_at is None


def test_a_correction_into_the_window_leaves_a_reviewed_deviation_as_reviewed(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    _visit(coordinator_client, v9, v9.window_end + D(3))
    Deviation.objects.update(important=True, review_note="reviewed by the monitor", reviewed_at=dt.datetime.now(dt.UTC))
    _correct(coordinator_client, v9, v9.window_end, "corrected")
    [deviation] = Deviation.objects.filter(participant=participant)
    assert (deviation.important, deviation.review_note) == (True, "reviewed by the monitor")


def test_a_visit_not_yet_recorded_cannot_be_changed(clinic, coordinator_client):
    participant = clinic.randomised()
    v2 = clinic.appointment(participant, "V2")
    refused(
        coordinator_client.patch(
            f"/api/appointments/{v2.pk}/visit/", {"actual_date": str(days_ago(1)), "reason": "x"}, format="json"
        ),
        404,
    )


@pytest.mark.postgres
def test_the_audit_trail_keeps_the_previous_visit_date_and_the_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    v2 = clinic.appointment(participant, "V2")
    reason = "date mistyped from the paper CRF"
    response = coordinator_client.patch(
        f"/api/appointments/{v2.pk}/visit/",
        {"actual_date": str(clinic.day(participant, 9)), "reason": reason},
        format="json",
    )
    assert response.status_code == 200, response.json()
    visit = Visit.objects.get(appointment=v2)
    events = history.events_for([(Visit, Q(pgh_obj_id=visit.pk))])
    assert [e["label"] for e in events] == ["insert", "update"]
    change = events[-1]
    assert change["changes"]["actual_date"] == [str(clinic.day(participant, 7)), str(clinic.day(participant, 9))]
    assert change["reason"] == reason
    assert change["actor"] == clinic.coordinator.username


# --- therapy and education sessions --------------------------------------------------------------


def _programme_titles(trial) -> dict[str, str]:
    protocol = trial.version_on().protocol
    return {p.level: p.title for p in protocol.therapy.programmes}


def _session(client, appointment, number: int = 1, **extra):
    return client.post(
        f"/api/appointments/{appointment.pk}/session/",
        {"session_number": number, "attended": True, "minutes": 90, **extra},
        format="json",
    )


@pytest.mark.parametrize("role", ["coordinator", "therapist", "outcome_assessor"])
def test_a_session_shows_its_programme_only_to_those_who_may_see_the_therapy_factor(clinic, role):
    participant = clinic.randomised()
    clinic.attend(client_for(clinic.coordinator), participant, "V3", 14)
    level = {al.level.factor.code: al.level.code for al in participant.allocation.arm.arm_levels.all()}["therapy"]
    titles = _programme_titles(clinic.trial)
    response = _session(client_for(clinic.user(role)), clinic.appointment(participant, "V3"), number=2)
    assert response.status_code == 201, response.json()
    sees_therapy = role in clinic.trial.version_on().protocol.factor("therapy").visible_to
    expected = titles[level] if sees_therapy else "psychological session"
    assert response.json()["programme"] == expected
    text = response.content.decode()
    shown = {lv for lv, title in titles.items() if title in text}
    assert shown == ({level} if sees_therapy else set())


def test_a_session_needs_an_attended_visit_of_an_event_with_a_session(clinic, coordinator_client):
    participant = clinic.randomised()
    before = row_counts()
    refused(_session(coordinator_client, clinic.appointment(participant, "V3")), 409, code="no_visit")
    clinic.attend(coordinator_client, participant, "V9", 91)
    refused(_session(coordinator_client, clinic.appointment(participant, "V9")), 409, code="not_a_session")
    assert row_counts()["TherapySession"] == before["TherapySession"]


def test_a_session_number_is_used_once_per_participant(clinic, coordinator_client):
    participant = clinic.randomised()
    clinic.attend(coordinator_client, participant, "V2", 7)
    clinic.attend(coordinator_client, participant, "V3", 14)
    assert _session(coordinator_client, clinic.appointment(participant, "V2"), number=1).status_code == 201
    refused(_session(coordinator_client, clinic.appointment(participant, "V3"), number=1), 409, code="duplicate")
    refused(_session(coordinator_client, clinic.appointment(participant, "V3"), number=8), 400, field="session_number")
    assert TherapySession.objects.count() == 1


def test_an_attended_session_needs_an_attended_visit(clinic, coordinator_client):
    participant = clinic.randomised()
    v3 = clinic.appointment(participant, "V3")
    missed = _visit(coordinator_client, v3, clinic.day(participant, 14), attended=False, missed_reason="unwell")
    assert missed.status_code == 201, missed.json()
    refused(_session(coordinator_client, v3, number=2), 409, code="visit_missed")
    assert not TherapySession.objects.exists()
    # That the session did not take place may still be recorded.
    not_held = _session(coordinator_client, v3, number=2, attended=False, minutes=0)
    assert not_held.status_code == 201, not_held.json()
