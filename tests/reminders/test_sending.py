"""Sending: every condition re-checked when a reminder goes out, retries with backoff in the
database, giving up after a limit, and a second send of the same row doing nothing."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re

import pytest
from django.core.management import call_command

from participants.enrolment import services as enrolment
from participants.models import Appointment, Identity
from participants.schedule import services as schedule
from reminders import dispatch as dispatching
from reminders import sending, sms
from reminders.models import Kind, Notification, State
from tests.reminders.conftest import london, pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.randomised()


def _due_now(clock, participant, n=1):
    rows = list(pending(participant)[:n])
    clock.go(rows[-1].due_at)
    return rows


def test_a_due_reminder_goes_out_once_with_a_neutral_text(clock, participant, dispatch, sms_outbox, kare):
    (n,) = _due_now(clock, participant)
    dispatch()
    dispatch()
    n.refresh_from_db()
    assert n.state == State.SENT
    assert n.attempts == 1
    assert n.provider_message_id
    assert len(sms_outbox) == 1
    text = sms_outbox[0].body
    assert sms_outbox[0].idempotency_key == n.idempotency_key
    assert text.startswith("Hello Zebedee,")
    assert "https://trials.example.org/r/" in text
    words = re.sub(r"https://\S+", "", text).lower()
    forbidden = [kare.code, kare.title, "Quillfeather", "ketamine", "placebo", "alcohol", "therapy", "trial", "study"]
    forbidden += [arm.code for arm in kare.arms.all()]
    assert not [word for word in forbidden if re.search(rf"\b{re.escape(word.lower())}\b", words)]
    # What the participant needs to act: the site's neutral place and its number (the protocol's contact).
    assert "Clinical Research Facility, Barrack Road, Exeter" in text
    assert "+44 1632 960001" in text
    # A redelivered task finds the row sent and does nothing.
    assert sending.notification_send(notification_id=n.pk) == "skipped"
    assert len(sms_outbox) == 1


def test_nothing_goes_out_after_withdrawal_even_if_already_claimed(clock, participant, coordinator, sms_outbox):
    (n,) = _due_now(clock, participant)
    assert dispatching.notifications_claim() == [n.pk]
    enrolment.withdrawal_record(
        actor=coordinator, participant=participant, scope="follow_up", withdrawn_on=dt.date(2025, 7, 28), reason="x"
    )
    assert sending.notification_send(notification_id=n.pk) == "cancelled"
    n.refresh_from_db()
    assert n.state == State.CANCELLED
    assert "withdrew" in n.cancel_reason
    assert sms_outbox == []
    assert not pending(participant).exists()


def test_stopping_the_intervention_stops_only_infusion_and_therapy_reminders(participant, coordinator):
    enrolment.withdrawal_record(
        actor=coordinator, participant=participant, scope="intervention", withdrawn_on=dt.date(2025, 7, 28), reason="x"
    )
    kinds = set(pending(participant).values_list("appointment__kind", flat=True))
    assert kinds == {"follow_up"}


TWILIO_TOKEN = "a-twilio-auth-token"


def twilio_post(client, settings, path: str, data: dict):
    """POST as Twilio does, signed with the account's token (HMAC-SHA1 of the URL and the sorted fields)."""
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    payload = settings.SITE_URL.rstrip("/") + path + "".join(f"{k}{v}" for k, v in sorted(data.items()))
    digest = hmac.new(TWILIO_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=base64.b64encode(digest).decode())


def test_an_sms_reply_stop_takes_effect_at_once(clock, participant, dispatch, sms_outbox, client, settings):
    (n,) = _due_now(clock, participant)
    assert dispatching.notifications_claim() == [n.pk]  # already claimed when STOP arrives
    response = twilio_post(client, settings, "/hooks/twilio/inbound", {"From": "+447911123456", "Body": " stop "})
    assert response.status_code == 200
    assert sending.notification_send(notification_id=n.pk) == "cancelled"
    assert sms_outbox == []
    assert not pending(participant).filter(channel="sms").exists()
    assert pending(participant).filter(channel="email").exists()


def test_unsigned_provider_hooks_are_refused_in_production(client, settings):
    settings.DEBUG = False
    settings.TWILIO_AUTH_TOKEN = "secret"
    assert client.post("/hooks/twilio/inbound", {"From": "+447911123456", "Body": "STOP"}).status_code == 403


