"""Enqueueing sends in batches: each claimed row in one message, row ids the only payload (a chunk of
them per message), a batch the broker refused returned to pending, a send queued for a row that went
back to pending doing nothing; and workers that keep their database connection.

The sends go to a real broker and are read back from it: kombu's in-memory transport (which, having
no batches, publishes each message at once), or Redis where the test needs a pipeline. A refusal is
made at the transport, the broker's side of the publish.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection, transaction

from reminders import dispatch as dispatching
from reminders import tasks
from reminders.models import Notification, State
from tests.reminders.conftest import london, pending
from trials.models import Site

REFUSAL = "the broker refused the message"


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


def _through(app, monkeypatch, producer) -> None:
    """The dispatcher publishes with ``producer`` (the app's own pool would use the configured broker)."""
    monkeypatch.setattr(app, "producer_or_acquire", lambda producer_=None: contextlib.nullcontext(producer))


def _sends_of(task: str, body: bytes | str) -> list[int]:
    from reminders.tasks import send_notifications

    assert task == send_notifications.name
    args, kwargs, _ = json.loads(body)
    assert (len(args), kwargs) == (1, {}), "the row ids are the only payload"
    assert all(isinstance(pk, int) for pk in args[0])
    return args[0]


def _deliver(ids: list[int]) -> list[str]:
    """Run the sends queued for ``ids``, in order, as a worker would; returns their outcomes."""
    from reminders.tasks import send_notification

    return [send_notification.run(pk) for pk in ids]


def _sends_went_out_once(ids: list[int], sms_outbox, email_outbox) -> None:
    sent = Notification.objects.filter(pk__in=ids, state=State.SENT)
    keys = [m.idempotency_key for m in sms_outbox] + [m.extra_headers["X-Idempotency-Key"] for m in email_outbox]
    assert sorted(keys) == sorted(n.idempotency_key for n in sent)


# --- an in-memory broker ----------------------------------------------------------------------------


class MemoryBroker:
    """kombu's in-memory transport, read back queue by queue; ``refuse_from(n)`` makes it refuse
    the ``n``-th message published from then on, and every one after."""

    def __init__(self, monkeypatch):
        from kombu import Connection

        self.monkeypatch = monkeypatch
        self.connection = Connection("memory://")
        self.queue = self.connection.SimpleQueue("celery")
        self.queue.clear()
        self.producer = self.connection.Producer()
        self.messages: list[list[int]] = []

    def refuse_from(self, n: int) -> None:
        from kombu.transport import memory

        put = memory.Channel._put
        published = []

        def refusing(channel, queue, message, **kwargs):
            if len(published) + 1 >= n:
                raise ConnectionError(REFUSAL)
            published.append(message)
            return put(channel, queue, message, **kwargs)

        self.monkeypatch.setattr(memory.Channel, "_put", refusing)

    def accept(self) -> None:
        self.monkeypatch.undo()

    def drain(self) -> list[int]:
        """The row ids of the sends on the queue, oldest first; the queue is empty after."""
        ids = []
        while True:
            try:
                message = self.queue.get_nowait()
            except self.queue.Empty:
                return ids
            self.messages.append(_sends_of(message.headers["task"], message.body))
            ids += self.messages[-1]
            message.ack()

    def close(self) -> None:
        self.queue.clear()
        self.queue.close()
        self.connection.release()


@pytest.fixture
def memory_broker(queued, monkeypatch):
    broker = MemoryBroker(pytest.MonkeyPatch())
    _through(queued, monkeypatch, broker.producer)
    yield broker
    broker.monkeypatch.undo()
    broker.close()


@pytest.fixture
def refused_second_batch(clock, participant, memory_broker, monkeypatch, django_capture_on_commit_callbacks):
    """Five due rows dispatched in batches of two to a broker that refuses the fourth message:
    the first batch is queued, the second refused after its first message. Returns the rows (in
    claim order) and the dispatch's result."""
    rows = list(pending(participant)[:5])
    clock.go(rows[-1].due_at)
    monkeypatch.setattr(tasks, "ENQUEUE_CHUNK", 2)
    monkeypatch.setattr(tasks, "SEND_CHUNK", 1)  # a message per row: the refusal falls inside a batch
    memory_broker.refuse_from(4)
    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends)
    return rows, result


