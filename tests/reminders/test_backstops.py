"""What the database refuses in the outbox by itself, even when planning is skipped.

Planning finds an existing reminder before it makes one; behind it, the database allows one row per
idempotency key and one live (pending or claimed) reminder per appointment, kind, channel and offset,
so that a bug in planning, a second planner or a hand-written row cannot send a reminder twice. Each
test plans the legitimate rows through the services, then attempts the forbidden write directly,
through the ORM and as plain SQL, and checks that it is refused and that nothing was written. On
PostgreSQL the outbox's audit events refuse UPDATE and DELETE.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from core.history import event_model_for
from reminders.models import Kind, Notification, State
from tests.raw_sql import execute, insert_copy, orm_copy
from tests.reminders.conftest import pending

pytestmark = pytest.mark.django_db

# The two ways round the services: the ORM without its service, and SQL without the ORM.
WRITES = pytest.mark.parametrize("write", [orm_copy, insert_copy], ids=["orm", "sql"])


@contextlib.contextmanager
def _refused(match: str, error: type[Exception] = IntegrityError):
    """The write inside is refused by the database, with a message naming ``match`` (PostgreSQL names a
    partial unique index, SQLite its columns); the test's transaction survives it."""
    with pytest.raises(error, match=match), transaction.atomic():
        yield


@pytest.fixture
def planned(contacts) -> Notification:
    """A pending appointment reminder, planned by randomisation."""
    participant = contacts.randomised()
    return pending(participant).filter(kind=Kind.APPOINTMENT).first()


@WRITES
def test_a_second_reminder_with_the_same_idempotency_key_is_refused(planned, write):
    before = Notification.objects.count()

    # Cancelled, so that only the key stands in the way (not the one live reminder per slot).
    with _refused("idempotency_key"):
        write(planned, state=State.CANCELLED, cancel_reason="planned twice")

    assert Notification.objects.count() == before
    assert not Notification.objects.filter(cancel_reason="planned twice").exists()


@WRITES
@pytest.mark.parametrize("state", [State.PENDING, State.CLAIMED])
def test_a_second_live_reminder_for_one_appointment_kind_channel_and_offset_is_refused(planned, write, state):
    before = Notification.objects.count()

    with _refused(r"notification_one_live_per_slot|reminders_notification\.appointment_id"):
        write(planned, idempotency_key=f"{planned.idempotency_key}:again", state=state)

    assert Notification.objects.count() == before
    assert not Notification.objects.filter(idempotency_key=f"{planned.idempotency_key}:again").exists()


# --- PostgreSQL: the outbox's audit trail is append-only -------------------------------------------


def _events_of(notification: Notification):
    return event_model_for(Notification).objects.filter(pgh_obj_id=notification.pk)


def _refused_by_the_trail():
    return _refused(f"Cannot update or delete rows from {event_model_for(Notification)._meta.db_table}", DatabaseError)


@pytest.mark.postgres
def test_a_reminder_event_refuses_an_update_through_the_orm(planned):
    event = _events_of(planned).get()
    event.state = State.SENT

    with _refused_by_the_trail():
        event.save()

    assert _events_of(planned).get().state == State.PENDING


@pytest.mark.postgres
def test_a_reminder_event_refuses_an_update_through_sql(planned):
    table = event_model_for(Notification)._meta.db_table

    with _refused_by_the_trail():
        execute(f"UPDATE {table} SET state = 'sent' WHERE pgh_obj_id = %s", [planned.pk])

    assert _events_of(planned).get().state == State.PENDING


@pytest.mark.postgres
def test_a_reminder_event_refuses_a_delete_through_the_orm(planned):
    with _refused_by_the_trail():
        _events_of(planned).get().delete()

    assert _events_of(planned).count() == 1


@pytest.mark.postgres
def test_a_reminder_event_refuses_a_delete_through_sql(planned):
    table = event_model_for(Notification)._meta.db_table

    with _refused_by_the_trail():
        execute(f"DELETE FROM {table} WHERE pgh_obj_id = %s", [planned.pk])

    assert _events_of(planned).count() == 1
