"""Booking an appointment: its date, time and place through one service (``appointment_reschedule``)
and the API's reschedule endpoint."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Conflict, Invalid
from participants.models import Appointment, Deviation
from participants.schedule import services as schedule
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts

pytestmark = pytest.mark.django_db

D = dt.timedelta


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def v9(clinic) -> Appointment:
    return clinic.appointment(clinic.randomised(), "V9")


def _book(client, appointment, **body):
    return client.post(f"/api/appointments/{appointment.pk}/reschedule/", body, format="json")


# --- the service -----------------------------------------------------------------------------------


def test_booking_stores_the_date_time_and_place_together(clinic, v9):
    day = v9.window_start + D(2)
    booked = schedule.appointment_reschedule(
        actor=clinic.coordinator,
        appointment=v9,
        booked_date=day,
        booked_time=dt.time(9, 30),
        place="  Exeter   room 4 ",
    )
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time, v9.place) == (day, dt.time(9, 30), "Exeter room 4")
    assert booked.place == "Exeter room 4"
    assert not Deviation.objects.exists()


def test_a_time_or_place_not_given_stays_and_a_null_time_clears(clinic, v9):
    schedule.appointment_reschedule(
        actor=clinic.coordinator, appointment=v9, booked_date=v9.target_date, booked_time=dt.time(14), place="Exeter"
    )
    schedule.appointment_reschedule(actor=clinic.coordinator, appointment=v9, booked_date=v9.window_end)
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time, v9.place) == (v9.window_end, dt.time(14), "Exeter")
    schedule.appointment_reschedule(
        actor=clinic.coordinator, appointment=v9, booked_date=v9.window_end, booked_time=None, place=""
    )
    v9.refresh_from_db()
    assert (v9.booked_time, v9.place) == (None, "")


def test_a_date_outside_the_window_without_a_reason_is_refused_at_the_reason(clinic, v9):
    before = row_counts()
    with pytest.raises(Invalid) as refusal:
        schedule.appointment_reschedule(
            actor=clinic.coordinator, appointment=v9, booked_date=v9.window_end + D(1), booked_time=dt.time(10)
        )
    assert list(refusal.value.fields) == ["reason"]
    assert str(v9.window_end) in refusal.value.fields["reason"][0]
    assert row_counts() == before
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time) == (v9.target_date, None)


def test_a_date_outside_the_window_with_a_reason_records_a_deviation_and_the_time(clinic, v9):
    day = v9.window_end + D(3)
    schedule.appointment_reschedule(
        actor=clinic.coordinator, appointment=v9, booked_date=day, booked_time=dt.time(11), reason="away until then"
    )
    [deviation] = Deviation.objects.filter(appointment=v9)
    assert "away until then" in deviation.description
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time) == (day, dt.time(11))


@pytest.mark.parametrize("status", ["done", "missed", "cancelled"])
def test_a_closed_appointment_cannot_be_booked(clinic, v9, status):
    Appointment.objects.filter(pk=v9.pk).update(status=status)
    v9.refresh_from_db()
    with pytest.raises(Conflict) as refusal:
        schedule.appointment_reschedule(
            actor=clinic.coordinator, appointment=v9, booked_date=v9.target_date, booked_time=dt.time(9)
        )
    assert refusal.value.code == "not_open"


@pytest.mark.parametrize("place", ["Therapy room", "the KETAMINE suite", "Room KT", "alcohol education room"])
def test_a_place_naming_a_level_drug_or_arm_is_refused(clinic, v9, place):
    with pytest.raises(Invalid) as refusal:
        schedule.appointment_reschedule(
            actor=clinic.coordinator, appointment=v9, booked_date=v9.target_date, place=place
        )
    assert list(refusal.value.fields) == ["place"]
    v9.refresh_from_db()
    assert v9.place == ""


def test_a_blinded_coordinator_books(clinic, v9):
    from participants.blinding import visible_for_participant

    assert "drug" not in visible_for_participant(user=clinic.coordinator, participant=v9.participant)
    response = _book(client_for(clinic.coordinator), v9, booked_date=str(v9.target_date), booked_time="08:15")
    assert response.status_code == 200, response.json()
    v9.refresh_from_db()
    assert v9.booked_time == dt.time(8, 15)


@pytest.mark.postgres
def test_the_audit_trail_keeps_the_booking_with_a_default_reason_inside_the_window(clinic, v9):
    from django.db.models import Q

    from core import history

    schedule.appointment_reschedule(
        actor=clinic.coordinator, appointment=v9, booked_date=v9.target_date, booked_time=dt.time(8, 15), place="Exeter"
    )
    [event] = [e for e in history.events_for([(Appointment, Q(pgh_obj_id=v9.pk))]) if e["label"] == "update"]
    assert event["reason"] == "booked within the window"
    assert event["actor"] == clinic.coordinator.get_username()
    assert event["changes"]["booked_time"] == [None, "08:15:00"]
    assert event["changes"]["place"] == ["", "Exeter"]


def test_a_role_that_may_not_enter_data_cannot_book(clinic, v9):
    from core.errors import Forbidden

    with pytest.raises(Forbidden):
        schedule.appointment_reschedule(
            actor=clinic.user("unblinded_statistician"), appointment=v9, booked_date=v9.target_date, place="Exeter"
        )


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_books_a_time_and_place_and_answers_them(clinic, v9):
    client = client_for(clinic.coordinator)
    response = _book(client, v9, booked_date=str(v9.window_start), booked_time="13:45", place="Exeter")
    assert response.status_code == 200, response.json()
    assert (response.json()["booked_time"], response.json()["place"]) == ("13:45:00", "Exeter")
    listed = client.get(f"/api/participants/{v9.participant.study_id}/appointments/?page_size=100").json()["results"]
    shown = next(a for a in listed if a["event_code"] == "V9")
    assert (shown["booked_time"], shown["place"]) == ("13:45:00", "Exeter")
    worklist = client.get(f"/api/appointments/?due_before={v9.window_start}&page_size=100").json()["results"]
    assert ("V9", "13:45:00", "Exeter") in {(a["event_code"], a["booked_time"], a["place"]) for a in worklist}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"booked_time": "25:61"}, "booked_time"),
        ({"booked_time": "half past nine"}, "booked_time"),
        ({"place": "x" * 121}, "place"),
        ({"place": "Education room"}, "place"),
        ({"booked_date": "2025-02-30"}, "booked_date"),
    ],
)
def test_bad_booking_input_answers_400_at_the_field_and_writes_nothing(clinic, v9, body, field):
    client = client_for(clinic.coordinator)
    before = row_counts()
    refused(_book(client, v9, **{"booked_date": str(v9.target_date), **body}), 400, field=field)
    assert row_counts() == before
    v9.refresh_from_db()
    assert (v9.booked_time, v9.place) == (None, "")


def test_another_sites_appointment_is_a_404_and_stays_as_it_was(clinic, v9):
    london = client_for(clinic.user("coordinator", sites=["london"]))
    refused(_book(london, v9, booked_date=str(v9.target_date), booked_time="10:00", place="London"), 404)
    v9.refresh_from_db()
    assert (v9.booked_time, v9.place) == (None, "")


def test_a_replayed_booking_outside_the_window_records_one_deviation(clinic, v9):
    client = client_for(clinic.coordinator)
    body = {"booked_date": str(v9.window_end + D(1)), "booked_time": "10:00", "reason": "away"}
    assert _book(client, v9, **body).status_code == 200
    assert _book(client, v9, **{**body, "booked_time": "11:00"}).status_code == 200
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time) == (v9.window_end + D(1), dt.time(11))
    assert Deviation.objects.filter(appointment=v9).count() == 1
    # another date outside the window is another deviation
    assert _book(client, v9, **{**body, "booked_date": str(v9.window_end + D(2))}).status_code == 200
    assert Deviation.objects.filter(appointment=v9).count() == 2


def test_booking_answers_the_participants_request_to_reschedule(clinic, v9):
    from reminders.models import ParticipantResponse, ResponseKind

    client = client_for(clinic.coordinator)
    ParticipantResponse.objects.create(
        participant=v9.participant, appointment=v9, kind=ResponseKind.RESCHEDULE, note="mornings"
    )

    def requests() -> list[int]:
        entries = client.get("/api/reminders/worklist/?page_size=100").json()["results"]
        return [e["appointment_id"] for e in entries if e["what"] == "reschedule"]

    assert requests() == [v9.pk]
    # the same date, time and place still answers it: the site has looked at the request
    assert _book(client, v9, booked_date=str(v9.booked_date)).status_code == 200
    assert requests() == []
