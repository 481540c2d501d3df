"""Contact preferences refused with clear errors; the participant's page for confirming,
rescheduling and the diary; opt-out links; the coordinators' worklist and digest; re-planning
after an amendment of the reminder policy."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import jsonschema_rs
import pytest
import yaml
from django.core import mail
from django.core.management import call_command

from participants.models import Appointment, Identity, StaffNotification
from participants.randomisation import services as randomisation
from reminders import links
from reminders.models import ContactPreference, Kind, Notification, ParticipantResponse, State
from reminders.services import coordinator_digest_send
from tests.conftest import ROOT
from tests.participants.conftest import People
from tests.reminders.conftest import LONDON, MOBILE, Contacts, london, pending
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db


def _refused(response, field: str) -> dict:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    return error


@pytest.fixture
def enrolled(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.enrolled()


@pytest.fixture
def staff(api, coordinator):
    api.force_authenticate(coordinator)
    return api


def _put(api, participant, **values):
    body = {"email_consent": True, "sms_consent": True, **values}
    return api.put(f"/api/participants/{participant.study_id}/contact-preferences/", body, format="json")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"time_zone": "Europe/Londres"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"language": "xx"}, "language"),
    ],
)
def test_bad_preferences_are_refused_and_nothing_is_written(staff, enrolled, values, field):
    _refused(_put(staff, enrolled, **values), field)
    assert not ContactPreference.objects.exists()


@pytest.mark.parametrize(
    ("phone", "email", "field"),
    [
        ("07911 123456", "a@example.org", "sms_consent"),  # not E.164
        ("+447700900123", "a@example.org", "sms_consent"),  # a drama number: no real line
        ("+4479", "a@example.org", "sms_consent"),
        (MOBILE, "not-an-address", "email_consent"),
    ],
)
def test_consent_to_a_channel_needs_a_valid_contact_detail(staff, enrolled, phone, email, field):
    Identity.objects.filter(participant=enrolled).update(phone=phone, email=email)
    error = _refused(_put(staff, enrolled), field)
    assert "not" in error["fields"][field][0]
    assert not ContactPreference.objects.exists()


def test_overnight_quiet_hours_are_accepted_and_shown(staff, enrolled):
    response = _put(staff, enrolled, quiet_start="22:00", quiet_end="07:00", time_zone="Europe/London")
    assert response.status_code == 200, response.content
    assert response.json()["quiet_start"] == "22:00:00"
    got = staff.get(f"/api/participants/{enrolled.study_id}/contact-preferences/").json()
    assert got["quiet_end"] == "07:00:00"
    assert got["sms_consent"] is True


def test_times_are_answered_as_the_schema_documents_them(staff, enrolled):
    """Wall-clock times without an offset, which the ``time`` format of JSON Schema would refuse."""
    answer = _put(staff, enrolled, preferred_time="09:30", quiet_start="22:00", quiet_end="07:00").json()
    schema = staff.get("/api/schema/?format=json").json()["components"]["schemas"]["ContactPreference"]
    for name in ("preferred_time", "quiet_start", "quiet_end"):
        documented = jsonschema_rs.Draft4Validator(schema["properties"][name], validate_formats=True)
        assert documented.is_valid(answer[name]), (name, answer[name], schema["properties"][name])


def test_preferences_are_not_for_roles_that_may_not_read_identities(api, enrolled, kare, make_user):
    api.force_authenticate(make_user("outcome_assessor", kare))
    assert _put(api, enrolled).status_code == 403


# --- the participant's page -------------------------------------------------------------------------


@pytest.fixture
def reminder(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    return pending(participant).filter(appointment__event_code="V9", channel="sms").first()


def _path(n) -> str:
    return f"/r/{links.token_for(n.pk)}/"


def test_confirming_works_once_and_a_used_link_says_so(client, reminder):
    page = client.get(_path(reminder))
    assert page.status_code == 200
    assert b"Monday 27 October 2025" in page.content
    assert b"Quillfeather" not in page.content
    assert client.post(_path(reminder), {"action": "confirm"}).status_code == 200
    assert ParticipantResponse.objects.filter(kind="confirm", appointment=reminder.appointment).count() == 1
    again = client.post(_path(reminder), {"action": "confirm"})
    assert again.status_code == 410
    assert b"already been used" in again.content
    assert ParticipantResponse.objects.count() == 1


def test_asking_to_reschedule_tells_the_coordinators_and_the_worklist(
    client, reminder, staff, coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_path(reminder), {"action": "reschedule", "note": "mornings are better"})
    assert response.status_code == 200
    note = StaffNotification.objects.get(kind="reschedule_request", recipient=coordinator)
    assert "mornings are better" in note.body
    assert "Quillfeather" not in note.body
    entries = staff.get("/api/reminders/worklist/").json()["results"]
    assert [(e["what"], e["event_code"]) for e in entries] == [("reschedule", "V9")]


@pytest.mark.parametrize("token", ["1:abc:def", "garbage", "12345"])
def test_a_forged_link_gets_a_clear_page_and_changes_nothing(client, reminder, token):
    response = client.post(f"/r/{token}/", {"action": "confirm"})
    assert response.status_code == 404
    assert b"do not recognise this link" in response.content
    assert not ParticipantResponse.objects.exists()


def test_a_link_for_another_reminder_cannot_be_made_by_changing_the_id(client, reminder):
    _, _, rest = links.token_for(reminder.pk).partition(":")
    response = client.get(f"/r/{reminder.pk + 1}:{rest}/")
    assert response.status_code == 404


def test_an_expired_link_gets_a_clear_page(client, reminder, clock, settings):
    token = links.token_for(reminder.pk)
    clock.go(london(2025, 7, 28, 11) + dt.timedelta(days=settings.REMINDERS_LINK_MAX_AGE_DAYS, minutes=1))
    response = client.post(f"/r/{token}/", {"action": "confirm"})
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not ParticipantResponse.objects.exists()


def test_the_email_opt_out_link_stops_email_at_once(client, reminder, dispatch, clock, email_outbox):
    participant = reminder.participant
    email = pending(participant).filter(channel="email").first()
    clock.go(email.due_at)
    dispatch()
    assert len(email_outbox) == 1
    message = email_outbox[0]
    unsubscribe = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in message.body
    path = unsubscribe.removeprefix("https://trials.example.org")
    assert client.get(path).status_code == 200  # a GET (a mail scanner) changes nothing
    assert pending(participant).filter(channel="email").exists()
    assert client.post(path).status_code == 200
    assert not pending(participant).filter(channel="email").exists()
    assert pending(participant).filter(channel="sms").exists()
    assert ContactPreference.objects.get(participant=participant).email_opted_out_at is not None


# --- the daily diary (MORE-KARE) ---------------------------------------------------------------------


@pytest.fixture
def diarist(clock, more_kare, make_user):
    clock.go(london(2025, 3, 20, 11))
    coordinator = make_user("coordinator", more_kare)
    contacts = Contacts(People(more_kare, coordinator), coordinator)
    participant = contacts.enrolled()
    contacts.prefer(participant, preferred_time=dt.time(20, 30), email_consent=False)
    randomisation.participant_randomise(actor=coordinator, participant=participant)
    return participant


def test_diary_prompts_come_daily_at_the_chosen_time_across_the_march_change(diarist, clock, settings):
    rows = list(pending(diarist).filter(kind=Kind.DIARY))
    # Planned a few days ahead (REMINDERS_DIARY_HORIZON_DAYS), from the day of randomisation.
    horizon = settings.REMINDERS_DIARY_HORIZON_DAYS
    assert [n.subject_date for n in rows] == [dt.date(2025, 3, 20) + dt.timedelta(days=i) for i in range(horizon)]
    assert {n.due_at.astimezone(LONDON).time() for n in rows} == {dt.time(20, 30)}
    assert {n.channel for n in rows} == {"sms"}
    # The horizon moves on with the daily planning; 30 March 2025 is the first day of summer time.
    clock.go(london(2025, 3, 28, 1))
    call_command("replan_reminders", "--trial", "MORE-KARE", "--system", stdout=StringIO())
    by_day = {n.subject_date: n.due_at for n in pending(diarist).filter(kind=Kind.DIARY)}
    assert by_day[dt.date(2025, 3, 29)] == dt.datetime(2025, 3, 29, 20, 30, tzinfo=dt.UTC)
    assert by_day[dt.date(2025, 3, 30)] == dt.datetime(2025, 3, 30, 19, 30, tzinfo=dt.UTC)


def test_a_diary_report_covers_the_days_since_the_last_one(diarist, clock, client):
    clock.go(london(2025, 3, 23, 12))
    call_command("replan_reminders", "--trial", "MORE-KARE", "--system", stdout=StringIO())
    first = pending(diarist).filter(kind=Kind.DIARY, subject_date=dt.date(2025, 3, 23)).first()
    clock.go(london(2025, 3, 23, 21))
    page = client.get(_path(first))
    assert page.status_code == 200
    for day in ("Thursday 20 March", "Friday 21 March", "Saturday 22 March"):
        assert day.encode() in page.content
    bad = client.post(_path(first), {"day_2025-03-20": "-1", "day_2025-03-21": "x", "day_2025-03-22": "2"})
    assert bad.status_code == 400
    assert b"cannot be negative" in bad.content
    assert not ParticipantResponse.objects.exists()
    ok = client.post(_path(first), {"day_2025-03-20": "0", "day_2025-03-21": "4.5", "day_2025-03-22": "2"})
    assert ok.status_code == 200
    report = ParticipantResponse.objects.get(kind="diary")
    assert report.payload["amounts"] == {"2025-03-20": "0", "2025-03-21": "4.5", "2025-03-22": "2"}
    clock.go(london(2025, 3, 24, 21))
    call_command("replan_reminders", "--trial", "MORE-KARE", "--system", stdout=StringIO())
    nxt = pending(diarist).filter(kind=Kind.DIARY, subject_date=dt.date(2025, 3, 25)).first()
    page = client.get(_path(nxt))
    assert b'name="day_2025-03-23"' in page.content
    assert b'name="day_2025-03-22"' not in page.content  # shown as already saved, not asked again


# --- coordinators ------------------------------------------------------------------------------------


def test_overdue_visits_and_failed_reminders_reach_the_worklist_and_the_digest(
    clock, contacts, staff, coordinator, django_capture_on_commit_callbacks
):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    Notification.objects.filter(participant=participant, appointment__event_code="V3").update(
        state=State.FAILED, last_error="the mobile number is not a valid number"
    )
    clock.go(london(2025, 8, 20, 12))  # V2's window closed on 11 August
    entries = staff.get("/api/reminders/worklist/").json()["results"]
    assert ("overdue", "V2") in {(e["what"], e["event_code"]) for e in entries}
    assert ("failed", "V3") in {(e["what"], e["event_code"]) for e in entries}
    with django_capture_on_commit_callbacks(execute=True):
        assert coordinator_digest_send() == 1
        assert coordinator_digest_send() == 0  # once a day
    assert len(mail.outbox) == 1
    assert participant.study_id in mail.outbox[0].body
    assert "Quillfeather" not in mail.outbox[0].body


def test_the_worklist_is_scoped_to_the_callers_sites(clock, contacts, api, kare, make_user):
    clock.go(london(2025, 7, 28, 11))
    contacts.randomised(site="exeter")
    clock.go(london(2025, 8, 20, 12))
    api.force_authenticate(make_user("coordinator", kare, sites=["london"]))
    assert api.get("/api/reminders/worklist/").json()["count"] == 0


def test_an_amended_policy_replans_pending_reminders_with_a_dry_run_first(clock, contacts, kare):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    before = {n.pk: n.due_at for n in pending(participant)}
    document = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text())
    document["version"] = {"label": "1.1", "effective_date": "2025-07-28"}
    document["reminders"]["policies"][0] = {
        "event_kind": "follow_up",
        "offsets_days": [-2],
        "channels": ["sms"],
        "time_of_day": "18:00",
    }
    protocol_load(protocol=validate(document), amend=True, reason="fewer follow-up reminders")
    out = StringIO()
    call_command("replan_reminders", "--trial", "KARE", "--system", "--dry-run", stdout=out)
    assert "dry run, nothing written" in out.getvalue()
    assert "4 to create" not in out.getvalue()
    assert "2 to create" in out.getvalue()
    assert "12 to cancel" in out.getvalue()
    assert {n.pk: n.due_at for n in pending(participant)} == before
    call_command("replan_reminders", "--trial", "KARE", "--system", stdout=StringIO())
    follow_ups = pending(participant).filter(appointment__kind="follow_up")
    assert sorted((n.appointment.event_code, n.offset_days, n.channel) for n in follow_ups) == [
        ("V10", -2, "sms"),
        ("V9", -2, "sms"),
    ]
    assert {n.due_at.astimezone(LONDON).time() for n in follow_ups} == {dt.time(18)}
    v9 = Appointment.objects.get(participant=participant, event_code="V9")
    assert Notification.objects.filter(appointment=v9, state=State.CANCELLED).count() == 6


# --- the participant's language ------------------------------------------------------------------------


def test_a_participant_who_reads_spanish_gets_the_page_in_spanish(client, clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised(prefs={"language": "es"})
    reminder = pending(participant).filter(appointment__event_code="V9", channel="sms").first()
    page = client.get(_path(reminder))
    assert page.status_code == 200
    assert page["Content-Language"] == "es"
    assert b'<html lang="es">' in page.content
    assert "Su cita es el <strong>lunes 27 de octubre de 2025</strong>." in page.content.decode()
    assert "Allí estaré" in page.content.decode()
    refused = client.post(_path(reminder), {"action": "neither"})
    assert refused.status_code == 400
    assert "Elija una opción." in refused.content.decode()
    done = client.post(_path(reminder), {"action": "confirm"})
    assert "Le esperamos el lunes 27 de octubre." in done.content.decode()


def test_a_link_that_names_nobody_answers_in_the_browsers_language_if_spoken(client):
    spanish = client.get("/r/not-a-token/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9")
    assert spanish.status_code == 404
    assert "No reconocemos este enlace." in spanish.content.decode()
    welsh = client.get("/r/not-a-token/", HTTP_ACCEPT_LANGUAGE="cy")
    assert "We do not recognise this link." in welsh.content.decode()
    assert welsh["Content-Language"] == "en"


def test_the_opt_out_page_speaks_the_participants_language(client, reminder, contacts):
    contacts.prefer(reminder.participant, language="es")
    path = links.opt_out_url(reminder.participant.pk, "email").split("trials.example.org", 1)[1]
    page = client.get(path)
    assert "Dejar de recibir correos" in page.content.decode()
    assert "No recibirá más recordatorios por correo electrónico." in client.post(path).content.decode()
