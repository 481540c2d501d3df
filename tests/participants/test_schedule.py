"""Appointments from the KARE schedule: materialised at randomisation, re-dated along chains,
rescheduled, cancelled, added unscheduled and changed by an amendment of the protocol."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from participants.models import Appointment, AppointmentStatus, Deviation, DeviationKind
from participants.schedule import selectors as schedule_selectors
from participants.schedule import services as schedule
from tests.conftest import ROOT
from tests.participants.conftest import days_ago
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db

D = dt.timedelta


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def coordinator_client(clinic):
    return client_for(clinic.coordinator)


def _schedule(client, participant) -> dict[str, dict]:
    response = client.get(f"/api/participants/{participant.study_id}/appointments/?page_size=100")
    assert response.status_code == 200, response.json()
    return {a["event_code"]: a for a in response.json()["results"]}


# --- dates from the schedule -----------------------------------------------------------------------


def test_chained_events_count_from_the_actual_date_of_their_anchor(kare):
    protocol = kare.version_on().protocol
    r = dt.date(2024, 3, 1)
    planned = schedule.schedule_dates(protocol, anchor_date=r)
    late = schedule.schedule_dates(protocol, anchor_date=r, actual={"V2": r + D(10)})
    # V3 and V4 hang on V2 (targets V2+7 and V2+14), V5..V8 further down the chain: all move by 3.
    for code in ("V3", "V4", "V5", "V6", "V7", "V8"):
        assert [d - p for d, p in zip(late[code], planned[code], strict=True)] == [D(3)] * 3, code
    assert late["V3"] == (r + D(17), r + D(14), r + D(20))
    assert late["V4"] == (r + D(24), r + D(17), r + D(31))
    # Events anchored on randomisation stay where they were.
    for code in ("V1", "V2", "V9", "V10"):
        assert late[code] == planned[code], code


def test_randomisation_materialises_the_schedule_with_windows(clinic):
    participant = clinic.randomised()
    r = participant.allocation.allocated_on
    rows = {a.event_code: a for a in Appointment.objects.filter(participant=participant)}
    assert list(rows) == [f"V{n}" for n in range(1, 11)]
    assert (rows["V2"].target_date, rows["V2"].window_start, rows["V2"].window_end) == (r + D(7), r + D(1), r + D(14))
    assert (rows["V9"].target_date, rows["V9"].window_start, rows["V9"].window_end) == (
        r + D(91),
        r + D(77),
        r + D(105),
    )
    # The baseline was completed before randomisation: V1 is done on that date, the rest scheduled.
    assert (rows["V1"].status, rows["V1"].booked_date) == ("done", participant.baseline_completed_on)
    assert {a.status for code, a in rows.items() if code != "V1"} == {"scheduled"}


def _v2(status: str = AppointmentStatus.SCHEDULED) -> Appointment:
    start = dt.date(2024, 3, 2)
    return Appointment(window_start=start, window_end=start + D(13), booked_date=start + D(6), status=status)


@pytest.mark.parametrize(
    ("today_offset", "expected"),
    [(-1, "upcoming"), (0, "due"), (13, "due"), (14, "overdue")],
)
def test_display_status_follows_the_window(today_offset, expected):
    v2 = _v2()
    assert schedule_selectors.display_status(v2, v2.window_start + D(today_offset)) == expected


@pytest.mark.parametrize("status", ["done", "missed", "cancelled"])
def test_display_status_of_a_closed_appointment_is_its_status(status):
    v2 = _v2(status)
    assert schedule_selectors.display_status(v2, v2.window_start + D(20)) == status


@pytest.mark.parametrize(("offset", "expected"), [(-1, "early"), (0, "in_window"), (13, "in_window"), (14, "late")])
def test_window_state_places_a_day_against_the_window(offset, expected):
    v2 = _v2()
    assert schedule_selectors.window_state(v2, v2.window_start + D(offset)) == expected
    assert schedule_selectors.window_state(v2, None) == "in_window"  # the booking, when no day is given


# --- re-dating along the chain ---------------------------------------------------------------------


def test_a_late_infusion_visit_moves_the_targets_and_windows_chained_to_it(clinic, coordinator_client):
    participant = clinic.randomised()
    before = _schedule(coordinator_client, participant)
    clinic.attend(coordinator_client, participant, "V2", 10)  # target R+7: three days late, still in window
    after = _schedule(coordinator_client, participant)
    for code in ("V3", "V4"):
        for key in ("target_date", "window_start", "window_end", "booked_date"):
            moved = dt.date.fromisoformat(after[code][key]) - dt.date.fromisoformat(before[code][key])
            assert moved == D(3), (code, key)
    assert after["V9"] == before["V9"]
    assert after["V2"]["window_state"] == "in_window"
    assert not Deviation.objects.filter(participant=participant).exists()


def test_a_booking_made_by_hand_stays_when_the_window_moves(clinic, coordinator_client):
    participant = clinic.randomised()
    v3 = clinic.appointment(participant, "V3")
    booked = v3.target_date + D(1)
    response = coordinator_client.post(f"/api/appointments/{v3.pk}/reschedule/", {"booked_date": str(booked)})
    assert response.status_code == 200, response.json()
    clinic.attend(coordinator_client, participant, "V2", 9)
    v3.refresh_from_db()
    assert v3.booked_date == booked
    assert v3.target_date == clinic.day(participant, 16)


# --- rescheduling and cancelling -------------------------------------------------------------------


def test_rescheduling_inside_the_window_needs_no_reason_and_is_no_deviation(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    booked = v9.window_end
    response = coordinator_client.post(f"/api/appointments/{v9.pk}/reschedule/", {"booked_date": str(booked)})
    assert response.status_code == 200, response.json()
    assert response.json()["booked_date"] == str(booked)
    assert not Deviation.objects.exists()


def test_rescheduling_outside_the_window_without_a_reason_is_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    before = row_counts()
    response = coordinator_client.post(
        f"/api/appointments/{v9.pk}/reschedule/", {"booked_date": str(v9.window_end + D(1))}
    )
    refused(response, 400, field="reason")
    assert row_counts() == before
    v9.refresh_from_db()
    assert v9.booked_date == v9.target_date


def test_rescheduling_outside_the_window_with_a_reason_records_a_deviation(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    booked = v9.window_end + D(2)
    response = coordinator_client.post(
        f"/api/appointments/{v9.pk}/reschedule/", {"booked_date": str(booked), "reason": "participant abroad"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["window_state"] == "late"
    [deviation] = Deviation.objects.filter(participant=participant)
    assert deviation.kind == DeviationKind.RESCHEDULED_OUT_OF_WINDOW
    assert (deviation.appointment_id, deviation.occurred_on, deviation.automatic) == (v9.pk, booked, True)
    assert "participant abroad" in deviation.description


def test_cancelling_needs_a_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused(coordinator_client.post(f"/api/appointments/{v9.pk}/cancel/", body), 400, field="reason")
    v9.refresh_from_db()
    assert v9.status == "scheduled"
    response = coordinator_client.post(f"/api/appointments/{v9.pk}/cancel/", {"reason": "moved to Canada"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["note"]) == ("cancelled", "moved to Canada")


def test_a_cancelled_appointment_cannot_be_rescheduled_or_visited(clinic, coordinator_client):
    participant = clinic.randomised()
    v9 = clinic.appointment(participant, "V9")
    assert coordinator_client.post(f"/api/appointments/{v9.pk}/cancel/", {"reason": "moved away"}).status_code == 200
    before = row_counts()
    refused(
        coordinator_client.post(f"/api/appointments/{v9.pk}/reschedule/", {"booked_date": str(v9.target_date)}),
        409,
        code="not_open",
    )
    refused(
        coordinator_client.post(
            f"/api/appointments/{v9.pk}/visit/", {"actual_date": str(v9.target_date), "attended": True}
        ),
        409,
        code="cancelled",
    )
    assert row_counts() == before


def test_an_unscheduled_visit_is_added_and_can_be_recorded(clinic, coordinator_client):
    participant = clinic.randomised()
    day = clinic.day(participant, 40)
    response = coordinator_client.post(
        f"/api/participants/{participant.study_id}/appointments/",
        {"booked_date": str(day), "title": "Review of a rash", "reason": "adverse event follow-up"},
    )
    assert response.status_code == 201, response.json()
    added = response.json()
    assert (added["event_code"], added["kind"], added["unscheduled"]) == ("U1", "unscheduled", True)
    assert (added["window_start"], added["window_end"]) == (str(day), str(day))
    visit = coordinator_client.post(
        f"/api/appointments/{added['id']}/visit/", {"actual_date": str(day), "attended": True}
    )
    assert visit.status_code == 201, visit.json()
    assert visit.json()["status"] == "done"
    assert "U1" in _schedule(coordinator_client, participant)


def test_an_unscheduled_visit_needs_a_title_and_a_reason(clinic, coordinator_client):
    participant = clinic.randomised()
    before = row_counts()
    response = coordinator_client.post(
        f"/api/participants/{participant.study_id}/appointments/",
        {"booked_date": str(days_ago(1)), "title": "", "reason": ""},
    )
    error = refused(response, 400)
    assert {"title", "reason"} <= set(error["fields"])
    assert row_counts() == before


# --- amendments ------------------------------------------------------------------------------------


def _amend_v9_window(window: list[int]) -> None:
    document = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text())
    document["version"] = {"label": "1.1", "effective_date": days_ago(1)}
    [v9] = [event for event in document["schedule"] if event["code"] == "V9"]
    v9["window"] = window
    protocol_load(
        protocol=validate(document), source="kare-1.1.yaml", amend=True, reason="wider 3-month follow-up window"
    )


def test_an_amended_window_changes_open_appointments_but_not_done_ones(clinic, coordinator_client):
    open_one, done_one = clinic.randomised(), clinic.randomised()
    clinic.attend(coordinator_client, done_one, "V9", 91)
    done_before = clinic.appointment(done_one, "V9")
    _amend_v9_window([-21, 21])
    changed = schedule.appointments_apply_amendment(
        trial=clinic.trial, actor=clinic.coordinator, reason="amendment 1.1"
    )
    assert changed > 0
    r = open_one.allocation.allocated_on
    v9 = clinic.appointment(open_one, "V9")
    assert (v9.window_start, v9.window_end, v9.target_date) == (r + D(70), r + D(112), r + D(91))
    assert v9.protocol_version.label == "1.1"
    done_after = clinic.appointment(done_one, "V9")
    assert (done_after.window_start, done_after.window_end, done_after.protocol_version_id) == (
        done_before.window_start,
        done_before.window_end,
        done_before.protocol_version_id,
    )
    # Other events of the open participant keep their dates; only the version they follow changes.
    assert clinic.appointment(open_one, "V10").window_start == r + D(168)
