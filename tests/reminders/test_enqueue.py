"""Enqueueing sends in batches: one message per claimed row, the row id its only payload, a batch
the broker refused returned to pending; and workers that keep their database connection."""

from __future__ import annotations

import base64
import contextlib
import json
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from reminders import dispatch as dispatching
from reminders import tasks
from reminders.models import Notification, State
from tests.reminders.conftest import london, pending

BROKER_DB = 14  # the worker tests' broker database, flushed by them and here


@pytest.fixture
def queued():
    """Sends are enqueued, not run: eager mode off (the conftest's autouse fixture restores it)."""
    from trialtracker.celery import app

    app.conf.task_always_eager = False
    return app


@pytest.fixture
def participant(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.randomised()


@pytest.mark.django_db
def test_a_refused_batch_goes_back_to_pending_and_earlier_batches_stay_claimed(
    clock, participant, queued, monkeypatch, django_capture_on_commit_callbacks
):
    from reminders.tasks import send_notification

    rows = list(pending(participant)[:5])
    clock.go(rows[-1].due_at)
    published = []

    def apply_async(args, producer, retry):
        if len(published) == 3:
            raise ConnectionError("broker down")
        published.append(args[0])

    monkeypatch.setattr(tasks, "ENQUEUE_CHUNK", 2)
    monkeypatch.setattr(queued, "producer_or_acquire", lambda producer=None: contextlib.nullcontext(SimpleNamespace()))
    monkeypatch.setattr(send_notification, "apply_async", apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends)
    assert (result.claimed, result.released) == (5, 3)
    assert "broker down" in result.error
    ids = [r.pk for r in rows]
    states = dict(Notification.objects.filter(pk__in=ids).values_list("pk", "state"))
    # The second batch failed part-way: its first row may be queued, and it is pending all the same.
    assert [states[pk] for pk in ids] == [State.CLAIMED] * 2 + [State.PENDING] * 3


def _broker_url() -> str:
    return urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{BROKER_DB}"))


@pytest.mark.redis
@pytest.mark.django_db
def test_batches_on_redis_queue_each_claimed_row_once_and_each_is_sent_once(
    clock, participant, queued, monkeypatch, sms_outbox, email_outbox
):
    import redis
    from kombu import Connection

    from reminders.tasks import send_notification

    broker = redis.Redis.from_url(_broker_url())
    broker.flushdb()
    rows = list(pending(participant)[:7])
    clock.go(rows[-1].due_at)
    ids = dispatching.notifications_claim()
    assert len(ids) == 7
    monkeypatch.setattr(tasks, "ENQUEUE_CHUNK", 3)  # batches of 3, 3 and 1
    executed = []
    original = redis.client.Pipeline.execute

    def counting(self, *args, **kwargs):
        executed.append([command[0][0] for command in self.command_stack])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting)
    with Connection(_broker_url()) as conn:
        own = conn.Producer()
        monkeypatch.setattr(
            queued, "producer_or_acquire", lambda producer=None: contextlib.nullcontext(producer or own)
        )
        assert tasks.enqueue_sends(ids) == 7
    monkeypatch.undo()
    pushes = [len(commands) for commands in executed if set(commands) == {"LPUSH"}]
    assert pushes == [3, 3, 1], "each batch is one pipeline"
    messages = [json.loads(raw) for raw in broker.lrange("celery", 0, -1)]
    broker.flushdb()
    assert {m["headers"]["task"] for m in messages} == {send_notification.name}
    queued_ids = [json.loads(base64.b64decode(m["body"]))[0] for m in messages]
    assert sorted(queued_ids) == sorted([pk] for pk in ids)
    outcomes = [send_notification.run(*args) for args in queued_ids + queued_ids]  # each delivered twice
    assert outcomes.count("skipped") == 7
    sent = Notification.objects.filter(pk__in=ids, state=State.SENT).count()
    assert sent == outcomes.count("sent") >= 1  # the earlier ones are past their appointment: cancelled
    assert len(sms_outbox) + len(email_outbox) == sent
    assert len({m.idempotency_key for m in sms_outbox}) == len(sms_outbox)


def test_a_worker_keeps_its_database_connection_between_tasks(monkeypatch, settings):
    """Django's rules (CONN_MAX_AGE, health checks) apply around each task, not Celery's close-always."""
    from trialtracker import celery as celery_module

    calls = []
    monkeypatch.setattr(celery_module, "close_old_connections", lambda: calls.append("checked"))
    worker_task = SimpleNamespace(request=SimpleNamespace(is_eager=False))
    eager_task = SimpleNamespace(request=SimpleNamespace(is_eager=True))
    celery_module._close_old_connections(sender=worker_task)
    celery_module._close_old_connections(sender=eager_task)  # inside the caller's transaction: left alone
    assert calls == ["checked"]
    assert celery_module.app.conf.db_reuse_max == settings.CELERY_DB_REUSE_MAX > 1
