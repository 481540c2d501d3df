"""Real Redis, a real Celery worker process and PostgreSQL: a worker killed with SIGKILL in the
middle of 500 sends, two dispatchers at once, and Redis stopped while visits are saved. Every
reminder must go out exactly once.

Sends go to :class:`reminders.sms.RecordingSmsBackend`, which counts every call per idempotency
key in Redis and delivers a key once (as a provider honouring idempotency keys does), so a repeat
is visible in ``reminders:calls`` even though the participant would not see it twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from participants.models import Appointment
from participants.randomisation import services as randomisation
from participants.schedule import services as schedule
from reminders.models import Kind, Notification, State
from tests.conftest import ROOT
from tests.participants.conftest import People
from tests.reminders.conftest import Contacts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

BROKER_DB, RECORDING_DB = 14, 13


def _redis_url(db: int, port: int | None = None) -> str:
    parts = urlsplit(settings.REDIS_URL)
    netloc = parts.netloc if port is None else f"{parts.hostname or '127.0.0.1'}:{port}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{db}"))


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _env(broker: str | None, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TRIALTRACKER_REQUIRE_SERVICES")}
    env.update(
        DJANGO_SETTINGS_MODULE="trialtracker.settings.test",
        DATABASE_URL=_database_url(),
        DATABASE_CONN_MAX_AGE="0",
        REMINDERS_SMS_BACKEND="reminders.sms.RecordingSmsBackend",
        REMINDERS_EMAIL_BACKEND="reminders.channels.RecordingEmailBackend",
        REMINDERS_RECORDING_URL=_redis_url(RECORDING_DB),
        REMINDERS_CLAIM_TIMEOUT_SECONDS="3",
        REMINDERS_DISPATCH_BATCH="50",
    )
    env.update(extra)
    if broker:
        env["REDIS_URL"] = broker
    return env


@pytest.fixture(autouse=True)
def _roles():
    """The roles the migrations wrote (a flush by an earlier committing test may have emptied the table)."""
    from core.models import RoleDefinition
    from core.roles import ROLE_SPECS

    for spec in ROLE_SPECS:
        RoleDefinition.objects.get_or_create(
            code=str(spec.code),
            defaults={"title": spec.title, "description": spec.description, "read_only": spec.read_only},
        )


@pytest.fixture
def recording():
    r = redis.Redis.from_url(_redis_url(RECORDING_DB))
    r.flushdb()
    redis.Redis.from_url(_redis_url(BROKER_DB)).flushdb()
    yield r
    r.flushdb()


class Workers:
    """Celery worker processes started for one test, each in its own process group, all killed at the end."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def start(self, broker: str, concurrency: int = 2) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "trialtracker", "worker", f"--concurrency={concurrency}",
             "--pool=prefork", "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"test{len(self.procs)}-{os.getpid()}@%h"],
            cwd=ROOT, env=_env(broker), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.procs.append(proc)
        return proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                self.kill(proc)


@pytest.fixture
def workers():
    w = Workers()
    yield w
    w.stop_all()


def dispatch(broker: str | None, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "dispatch_reminders", "--until-empty"],
        cwd=ROOT, env=_env(broker, **extra), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def due_diary_rows(more_kare, make_user, n: int) -> list[Notification]:
    """``n`` due diary prompts (distinct keys) for one MORE-KARE participant who consented to SMS."""
    coordinator = make_user("coordinator", more_kare)
    contacts = Contacts(People(more_kare, coordinator), coordinator)
    participant = contacts.enrolled()
    contacts.prefer(participant, email_consent=False)
    randomisation.participant_randomise(actor=coordinator, participant=participant)
    Notification.objects.filter(participant=participant).delete()
    now = timezone.now()
    tomorrow = now.date() + dt.timedelta(days=1)  # a diary day not yet past in any time zone of the trial
    return Notification.objects.bulk_create(
        Notification(participant=participant, kind=Kind.DIARY, channel="sms", subject_date=tomorrow,
                     due_at=now - dt.timedelta(seconds=1), idempotency_key=f"worker-test:{i}")
        for i in range(n)
    )  # fmt: skip


