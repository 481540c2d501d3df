"""Reminders dispatched per second by two Celery worker processes, against real Redis and PostgreSQL.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create databases
on and REDIS_URL naming a Redis server::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker_rbench REDIS_URL=redis://127.0.0.1:6379/0 \\
        uv run python bench/reminders.py --reminders 100000 --redis-db 10
    ... uv run python bench/reminders.py --reminders 10000 --participants 10 --redis-db 12

The database named in DATABASE_URL is not touched and need not exist: the script creates a throwaway
database beside it (``<name>_reminders_bench``, through the server's ``postgres`` database), migrates
it, loads protocols/more-kare.yaml, takes ``--participants`` participants through the services
(screening, enrolment, baseline, contact preferences with consent to SMS, randomisation) and writes
``--reminders`` diary prompts due now, spread over them. Redis databases ``--redis-db`` (the broker)
and the one after it (the recording SMS backend) are flushed.

Two worker processes (``celery -A trialtracker worker --concurrency=1``) are started; the clock
starts when this process begins dispatching (claiming due rows with SKIP LOCKED and enqueueing one
send task per chunk of rows, as the beat task does) and stops when every row is ``sent``.
Deliveries are counted by :class:`reminders.sms.RecordingSmsBackend` per idempotency key: the
duplicates reported are keys delivered more than once (must be 0) and provider calls beyond one per
key. Then the same two workers run as many no-op tasks, enqueued through one producer, for
comparison: Celery's own cost per task. The ratio printed last is deliveries a second over no-op
tasks a second: reminders delivered against tasks run, although a send task carries a chunk of rows.
The workers are stopped and the database dropped at the end, also after a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from celery import shared_task

ROOT = Path(__file__).resolve().parent.parent


@shared_task(name="bench.noop", acks_late=True)
def noop() -> None:
    """The comparison task: counts itself in Redis and does nothing else.

    It counts through the recording backends' client, one per process, as a send records: a new
    connection per task would measure redis-py's connection set-up rather than Celery.
    """
    from reminders.sms import RecordingBackendMixin

    RecordingBackendMixin.client().incr("bench:noop")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=100_000, help="due reminders to send (100000)")
    parser.add_argument("--participants", type=int, default=20, help="participants they are spread over (20)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database of the broker; the next records (12)")
    parser.add_argument("--database", help="name of the throwaway database (<DATABASE_URL name>_reminders_bench)")
    args = parser.parse_args()
    if args.reminders < 1 or args.participants < 1 or args.workers < 1 or not 0 <= args.redis_db < 15:
        parser.error("--reminders, --participants and --workers must be at least 1, --redis-db 0 to 14")
    return args


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


def _admin(url: str, sql: str) -> None:
    """Run ``sql`` on the server's maintenance database: the one DATABASE_URL names need not exist."""
    import psycopg

    maintenance = urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    args = _arguments()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql") or not redis_url:
        sys.exit("set DATABASE_URL (PostgreSQL) and REDIS_URL (see the top of bench/reminders.py)")
    name = args.database or f"{urlsplit(database_url).path.lstrip('/') or 'postgres'}_reminders_bench"
    if not name.replace("_", "").isalnum():
        sys.exit(f"--database {name!r}: use letters, digits and underscores")
    bench_db = _with_path(database_url, f"/{name}")
    broker, recording = _with_path(redis_url, f"/{args.redis_db}"), _with_path(redis_url, f"/{args.redis_db + 1}")
    env = {
        **os.environ,
        "DATABASE_URL": bench_db,
        "DATABASE_CONN_MAX_AGE": "60",
        "REDIS_URL": broker,
        "DJANGO_SETTINGS_MODULE": "trialtracker.settings.test",  # quiet logs
        "REMINDERS_SMS_BACKEND": "reminders.sms.RecordingSmsBackend",
        "REMINDERS_RECORDING_URL": recording,
        "REMINDERS_DISPATCH_MAX_PER_RUN": str(args.reminders),
        "REMINDERS_CLAIM_TIMEOUT_SECONDS": "3600",
        # Every send takes its slot from the shared bucket, as in production, at a rate no run
        # reaches: the figure includes pacing's round trip without being limited by it.
        "REMINDERS_PACING_URL": recording,
        "REMINDERS_RATE_PER_SECOND": "sms=1000000,email=1000000",
        "REMINDERS_RATE_BURST": "sms=1000000,email=1000000",
    }
    print(f"creating database {name}", flush=True)
    _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(database_url, f'CREATE DATABASE "{name}"')
    workers: list[subprocess.Popen] = []
    try:
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _run(args, env, workers)
    finally:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        from django.db import connections

        connections.close_all()
        _admin(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"dropped database {name}", flush=True)


