"""The booking page through the test client: the window shown, date, time and place saved through
the booking service, refusals next to their field (400, nothing written), the way back to where the
form was opened from, other sites' appointments, closed appointments and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import Appointment, Deviation
from tests.conftest import force_login_verified
from tests.participants.pages.test_schedule_pages import error_of
from tests.participants.visits_fixtures import row_counts

pytestmark = pytest.mark.django_db

D = dt.timedelta


def booking_url(appointment, back: str = "") -> str:
    return f"/appointments/{appointment.pk}/booking/" + (f"?next={back}" if back else "")


@pytest.fixture
def v9(clinic) -> Appointment:
    return clinic.appointment(clinic.randomised(), "V9")


def test_the_page_shows_the_window_and_offers_the_sites_name_as_the_place(signed_in, v9):
    page = signed_in.get(booking_url(v9))
    assert page.status_code == 200
    html = page.content.decode()
    for day in (v9.window_start, v9.target_date, v9.window_end):
        assert f"{day:%-d %B %Y}" in html
    assert '<datalist id="booking-places"><option value="Exeter">' in html
    assert 'name="place" value="Exeter"' in html
    assert 'list="booking-places"' in html


def test_a_booking_is_saved_and_returns_to_the_dashboard_it_came_from(signed_in, v9):
    body = {"booked_date": str(v9.window_start + D(1)), "booked_time": "09:30", "place": "Exeter, room 4", "next": "/"}
    response = signed_in.post(booking_url(v9), body)
    assert (response.status_code, response["Location"]) == (302, "/")
    v9.refresh_from_db()
    assert (v9.booked_date, v9.booked_time, v9.place) == (v9.window_start + D(1), dt.time(9, 30), "Exeter, room 4")
    # the place used is offered at the site's next booking
    assert '<option value="Exeter, room 4">' in signed_in.get(booking_url(v9)).content.decode()


def test_without_a_way_back_a_booking_returns_to_the_casebook(signed_in, v9):
    response = signed_in.post(booking_url(v9), {"booked_date": str(v9.target_date), "booked_time": "", "place": ""})
    assert response["Location"] == f"/participants/{v9.participant.study_id}/"


@pytest.mark.parametrize("back", ["https://elsewhere.example/", "//elsewhere.example/", "javascript:alert(1)"])
def test_a_way_back_off_the_site_is_not_followed(signed_in, v9, back):
    response = signed_in.post(booking_url(v9), {"booked_date": str(v9.target_date), "next": back})
    assert response["Location"] == f"/participants/{v9.participant.study_id}/"


def test_a_date_outside_the_window_asks_for_a_reason_next_to_the_field(signed_in, v9):
    before = row_counts()
    late = v9.window_end + D(2)
    response = signed_in.post(booking_url(v9), {"booked_date": str(late), "booked_time": "10:00", "place": "Exeter"})
    assert response.status_code == 400
    assert "A reason is needed outside the window" in error_of(response, "reason")
    assert row_counts() == before
    response = signed_in.post(
        booking_url(v9), {"booked_date": str(late), "booked_time": "10:00", "place": "Exeter", "reason": "abroad"}
    )
    assert response.status_code == 302
    assert Deviation.objects.filter(appointment=v9).count() == 1


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"booked_time": "25:61"}, "booked_time"),
        ({"place": "x" * 121}, "place"),
        ({"place": "Ketamine suite"}, "place"),
        ({"booked_date": "2025-02-30"}, "booked_date"),
    ],
)
def test_bad_input_answers_400_at_the_field_and_writes_nothing(signed_in, v9, typed, field):
    before = row_counts()
    response = signed_in.post(booking_url(v9), {"booked_date": str(v9.target_date), **typed})
    assert response.status_code == 400
    assert error_of(response, field)
    assert row_counts() == before
    v9.refresh_from_db()
    assert (v9.booked_time, v9.place) == (None, "")


def test_another_sites_appointment_is_a_404(client, clinic, v9):
    force_login_verified(client, clinic.user("coordinator", sites=["london"]))
    assert client.get(booking_url(v9)).status_code == 404
    assert client.post(booking_url(v9), {"booked_date": str(v9.target_date), "place": "London"}).status_code == 404
    v9.refresh_from_db()
    assert v9.place == ""


def test_a_closed_appointment_offers_no_form_and_refuses_a_post(signed_in, v9):
    Appointment.objects.filter(pk=v9.pk).update(status="cancelled")
    page = signed_in.get(booking_url(v9))
    assert page.status_code == 200
    assert b"cannot be booked" in page.content
    assert b"Save the booking" not in page.content
    response = signed_in.post(booking_url(v9), {"booked_date": str(v9.target_date), "place": "Exeter"})
    assert response.status_code == 400
    assert b"cannot be rescheduled" in response.content
    v9.refresh_from_db()
    assert v9.place == ""


def test_the_page_runs_the_same_queries_whatever_the_sites_bookings(signed_in, clinic, v9):
    signed_in.get(booking_url(v9))
    with CaptureQueriesContext(connection) as few:
        signed_in.get(booking_url(v9))
    for n in range(3):
        other = clinic.appointment(clinic.randomised(), "V9")
        Appointment.objects.filter(pk=other.pk).update(place=f"Room {n}")
    with CaptureQueriesContext(connection) as more:
        html = signed_in.get(booking_url(v9)).content.decode()
    assert '<option value="Room 2">' in html
    assert len(more) == len(few)


def test_the_casebook_shows_the_booked_time_and_place_and_links_open_appointments_to_their_booking(
    signed_in, clinic, v9
):
    signed_in.post(booking_url(v9), {"booked_date": str(v9.target_date), "booked_time": "14:05", "place": "Exeter"})
    html = signed_in.get(f"/participants/{v9.participant.study_id}/").content.decode()
    row = html.split(f"{v9.event_code}: {v9.title}", 1)[1].split("</tr>", 1)[0]
    assert f"{v9.target_date:%-d %b %Y}<br>14:05" in row
    assert '<span class="hint place">Exeter</span>' in row
    assert f'href="/appointments/{v9.pk}/booking/">Rebook' in row
    done = clinic.appointment(v9.participant, "V1")  # the baseline, done before randomisation
    assert f"/appointments/{done.pk}/booking/" not in html
    v8 = clinic.appointment(v9.participant, "V8")
    assert f'href="/appointments/{v8.pk}/booking/">Book' in html