@pytest.mark.parametrize("debug", [True, False])
def test_a_provider_hook_is_refused_when_no_token_could_have_signed_it(participant, client, settings, debug):
    """A forged STOP was obeyed by a development install (debug on, no Twilio token): never again."""
    settings.DEBUG = debug
    settings.TWILIO_AUTH_TOKEN = ""
    response = client.post("/hooks/twilio/inbound", {"From": "+447911123456", "Body": "STOP"})
    assert response.status_code == 403
    assert participant.contact_preference.sms_opted_out_at is None


def test_a_hook_signed_with_another_token_is_refused(participant, client, settings):
    response = twilio_post(client, settings, "/hooks/twilio/inbound", {"From": "+447911123456", "Body": "STOP"})
    assert response.status_code == 200
    settings.TWILIO_AUTH_TOKEN = "the-real-token"
    payload = {"From": "+447911123456", "Body": "STOP"}
    assert client.post("/hooks/twilio/inbound", payload, HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk").status_code == 403


def test_the_text_is_rendered_when_sent_from_the_current_booking(clock, participant, coordinator, dispatch):

    v9 = Appointment.objects.get(participant=participant, event_code="V9")
    clock.go(london(2025, 10, 19, 12))
    schedule.appointment_reschedule(actor=coordinator, appointment=v9, booked_date=dt.date(2025, 10, 28))
    n = pending(participant).filter(appointment=v9, channel="email").first()
    assert n.subject_date == dt.date(2025, 10, 28)
    assert n.offset_days == -7
    # Moved after planning: the row's own date must match the booking when it goes out.
    Appointment.objects.filter(pk=v9.pk).update(booked_date=dt.date(2025, 10, 29))
    clock.go(n.due_at)
    dispatch()
    n.refresh_from_db()
    assert n.state == State.CANCELLED
    assert n.cancel_reason == "the appointment was rescheduled"


def test_a_transient_failure_retries_later_in_the_database_then_gives_up(
    clock, participant, dispatch, monkeypatch, settings
):
    settings.REMINDERS_MAX_ATTEMPTS = 3
    calls = []

    def flaky(self, message):
        calls.append(message.idempotency_key)
        raise sms.TransientSendError("provider timed out")

    monkeypatch.setattr(sms.InMemorySmsBackend, "send", flaky)
    (n,) = _due_now(clock, participant)
    dispatch()
    n.refresh_from_db()
    assert (n.state, n.attempts) == (State.PENDING, 1)
    assert n.due_at == london(2025, 8, 3, 9) + dt.timedelta(seconds=60)
    assert "timed out" in n.last_error
    clock.go(n.due_at)
    dispatch()
    n.refresh_from_db()
    assert (n.state, n.attempts) == (State.PENDING, 2)
    assert n.due_at == london(2025, 8, 3, 9) + dt.timedelta(seconds=60 + 120)
    clock.go(n.due_at)
    dispatch()
    n.refresh_from_db()
    assert (n.state, n.attempts) == (State.FAILED, 3)
    assert calls == [n.idempotency_key] * 3


def test_a_permanent_refusal_fails_at_once(clock, participant, dispatch, monkeypatch):
    def refuse(self, message):
        raise sms.PermanentSendError("unreachable number")

    monkeypatch.setattr(sms.InMemorySmsBackend, "send", refuse)
    (n,) = _due_now(clock, participant)
    dispatch()
    n.refresh_from_db()
    assert (n.state, n.attempts) == (State.FAILED, 1)


def test_a_bad_contact_detail_fails_with_a_clear_error_and_sends_nothing(clock, participant, dispatch, sms_outbox):
    Identity.objects.filter(participant=participant).update(phone="07911 123456")
    (n,) = _due_now(clock, participant)
    dispatch()
    n.refresh_from_db()
    assert n.state == State.FAILED
    assert "E.164" in n.last_error
    assert sms_outbox == []


def test_rows_stuck_in_claimed_are_swept_back(clock, participant, settings):
    (n,) = _due_now(clock, participant)
    assert dispatching.notifications_claim() == [n.pk]
    assert dispatching.notifications_sweep() == 0
    clock.go(n.due_at + dt.timedelta(seconds=settings.REMINDERS_CLAIM_TIMEOUT_SECONDS + 1))
    assert dispatching.notifications_sweep() == 1
    n.refresh_from_db()
    assert n.state == State.PENDING


def test_a_claimed_row_is_not_claimed_again(clock, participant):
    rows = _due_now(clock, participant)
    assert dispatching.notifications_claim() == [r.pk for r in rows]
    assert dispatching.notifications_claim() == []


def test_a_broker_that_refuses_keeps_the_rows(clock, participant, django_capture_on_commit_callbacks, dispatch):
    (n,) = _due_now(clock, participant)

    def down(ids):
        raise ConnectionError("broker down")

    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=down)
    assert result.error.startswith("could not enqueue")
    n.refresh_from_db()
    assert n.state == State.PENDING
    dispatch()
    n.refresh_from_db()
    assert n.state == State.SENT


