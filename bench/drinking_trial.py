"""What the endpoint and export benchmarks share: a throwaway PostgreSQL database holding a
large KARE trial (``--participants`` randomised participants with ``--days`` consecutive days of
TLFB records each, bulk-loaded with COPY), created before and dropped after the measured run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = dt.date(2023, 1, 2)
LOOKBACK = 90


def arguments(
    *, description: str, database: str, more: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """The options every benchmark on this database takes; ``more(parser)`` adds a benchmark's own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--participants", type=int, default=10_000, help="participants (10000)")
    parser.add_argument("--days", type=int, default=365, help="recorded days per participant (365)")
    parser.add_argument("--database", default=database, help="throwaway database name")
    parser.add_argument("--seed", type=int, default=20240708)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards, for a closer look")
    parser.add_argument("--requests", type=int, default=30, help="requests timed of each page or API call (30)")
    if more is not None:
        more(parser)
    args = parser.parse_args()
    if args.participants < 1 or not (1 <= args.days <= 1000):
        parser.error("--participants must be at least 1 and --days 1 to 1000")
    if not args.database.replace("_", "").isalnum():
        parser.error("--database: use letters, digits and underscores")
    return args


def urls(url: str, name: str) -> tuple[str, str]:
    """``(admin, bench)``: the server's own ``postgres`` database, where the throwaway one is created
    and dropped (so the database ``url`` names need not exist), and the throwaway one."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must name a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/trialtracker")
    return urlunsplit(parts._replace(path="/postgres")), urlunsplit(parts._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute(sql)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(args: argparse.Namespace, run: Callable[[argparse.Namespace], None], *, script: str) -> None:
    """Create the throwaway database, set Django up on it, ``run(args)``, and drop it."""
    if not os.environ.get("DATABASE_URL"):
        sys.exit(f"set DATABASE_URL to a PostgreSQL database (see the top of bench/{script})")
    admin_url, bench_url = urls(os.environ["DATABASE_URL"], args.database)
    print(f"creating database {args.database}", flush=True)
    admin(admin_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    admin(admin_url, f'CREATE DATABASE "{args.database}"')
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "trialtracker.settings.test"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {args.database}", flush=True)
        else:
            admin(admin_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            print(f"dropped database {args.database}", flush=True)


def load(args, trial) -> None:
    from django.db import connection, transaction

    from participants.models import Allocation, AllocationMethod, Participant
    from trials.models import Arm

    rng = random.Random(args.seed)
    sites = list(trial.sites.all())
    arms = list(Arm.objects.filter(trial=trial))
    began = time.perf_counter()
    with transaction.atomic():
        people = Participant.objects.bulk_create(
            [
                Participant(
                    trial=trial,
                    site=sites[i % len(sites)],
                    study_id=f"B{i:06d}",
                    sex="F" if i % 2 else "M",
                    enrolled_on=ANCHOR,
                )
                for i in range(args.participants)
            ],
            batch_size=2000,
        )
        Allocation.objects.bulk_create(
            [
                Allocation(
                    participant=p,
                    arm=arms[i % len(arms)],
                    method=AllocationMethod.IMPORTED,
                    stratum="",
                    allocated_on=ANCHOR + dt.timedelta(days=i % 28),
                )
                for i, p in enumerate(people)
            ],
            batch_size=2000,
        )
    print(f"  {len(people):,} participants and allocations in {time.perf_counter() - began:.1f} s", flush=True)

    began = time.perf_counter()
    total = args.participants * args.days
    columns = (
        "participant_id, day, source, amount, unit, grams, visit_code, change_reason, entered_by_participant, "
        "entered_at, updated_at, missing"
    )
    stamp = "2024-01-01 00:00:00+00"
    with transaction.atomic(), connection.cursor() as cursor:
        # The generated rows point at the participants just made: skip the per-row foreign-key
        # checks and the audit triggers of this one table while loading (needs a superuser).
        cursor.execute("ALTER TABLE outcomes_drinkingrecord DISABLE TRIGGER ALL")
        with cursor.cursor.copy(f"COPY outcomes_drinkingrecord ({columns}) FROM STDIN") as copy:
            done = 0
            for i, p in enumerate(people):
                first = ANCHOR + dt.timedelta(days=i % 28 - LOOKBACK)
                buffer = io.StringIO()
                drinker = rng.random()
                for d in range(args.days):
                    grams = 0 if rng.random() > drinker * 0.8 else rng.randint(1, 160)
                    day = (first + dt.timedelta(days=d)).isoformat()
                    buffer.write(f"{p.pk}\t{day}\ttlfb\t{grams}\tg\t{grams}\t\t\tf\t{stamp}\t{stamp}\t{{}}\n")
                copy.write(buffer.getvalue())
                done += args.days
                if (i + 1) % max(1, args.participants // 10) == 0:
                    print(f"    loaded {done:,}/{total:,} records", flush=True)
        cursor.execute("ALTER TABLE outcomes_drinkingrecord ENABLE TRIGGER ALL")
    print(f"  {total:,} records loaded with COPY in {time.perf_counter() - began:.1f} s", flush=True)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would, before anyone asks for endpoints
    print(f"  vacuum analyze in {time.perf_counter() - began:.1f} s", flush=True)