@pytest.mark.django_db
def test_a_refused_batch_goes_back_to_pending_and_earlier_batches_stay_claimed(refused_second_batch, memory_broker):
    rows, result = refused_second_batch

    assert (result.claimed, result.released) == (5, 3)
    assert REFUSAL in result.error
    states = dict(Notification.objects.filter(pk__in=[r.pk for r in rows]).values_list("pk", "state"))
    assert [states[r.pk] for r in rows] == [State.CLAIMED] * 2 + [State.PENDING] * 3
    assert all(REFUSAL in n.last_error for n in Notification.objects.filter(pk__in=[r.pk for r in rows[2:]]))
    # The first batch is on the broker; of the refused one, what went before the refusal.
    assert memory_broker.drain() == [r.pk for r in rows[:3]]


@pytest.mark.django_db
def test_a_send_queued_before_its_batch_was_refused_sends_nothing_early_and_nothing_twice(
    refused_second_batch, memory_broker, django_capture_on_commit_callbacks, sms_outbox, email_outbox
):
    rows, _ = refused_second_batch
    ids = [r.pk for r in rows]
    first_run = memory_broker.drain()
    stray = rows[2]

    assert _deliver(first_run)[2] == "skipped"
    stray.refresh_from_db()
    assert (stray.state, stray.attempts) == (State.PENDING, 0)
    _sends_went_out_once(ids, sms_outbox, email_outbox)

    memory_broker.accept()
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends).claimed == 3
    second_run = memory_broker.drain()
    assert second_run == ids[2:]
    _deliver([stray.pk, *second_run])  # the stray send delivered again, late, before the new ones

    assert not Notification.objects.filter(pk__in=ids, state__in=[State.PENDING, State.CLAIMED]).exists()
    assert Notification.objects.filter(pk__in=ids, state=State.SENT).exists()
    _sends_went_out_once(ids, sms_outbox, email_outbox)


@pytest.mark.django_db
def test_a_send_task_carries_a_chunk_of_row_ids_and_each_claimed_row_once(
    clock, participant, memory_broker, monkeypatch, django_capture_on_commit_callbacks
):
    rows = list(pending(participant)[:5])
    clock.go(rows[-1].due_at)
    monkeypatch.setattr(tasks, "SEND_CHUNK", 2)

    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends)

    assert (result.claimed, result.released) == (5, 0)
    assert memory_broker.drain() == [r.pk for r in rows]
    assert memory_broker.messages == [[rows[0].pk, rows[1].pk], [rows[2].pk, rows[3].pk], [rows[4].pk]]


# --- Redis --------------------------------------------------------------------------------------------


BROKER_DB = 12  # a database of its own: other tests (in other processes) publish to REDIS_URL's


def _broker_url() -> str:
    return urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{BROKER_DB}"))


class RedisBroker:
    """The Redis server that ``REDIS_URL`` names, database :data:`BROKER_DB`, as the broker; its
    ``celery`` queue emptied before and after."""

    def __init__(self):
        import redis
        from kombu import Connection

        self.redis = redis.Redis.from_url(_broker_url())
        self.redis.delete("celery")
        self.connection = Connection(_broker_url())
        self.producer = self.connection.Producer()

    def queued(self) -> list[int]:
        """The row ids of the sends on the queue, oldest first (Celery pushes on the left)."""
        messages = [json.loads(raw) for raw in reversed(self.redis.lrange("celery", 0, -1))]
        return [pk for m in messages for pk in _sends_of(m["headers"]["task"], base64.b64decode(m["body"]))]

    def close(self) -> None:
        self.redis.delete("celery")
        self.connection.release()


@pytest.fixture
def redis_broker(queued, monkeypatch):
    broker = RedisBroker()
    _through(queued, monkeypatch, broker.producer)
    yield broker
    broker.close()


@pytest.fixture
def due(clock, participant) -> list[int]:
    """Seven rows due now, in the order the dispatcher claims them."""
    rows = list(pending(participant)[:7])
    clock.go(rows[-1].due_at)
    return [r.pk for r in rows]


@pytest.mark.redis
@pytest.mark.django_db
def test_batches_on_redis_queue_each_claimed_row_once_and_each_is_sent_once(
    due, redis_broker, monkeypatch, django_capture_on_commit_callbacks, sms_outbox, email_outbox
):
    monkeypatch.setattr(tasks, "ENQUEUE_CHUNK", 3)  # batches of 3, 3 and 1
    monkeypatch.setattr(tasks, "SEND_CHUNK", 2)  # sends of 2 and 1 in each full batch

    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends)

    assert (result.claimed, result.released, result.error) == (7, 0, "")
    queued_ids = redis_broker.queued()
    assert queued_ids == due
    outcomes = _deliver(queued_ids + queued_ids)  # each delivered twice
    assert outcomes[7:] == ["skipped"] * 7
    assert "sent" in outcomes  # the earlier ones are past their appointment: cancelled
    assert not Notification.objects.filter(pk__in=due, state=State.CLAIMED).exists()
    _sends_went_out_once(due, sms_outbox, email_outbox)


