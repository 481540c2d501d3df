"""The site dashboard, in the browser and through the test client."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import hidden_words_in, serious_violations
from tests.conftest import PASSWORD, force_login_verified


def test_signing_in_through_the_form_lands_on_the_dashboard(web, kare, make_user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    coordinator = make_user("coordinator", kare, username="casey")
    device = TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=True)
    page = web.page
    web.open("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.url == web.url + "/"
    assert serious_violations(page) == []


@pytest.mark.django_db
def test_the_dashboard_asks_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


@pytest.mark.django_db
def test_the_dashboard_asks_for_the_second_factor_of_one_who_needs_it(client, kare, make_user):
    coordinator = make_user("coordinator", kare)
    client.force_login(coordinator)  # the password alone: KARE's coordinators see a factor, so need a code
    response = client.get("/")
    assert response.status_code == 302
    force_login_verified(client, coordinator)
    assert client.get("/").status_code == 200


# --- what the dashboard lists -------------------------------------------------------------------------

KARE_DRUG_WORDS = ["ketamine", "placebo"]


@pytest.fixture
def site_people(kare, make_user):
    from participants.randomisation import services as randomisation
    from tests.participants.conftest import LIST_SEED, People

    statistician = make_user("unblinded_statistician", kare)
    randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=10, seed=LIST_SEED)
    coordinator = make_user("coordinator", kare, sites=["exeter"])
    return People(kare, make_user("coordinator", kare)), coordinator


def today() -> dt.date:
    return dt.date.today()


def _dashboard(client, user) -> str:
    force_login_verified(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_week_lists_each_appointment_with_its_form_and_the_participants_name(client, site_people):
    people, coordinator = site_people
    participant = people.randomised()
    page = _dashboard(client, coordinator)
    v2 = participant.appointments.get(event_code="V2")
    assert f"/appointments/{v2.pk}/infusion-day/" in page
    assert f"/participants/{participant.study_id}/" in page
    assert "window opens" in page
    assert participant.identity.first_name in page


@pytest.mark.django_db
def test_each_row_reads_its_booking_and_window_as_day_and_month(client, site_people):
    people, coordinator = site_people
    v2 = people.randomised().appointments.get(event_code="V2")
    page = _dashboard(client, coordinator)
    booked, start, end = v2.booked_date, v2.window_start, v2.window_end
    assert f'<td data-label="Booked">{booked:%a} {booked.day} {booked:%b}\n' in page  # its Book link below
    assert f'<td data-label="Window">{start.day} {start:%b} to {end.day} {end:%b}</td>' in page


@pytest.mark.django_db
def test_names_stay_hidden_from_a_role_that_may_not_read_identities(client, kare, make_user, site_people):
    people, _ = site_people
    participant = people.randomised()
    pharmacist = make_user("pharmacist", kare, sites=["exeter"])
    page = _dashboard(client, pharmacist)
    assert participant.study_id in page
    assert participant.identity.first_name not in page


@pytest.mark.django_db
def test_another_sites_appointments_are_not_listed(client, site_people):
    people, coordinator = site_people
    london = people.randomised(site="london")
    page = _dashboard(client, coordinator)
    assert london.study_id not in page


@pytest.mark.django_db
def test_a_participant_withdrawn_from_follow_up_has_nothing_due(client, site_people):
    from participants.enrolment.services import withdrawal_record

    people, coordinator = site_people
    participant = people.randomised()
    v2 = participant.appointments.get(event_code="V2")
    withdrawal_record(
        actor=people.coordinator, participant=participant, scope="follow_up", withdrawn_on=today(), reason="moved away"
    )
    page = _dashboard(client, coordinator)
    assert "withdrawn from follow-up" in page
    assert f"/appointments/{v2.pk}/infusion-day/" not in page


@pytest.mark.django_db
def test_a_window_that_closed_without_a_visit_reads_as_closed(client, site_people):
    import time_machine

    people, coordinator = site_people
    participant = people.randomised()
    v2 = participant.appointments.get(event_code="V2")
    with time_machine.travel(dt.datetime.combine(v2.window_end + dt.timedelta(days=2), dt.time(12)), tick=False):
        page = _dashboard(client, coordinator)
    assert f"window closed {v2.window_end:%-d %b}" in page


@pytest.mark.django_db
def test_the_dashboard_runs_the_same_queries_for_one_participant_or_five(client, site_people):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people, coordinator = site_people
    people.randomised()
    force_login_verified(client, coordinator)
    client.get("/")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for _ in range(4):
        _asks_to_reschedule(_booked_today(people, people.randomised(), dt.time(9)))
    with CaptureQueriesContext(connection) as five:
        page = client.get("/").content.decode()
    assert page.count("/infusion-day/") == 5
    assert page.count(": rebook</a>") == 4
    assert len(five) == len(one)


def test_the_dashboard_in_the_browser_names_no_hidden_level_and_passes_axe(web, site_people):
    people, coordinator = site_people
    for _ in range(3):
        people.randomised()
    web.sign_in(coordinator)
    web.open("/")
    web.page.get_by_role("heading", name="This week").wait_for()
    assert hidden_words_in(web.page, KARE_DRUG_WORDS) == []
    assert serious_violations(web.page) == []


@pytest.mark.django_db
def test_a_long_week_shows_its_first_rows_and_offers_the_rest(client, site_people, monkeypatch):
    from trialtracker import dashboard_rows

    people, coordinator = site_people
    for _ in range(3):
        people.randomised()
    monkeypatch.setattr(dashboard_rows, "SHOWN", 2)
    page = _dashboard(client, coordinator)
    assert page.count("/infusion-day/") == 2
    assert "The first 2 of " in page
    assert client.get("/?show=all").content.decode().count("/infusion-day/") == 3


# --- times, places and booking ------------------------------------------------------------------------


def _booked_today(people, participant, at: dt.time | None, place: str = "Exeter"):
    """The participant's V2 booked today at ``at`` (the window opens on the randomisation's next day:
    booked before it, with a reason)."""
    from participants.schedule import services as schedule

    v2 = participant.appointments.get(event_code="V2")
    schedule.appointment_reschedule(
        actor=people.coordinator, appointment=v2, booked_date=today(), booked_time=at, place=place, reason="came early"
    )
    return v2


def _asks_to_reschedule(appointment):
    from reminders.models import ParticipantResponse, ResponseKind

    return ParticipantResponse.objects.create(
        participant=appointment.participant, appointment=appointment, kind=ResponseKind.RESCHEDULE
    )


@pytest.mark.django_db
def test_todays_appointments_show_their_time_and_place_in_time_order(client, site_people):
    people, coordinator = site_people
    late = _booked_today(people, people.randomised(), dt.time(15, 30), place="Exeter, room 2")
    early = _booked_today(people, people.randomised(), dt.time(8, 45), place="Exeter, room 7")
    untimed = _booked_today(people, people.randomised(), None)
    page = _dashboard(client, coordinator)
    today_table = page.split('id="today-title"', 1)[1].split('id="week-title"', 1)[0]
    for shown in ("08:45", "Exeter, room 7", "15:30", "Exeter, room 2"):
        assert shown in today_table
    positions = [today_table.index(a.participant.study_id) for a in (early, late, untimed)]
    assert positions == sorted(positions)
    assert f'/appointments/{early.pk}/booking/?next=/">Rebook' in today_table
    assert f'/appointments/{untimed.pk}/booking/?next=/">Book' in today_table
    assert f"/appointments/{early.pk}/infusion-day/" in today_table


@pytest.mark.django_db
def test_a_reschedule_request_leads_to_the_booking_page_and_goes_once_booked(client, site_people):
    people, coordinator = site_people
    v2 = people.randomised().appointments.get(event_code="V2")
    _asks_to_reschedule(v2)
    page = _dashboard(client, coordinator)
    requests = page.split('id="reschedule-title"', 1)[1]
    assert f'href="/appointments/{v2.pk}/booking/?next=/"' in requests
    response = client.post(
        f"/appointments/{v2.pk}/booking/",
        {"booked_date": str(v2.window_start), "booked_time": "11:15", "place": "Exeter", "next": "/"},
    )
    assert (response.status_code, response["Location"]) == (302, "/")
    requests = client.get("/").content.decode().split('id="reschedule-title"', 1)[1]
    assert f"/appointments/{v2.pk}/booking/" not in requests