def wait_for(predicate, timeout: float, every: float = 0.2, action=None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if action is not None:
            action()
        time.sleep(every)
    return predicate()


def counts(r) -> tuple[dict[str, int], dict[str, int]]:
    calls = {k.decode(): int(v) for k, v in r.hgetall("reminders:calls").items()}
    deliveries = {k.decode(): int(v) for k, v in r.hgetall("reminders:deliveries").items()}
    return calls, deliveries


def sent() -> int:
    return Notification.objects.filter(state=State.SENT).count()


def test_a_worker_killed_mid_run_and_restarted_sends_every_reminder_exactly_once(
    more_kare, make_user, recording, workers
):
    rows = due_diary_rows(more_kare, make_user, 500)
    broker = _redis_url(BROKER_DB)
    worker = workers.start(broker)
    result = dispatch(broker)
    assert result.returncode == 0, result.stderr
    assert wait_for(lambda: recording.hlen("reminders:calls") >= 150, timeout=90), "the worker sent nothing"
    workers.kill(worker)  # SIGKILL to the worker and its pool processes, mid-run
    after_kill = sent()
    assert after_kill < 500, "the worker finished before it was killed: nothing was tested"
    workers.start(broker)
    # Rows left claimed by the dead worker are swept back after the claim timeout and dispatched again.
    assert wait_for(lambda: sent() == 500, timeout=120, every=1, action=lambda: dispatch(broker))
    calls, deliveries = counts(recording)
    keys = {n.idempotency_key for n in rows}
    assert set(deliveries) == keys
    assert set(deliveries.values()) == {1}, "a reminder was delivered twice"
    repeats = sum(calls.values()) - len(keys)
    print(f"killed after {after_kill} sent; repeated provider calls absorbed by the idempotency key: {repeats}")
    assert repeats <= 4  # only the sends in flight when the worker died can be repeated
    ids = dict(Notification.objects.values_list("idempotency_key", "provider_message_id"))
    assert ids == {k.decode(): v.decode() for k, v in recording.hgetall("reminders:ids").items()}


def test_two_dispatchers_at_once_send_nothing_twice(more_kare, make_user, recording):
    due_diary_rows(more_kare, make_user, 500)
    env = _env(None, REMINDERS_CLAIM_TIMEOUT_SECONDS="600")  # no broker: each dispatcher sends in its own process
    procs = [
        subprocess.Popen([sys.executable, "manage.py", "dispatch_reminders", "--until-empty"], cwd=ROOT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    claimed = [int(out.split("claimed ")[1].split(",")[0]) for out, _ in outputs]
    assert sum(claimed) == 500, outputs
    calls, deliveries = counts(recording)
    assert len(calls) == 500
    assert set(calls.values()) == {1}, "a reminder was sent twice"
    assert set(deliveries.values()) == {1}
    assert sent() == 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(port=port, socket_connect_timeout=1)
    assert wait_for(lambda: _pings(client), timeout=10), "redis-server did not start"
    return proc


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def test_rows_saved_while_redis_is_down_go_out_once_it_is_back(kare, make_user, recording, workers):
    from tests.participants.conftest import LIST_SEED

    port = _free_port()
    own = _redis_server(port)  # our own Redis: the machine's is never stopped
    broker = f"redis://127.0.0.1:{port}/0"
    try:
        coordinator = make_user("coordinator", kare)
        statistician = make_user("unblinded_statistician", kare)
        randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=2, seed=LIST_SEED)
        contacts = Contacts(People(kare, coordinator), coordinator)
        participant = contacts.randomised()
        workers.start(broker, concurrency=1)
        own.terminate()
        own.wait(timeout=10)
        # Redis is down: visits are still saved, with their reminders, in one transaction.
        v1 = Appointment.objects.get(participant=participant, event_code="V2")
        # Missed today, so both of its reminders (the next day and 3 days later, at 10:00 local) lie in the
        # future whatever the hour this test runs at.
        schedule.visit_record(actor=coordinator, appointment=v1, actual_date=timezone.localdate(),
                            attended=False, missed_reason="unwell")  # fmt: skip
        missed = Notification.objects.filter(participant=participant, kind=Kind.MISSED_VISIT, state=State.PENDING)
        assert missed.count() == 4  # next day and 3 days later, by email and SMS
        keys = set(missed.values_list("idempotency_key", flat=True))
        Notification.objects.filter(idempotency_key__in=keys).update(due_at=timezone.now() - dt.timedelta(seconds=1))
        refused = dispatch(broker)
        assert refused.returncode != 0
        assert "kept for the next dispatch" in refused.stderr
        assert Notification.objects.filter(idempotency_key__in=keys, state=State.PENDING).count() == 4
        assert recording.hlen("reminders:calls") == 0
        own = _redis_server(port)  # back, on the same port
        assert wait_for(
            lambda: Notification.objects.filter(idempotency_key__in=keys, state=State.SENT).count() == 4,
            timeout=90,
            every=1,
            action=lambda: dispatch(broker),
        )
        calls, deliveries = counts(recording)
        assert set(calls) == keys
        assert set(calls.values()) == {1}
        assert set(deliveries.values()) == {1}
    finally:
        workers.stop_all()
        if own.poll() is None:
            own.kill()
            own.wait(timeout=10)