@pytest.mark.redis
@pytest.mark.django_db
def test_a_batch_redis_refuses_goes_back_to_pending_with_none_of_its_sends_queued(
    due, redis_broker, monkeypatch, django_capture_on_commit_callbacks
):
    import redis

    monkeypatch.setattr(tasks, "ENQUEUE_CHUNK", 3)  # batches of 3, 3 and 1
    monkeypatch.setattr(tasks, "SEND_CHUNK", 2)  # sends of 2 and 1 in each full batch
    execute = redis.client.Pipeline.execute
    batches = []

    def refusing_the_second_batch(pipeline, *args, **kwargs):
        if {command[0][0] for command in pipeline.command_stack} == {"LPUSH"}:
            batches.append(pipeline)
            if len(batches) == 2:
                raise redis.ConnectionError(REFUSAL)
        return execute(pipeline, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", refusing_the_second_batch)

    with django_capture_on_commit_callbacks(execute=True):
        result = dispatching.notifications_dispatch(enqueue=tasks.enqueue_sends)

    assert (result.claimed, result.released) == (7, 4)
    states = dict(Notification.objects.filter(pk__in=due).values_list("pk", "state"))
    assert [states[pk] for pk in due] == [State.CLAIMED] * 3 + [State.PENDING] * 4
    # A batch is one pipeline: the first is on the queue whole, the refused one not in part.
    assert redis_broker.queued() == due[:3]


# --- a worker's database connection ----------------------------------------------------------------


@contextlib.contextmanager
def _celery_django_fixup():
    """Celery's own Django fix-up, installed as in a worker process: it closes the database connection
    around every task unless ``CELERY_DB_REUSE_MAX`` is set. (A web process running a task eagerly has
    none.)"""
    from celery import signals
    from celery.fixups.django import DjangoWorkerFixup

    from trialtracker.celery import app

    fixup = DjangoWorkerFixup(app).install()
    try:
        yield
    finally:
        signals.task_prerun.disconnect(fixup.on_task_prerun)
        signals.task_postrun.disconnect(fixup.on_task_postrun)
        signals.beat_embedded_init.disconnect(fixup.close_database)
        signals.worker_process_init.disconnect(fixup.on_worker_process_init)


class _Task:
    """What the signal handlers read of a task: whether it runs eagerly, in its caller's process."""

    def __init__(self, *, eager: bool):
        self.request = SimpleNamespace(is_eager=eager)


def _task(*, eager: bool = False) -> int:
    """One task: the signals around it and a query inside; returns the PostgreSQL backend that answered."""
    from celery import signals

    sender = _Task(eager=eager)
    signals.task_prerun.send(sender=sender, task_id="t", task=None)
    backend = _backend()
    signals.task_postrun.send(sender=sender, task_id="t", task=None)
    return backend


@pytest.fixture
def outside_a_transaction(django_db_setup, django_db_blocker):
    """The test database, reached as a worker does: no test transaction around it (and nothing written)."""
    with django_db_blocker.unblock():
        yield
        connection.close()


def _backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.usefixtures("outside_a_transaction")
def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next():
    with _celery_django_fixup():
        backends = {_task() for _ in range(5)}

    assert len(backends) == 1


@pytest.mark.postgres
@pytest.mark.usefixtures("outside_a_transaction")
def test_a_worker_replaces_a_connection_older_than_its_maximum_age_at_the_next_task():
    with _celery_django_fixup():
        first = _task()
        connection.close_at = time.monotonic() - 1  # CONN_MAX_AGE has passed

        assert _task() != first


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_task_run_eagerly_leaves_its_callers_transaction_alone(kare):
    with transaction.atomic():
        before = _backend()
        connection.close_at = time.monotonic() - 1  # obsolete, but in the middle of the caller's work

        assert _task(eager=True) == before
        Site.objects.filter(trial=kare, code="exeter").update(name="Exeter, after the task")

    assert Site.objects.get(trial=kare, code="exeter").name == "Exeter, after the task"