def _prepare(args) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from core.services import sites_for, user_create
    from participants.enrolment import services as enrolment
    from participants.randomisation import services as randomisation
    from reminders.models import Kind, Notification
    from reminders.services import contact_preferences_set
    from trials.protocol import CriterionKind, load_file
    from trials.services import protocol_load

    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    trial = protocol_load(protocol=load_file(ROOT / "protocols" / "more-kare.yaml"), source="more-kare.yaml")
    trial = trial.version.trial
    coordinator = user_create(
        username="bench-coordinator", role="coordinator", sites=sites_for(trial=trial.code, sites=[])
    )
    site = trial.sites.get(code="exeter")
    answers = {c.code: c.kind == CriterionKind.INCLUSION for c in trial.version_on().protocol.eligibility.criteria}
    day = timezone.localdate() - dt.timedelta(days=30)
    participants = []
    for i in range(args.participants):
        screening = enrolment.screening_record(actor=coordinator, site=site, screened_on=day, answers=answers)
        p = enrolment.participant_enrol(
            actor=coordinator, screening=screening, sex="MF"[i % 2], consent_form_version="1.0", consented_on=day,
            first_name="Bench", last_name=f"Participant {i}", age_at_consent=40, phone="+447911123456",
        )  # fmt: skip
        p = enrolment.baseline_complete(actor=coordinator, participant=p, completed_on=day, weight_kg=Decimal(75))
        contact_preferences_set(actor=coordinator, participant=p, email_consent=False, sms_consent=True)
        randomisation.participant_randomise(actor=coordinator, participant=p)
        participants.append(p)
    Notification.objects.all().delete()
    now = timezone.now()
    tomorrow = now.date() + dt.timedelta(days=1)
    Notification.objects.bulk_create(
        (
            Notification(participant=participants[i % len(participants)], kind=Kind.DIARY, channel="sms",
                         subject_date=tomorrow, due_at=now - dt.timedelta(seconds=1), idempotency_key=f"bench:{i}")
            for i in range(args.reminders)
        ),
        batch_size=5000,
    )  # fmt: skip
    print(f"{args.reminders} reminders due for {len(participants)} participants", flush=True)


def _start_workers(args, env, workers) -> None:
    for i in range(args.workers):
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "trialtracker",
                    "worker",
                    "--concurrency=1",
                    "--pool=prefork",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--include=bench.reminders",
                    "-n",
                    f"bench{i}-{os.getpid()}@%h",
                ],
                cwd=ROOT,
                env={**env, "PYTHONPATH": str(ROOT)},
                start_new_session=True,
            )
        )
    time.sleep(5)  # let them connect before the clock starts


def _wait(done, total: int, started: float, what: str) -> float:
    last = -1
    while True:
        n = done()
        if n >= total:
            return time.monotonic() - started
        if n != last and int(time.monotonic() - started) % 10 == 0:
            print(f"  {what}: {n}/{total} after {time.monotonic() - started:.0f} s", flush=True)
            last = n
        time.sleep(0.5)


def _run(args, env, workers) -> None:
    import redis

    from reminders.dispatch import notifications_dispatch
    from reminders.models import Notification, State
    from reminders.tasks import enqueue_sends
    from trialtracker.celery import app

    _prepare(args)
    rec = redis.Redis.from_url(env["REMINDERS_RECORDING_URL"])
    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    rec.flushdb()
    app.conf.task_always_eager = False
    _start_workers(args, env, workers)

    print(f"dispatching {args.reminders} reminders to {args.workers} worker processes", flush=True)
    started = time.monotonic()
    claimed = 0
    while claimed < args.reminders:
        result = notifications_dispatch(enqueue=enqueue_sends)
        if result.error:
            sys.exit(result.error)
        if not result.claimed:
            break
        claimed += result.claimed
    enqueued = time.monotonic() - started
    elapsed = _wait(lambda: Notification.objects.filter(state=State.SENT).count(), args.reminders, started, "sent")
    calls = [int(v) for v in rec.hvals("reminders:calls")]
    deliveries = [int(v) for v in rec.hvals("reminders:deliveries")]
    twice = sum(1 for v in deliveries if v > 1)
    repeated_calls = sum(calls) - len(calls)

    print(f"enqueueing {args.reminders} no-op tasks for comparison", flush=True)
    started_noop = time.monotonic()
    with app.producer_or_acquire() as producer:
        for _ in range(args.reminders):
            noop.apply_async(producer=producer)
    noop_elapsed = _wait(lambda: int(rec.get("bench:noop") or 0), args.reminders, started_noop, "no-op")

    print()
    print(f"reminders:          {args.reminders} over {args.participants} participants, {args.workers} workers")
    print(f"claimed and queued: {claimed} in {enqueued:.1f} s")
    print(f"all sent after:     {elapsed:.1f} s")
    print(f"deliveries/s:       {args.reminders / elapsed:.0f}")
    print(
        f"keys delivered:     {len(deliveries)} (delivered twice: {twice}; repeated provider calls: {repeated_calls})"
    )
    print(f"no-op tasks/s:      {args.reminders / noop_elapsed:.0f} ({noop_elapsed:.1f} s for {args.reminders})")
    print(f"ratio:              {noop_elapsed / elapsed:.2f} (deliveries/s over no-op tasks/s)")
    if twice or len(deliveries) != args.reminders:
        sys.exit("FAILED: a reminder was delivered twice or not at all")


if __name__ == "__main__":
    main()
