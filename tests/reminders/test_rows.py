"""A send's statements in plain SQL (reminders/rows.py) give what the ORM gives: the same values in
the same instances, related objects already there, only the named fields written, the audit event
recorded with its reason; and on PostgreSQL the row stays locked while the provider is called."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import audit
from core.db import one_to_one
from core.history import event_model_for
from participants.enrolment import services as enrolment
from participants.models import Identity, Participant
from reminders import channels, rows, sending
from reminders import dispatch as dispatching
from reminders.models import ContactPreference, Notification, State
from tests.reminders.conftest import london, pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.randomised()


def _prepared() -> None:
    """The statements prepared on this connection (on PostgreSQL), so that what follows counts a
    send's statements alone."""
    with transaction.atomic():
        rows.lock(0)
    with pytest.raises(Participant.DoesNotExist):
        rows.participant(0)


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_lock_reads_the_row_and_its_appointment_as_the_orm_does(participant, django_assert_num_queries):
    n = pending(participant).exclude(appointment=None).first()
    expected = Notification.objects.select_related("appointment").get(pk=n.pk)
    _prepared()

    with transaction.atomic(), django_assert_num_queries(1):
        found = rows.lock(n.pk)
        assert _values(found) == _values(expected)
        assert _values(found.appointment) == _values(expected.appointment)
    assert type(found.due_at) is dt.datetime
    assert found.due_at.tzinfo is not None
    assert found._state.adding is False
    assert found._state.db == connection.alias


def test_a_diary_prompt_has_no_appointment_and_a_missing_row_is_none(link, django_assert_num_queries):
    _prepared()
    with transaction.atomic(), django_assert_num_queries(2):
        found = rows.lock(link.pk)
        assert found.appointment is None
        assert rows.lock(link.pk + 10_000) is None
    assert _values(found) == _values(Notification.objects.get(pk=link.pk))


def test_the_participant_comes_with_everything_a_send_checks(participant, django_assert_num_queries):
    expected = Participant.objects.select_related("site", "trial", "contact_preference", "identity").get(
        pk=participant.pk
    )
    _prepared()

    with django_assert_num_queries(1):
        found = rows.participant(participant.pk)
        assert _values(found) == _values(expected)
        for name in ("site", "trial", "contact_preference", "identity"):
            assert _values(getattr(found, name)) == _values(getattr(expected, name))
        assert found.identity.participant is found
        assert found.contact_preference.participant is found
    assert found.identity.phone == "+447911123456"  # decrypted, as the ORM reads it
    assert found.has_withdrawn is False


def test_a_participant_without_preferences_or_identity_reads_as_none(
    participant, coordinator, django_assert_num_queries
):
    ContactPreference.objects.filter(participant=participant).delete()
    Identity.objects.filter(participant=participant).delete()
    _prepared()
    with django_assert_num_queries(1):  # known to be absent: not looked for again
        found = rows.participant(participant.pk)
        assert (one_to_one(found, "contact_preference"), one_to_one(found, "identity")) == (None, None)
    enrolment.withdrawal_record(
        actor=coordinator, participant=participant, scope="follow_up", withdrawn_on=dt.date(2025, 7, 28), reason="x"
    )
    assert rows.participant(participant.pk).has_withdrawn is True
    with pytest.raises(Participant.DoesNotExist):
        rows.participant(participant.pk + 10_000)


def test_saving_writes_only_the_named_fields_and_stamps_the_update(participant, clock):
    n = pending(participant).first()
    before = Notification.objects.get(pk=n.pk)
    clock.go(london(2025, 7, 28, 12))
    n.state, n.last_error, n.kind = State.FAILED, "refused", "diary"  # kind is not named: not written

    with transaction.atomic(), audit.context(reason="reminder sent"):
        rows.save(n, ["state", "last_error", "updated_at"])

    after = Notification.objects.get(pk=n.pk)
    assert (after.state, after.last_error, after.kind) == (State.FAILED, "refused", before.kind)
    assert after.updated_at == london(2025, 7, 28, 12) > before.updated_at
    assert _values(after) | {"state": before.state, "last_error": "", "updated_at": before.updated_at} == _values(
        before
    )


@pytest.mark.postgres
def test_a_saved_outcome_is_in_the_audit_trail_with_its_reason(participant):
    n = pending(participant).first()
    n.state = State.CANCELLED
    with transaction.atomic(), audit.context(reason="reminder sent"):
        rows.save(n, ["state", "updated_at"])

    event = event_model_for(Notification).objects.filter(pgh_obj_id=n.pk).select_related("pgh_context").latest("pgh_id")
    assert event.state == State.CANCELLED
    assert event.pgh_context.metadata["reason"] == "reminder sent"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_row_stays_locked_while_the_provider_is_called(clock, participant, monkeypatch):
    n = pending(participant).filter(channel="sms").first()
    clock.go(n.due_at)
    assert n.pk in dispatching.notifications_claim()
    attempts = []

    def try_the_row():
        try:
            with transaction.atomic():
                list(Notification.objects.select_for_update(nowait=True).filter(pk=n.pk))
            attempts.append("got it")
        except OperationalError:
            attempts.append("locked")
        finally:
            connection.close()

    def provider(**kwargs):
        other = threading.Thread(target=try_the_row)
        other.start()
        other.join()
        return "SM1"

    monkeypatch.setattr(channels, "send_sms", provider)
    assert sending.notification_send(notification_id=n.pk) == "sent"
    try_the_row()

    assert attempts == ["locked", "got it"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_reads_are_prepared_once_per_connection(participant, settings):
    n = pending(participant).first()
    connection.close()
    with CaptureQueriesContext(connection) as first, transaction.atomic():
        rows.lock(n.pk)
        rows.lock(n.pk)
        rows.participant(participant.pk)
        rows.participant(participant.pk)
    statements = [q["sql"].split("(")[0] for q in first.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    assert statements == [
        "PREPARE reminders_lock",
        "EXECUTE reminders_lock",
        "EXECUTE reminders_lock",
        "PREPARE reminders_participant",
        "EXECUTE reminders_participant",
        "EXECUTE reminders_participant",
    ]

    connection.close()  # a new connection has nothing prepared: it prepares again
    with transaction.atomic():
        assert rows.lock(n.pk).pk == n.pk

    settings.REMINDERS_PREPARED_STATEMENTS = False  # behind a pooler in transaction mode
    with CaptureQueriesContext(connection) as plain, transaction.atomic():
        assert rows.lock(n.pk).pk == n.pk
    assert [q["sql"][:7] for q in plain.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")] == ["SELECT "]
