"""Time the drinking endpoints of a large trial against reading the same records out with COPY.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create
databases on::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker uv run python bench/endpoints.py
    DATABASE_URL=... uv run python bench/endpoints.py --participants 2000 --days 365

The database named in DATABASE_URL is not touched: the script creates a throwaway database
(``trialtracker_bench_endpoints``, or ``--database``), migrates it, loads protocols/kare.yaml,
adds ``--participants`` randomised participants (half women, both sites, all four arms) and
bulk-loads ``--days`` consecutive days of TLFB records for each (from 90 days before
randomisation; about 60% abstinent, gaps none) with COPY, the audit and foreign-key triggers of
that one table switched off while loading. It then times, in the same run and on the same rows:

* every endpoint of every participant and window through the real code
  (``outcomes.selectors.endpoints_for_export``, as ``manage.py export_endpoints`` does);
* ``COPY (SELECT participant_id, day, grams FROM outcomes_drinkingrecord) TO STDOUT``, read
  to the end by this process;

and prints both, their ratio (goal < 3) and this process's peak memory (maxrss; goal < 500 MB).
The database is dropped at the end, also after a failure.
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
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = dt.date(2023, 1, 2)
LOOKBACK = 90


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000, help="participants (10000)")
    parser.add_argument("--days", type=int, default=365, help="recorded days per participant (365)")
    parser.add_argument("--database", default="trialtracker_bench_endpoints", help="throwaway database name")
    parser.add_argument("--seed", type=int, default=20240708)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards, for a closer look")
    args = parser.parse_args()
    if args.participants < 1 or not (1 <= args.days <= 1000):
        parser.error("--participants must be at least 1 and --days 1 to 1000")
    if not args.database.replace("_", "").isalnum():
        parser.error("--database: use letters, digits and underscores")
    return args


def _urls(url: str, name: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must name a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/trialtracker")
    return url, urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute(sql)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the top of bench/endpoints.py)")
    admin_url, bench_url = _urls(os.environ["DATABASE_URL"], args.database)
    print(f"creating database {args.database}", flush=True)
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    _admin(admin_url, f'CREATE DATABASE "{args.database}"')
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "trialtracker.settings.test"
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept database {args.database}", flush=True)
        else:
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            print(f"dropped database {args.database}", flush=True)


def _load(args, trial) -> None:
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
    print(f"  {len(people)} participants and allocations in {time.perf_counter() - began:.1f} s", flush=True)

    began = time.perf_counter()
    total = args.participants * args.days
    columns = "participant_id, day, source, amount, unit, grams, visit_code, change_reason, entered_at, updated_at"
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
                    buffer.write(f"{p.pk}\t{day}\ttlfb\t{grams}\tg\t{grams}\t\t\t{stamp}\t{stamp}\n")
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


def _copy_seconds() -> tuple[float, int]:
    from django.db import connection

    began = time.perf_counter()
    size = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy("COPY (SELECT participant_id, day, grams FROM outcomes_drinkingrecord) TO STDOUT") as copy,
    ):
        for block in copy:
            size += len(block)
    return time.perf_counter() - began, size


def _run(args) -> None:
    from django.core.management import call_command

    from outcomes import selectors
    from trials.protocol import load_file
    from trials.services import protocol_load

    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    trial = protocol_load(protocol=load_file(ROOT / "protocols" / "kare.yaml"), source="kare.yaml").version.trial
    windows = trial.version_on().protocol.outcomes.windows
    print(f"loading {args.participants:,} participants x {args.days} days", flush=True)
    _load(args, trial)

    print("computing every endpoint (warm-up run, not timed)", flush=True)
    selectors.endpoints_for_export(user=None, trial=trial)
    print("computing every endpoint", flush=True)
    began = time.perf_counter()
    rows, _ = selectors.endpoints_for_export(user=None, trial=trial)
    endpoint_seconds = time.perf_counter() - began
    expected = args.participants * len(windows)
    if len(rows) != expected:
        sys.exit(f"expected {expected} rows, got {len(rows)}")
    print(f"  {len(rows):,} rows ({args.participants:,} participants x {len(windows)} windows)", flush=True)
    print("reading the same records with COPY ... TO STDOUT", flush=True)
    copy_seconds, size = _copy_seconds()
    print(f"  {size / 1e6:.0f} MB of text", flush=True)

    print()
    print(f"endpoints (every participant and window): {endpoint_seconds:8.2f} s")
    print(f"COPY of participant_id, day, grams:       {copy_seconds:8.2f} s")
    print(f"ratio endpoints / COPY:                   {endpoint_seconds / copy_seconds:8.2f}   (goal < 3)")
    print(f"peak memory of this process (maxrss):     {_peak_mb():8.0f} MB (goal < 500)")


if __name__ == "__main__":
    main()