def test_a_missed_visit_plans_its_reminders_and_a_done_visit_cancels_its_own(clock, participant, coordinator):
    clock.go(london(2025, 8, 4, 15))
    v2 = Appointment.objects.get(participant=participant, event_code="V2")
    schedule.visit_record(actor=coordinator, appointment=v2, actual_date=dt.date(2025, 8, 4), attended=False,
                        missed_reason="unwell")  # fmt: skip
    missed = pending(participant).filter(kind=Kind.MISSED_VISIT)
    assert sorted({(n.offset_days, n.subject_date) for n in missed}) == [
        (1, dt.date(2025, 8, 4)),
        (3, dt.date(2025, 8, 4)),
    ]
    v9 = Appointment.objects.get(participant=participant, event_code="V9")
    clock.go(london(2025, 10, 21, 15))
    schedule.visit_record(actor=coordinator, appointment=v9, actual_date=dt.date(2025, 10, 21), attended=True)
    assert not pending(participant).filter(appointment=v9).exists()


def test_dispatch_reminders_command_runs_one_dispatch(
    clock, participant, sms_outbox, capsys, django_capture_on_commit_callbacks
):
    _due_now(clock, participant)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dispatch_reminders")
    assert len(sms_outbox) == 1
    assert "claimed 1" in capsys.readouterr().out


def test_delivery_reports_mark_rows_delivered(clock, participant, dispatch, client, settings):
    (n,) = _due_now(clock, participant)
    dispatch()
    n.refresh_from_db()
    report = {"MessageSid": n.provider_message_id, "MessageStatus": "delivered"}
    response = twilio_post(client, settings, "/hooks/twilio/status", report)
    assert response.status_code == 204
    n.refresh_from_db()
    assert n.state == State.DELIVERED
    assert Notification.objects.filter(state=State.DELIVERED).count() == 1


@pytest.mark.parametrize(
    ("event_type", "state", "error"),
    [("delivered", State.DELIVERED, ""), ("bounced", State.FAILED, "Postmark: bounced"), ("opened", State.SENT, "")],
)
def test_the_email_providers_tracking_reports_mark_rows(clock, participant, dispatch, event_type, state, error):
    from anymail.signals import AnymailTrackingEvent, tracking

    n = pending(participant).filter(channel="email").first()
    clock.go(n.due_at)
    dispatch()
    n.refresh_from_db()
    assert n.state == State.SENT
    event = AnymailTrackingEvent(event_type=event_type, message_id=n.provider_message_id)
    tracking.send(sender=object, event=event, esp_name="Postmark")
    n.refresh_from_db()
    assert (n.state, n.last_error) == (state, error)


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_send_takes_a_fixed_small_number_of_queries(clock, participant, channel, django_assert_max_num_queries):
    # The savepoint and its release, the row locked with its appointment (telling the commit not to
    # wait for the disk), the participant with site, trial, contact preferences, identity and whether
    # there is any withdrawal, the version in force, the outcome. The first send on a database
    # connection also prepares the two reads (PostgreSQL): counted here is a send after it.
    first, n = pending(participant).filter(channel=channel)[:2]
    clock.go(n.due_at)
    assert {first.pk, n.pk} <= set(dispatching.notifications_claim())
    sending.notification_send(notification_id=first.pk)
    with django_assert_max_num_queries(6):
        assert sending.notification_send(notification_id=n.pk) == "sent"


def test_a_send_still_reads_what_changed_after_the_claim(clock, participant, coordinator, sms_outbox):
    (n,) = _due_now(clock, participant)
    assert dispatching.notifications_claim() == [n.pk]
    from reminders.services import contact_preferences_set

    contact_preferences_set(actor=coordinator, participant=participant, email_consent=True, sms_consent=False)
    assert sending.notification_send(notification_id=n.pk) == "cancelled"
    n.refresh_from_db()
    assert n.cancel_reason == "no consent to SMS"
    assert sms_outbox == []
