"""Time the CSV export of a large trial's daily drinking records against COPY ... TO STDOUT.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create
databases on::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker uv run python bench/export.py
    DATABASE_URL=... uv run python bench/export.py --participants 2000 --days 365

The database named in DATABASE_URL is not touched: the script creates a throwaway database
(``trialtracker_bench_export``, or ``--database``), migrates it, loads protocols/kare.yaml, adds
``--participants`` randomised participants (both sites, all four arms) and bulk-loads ``--days``
consecutive days of TLFB records for each with COPY (10,000 x 365 = 3.65 million by default), the
audit and foreign-key triggers of that one table switched off while loading. It then times, in
the same run and on the same rows:

* the export path: ``outcomes.exports.export_open(format="csv", dataset="drinking")``, as
  ``manage.py export --dataset drinking`` and the API use it (the export log written, the rows
  read through a server-side cursor, the CSV produced block by block and hashed), every block
  read to the end by this process;
* ``COPY (<the same SELECT>) TO STDOUT WITH (FORMAT csv, HEADER)``, read to the end by this
  process;

and prints both, their ratio (goal < 2), that the two CSVs are the same bytes, and this process's
peak memory (maxrss) before and after the export (goal < 300 MB). The database is dropped at the
end, also after a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
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
    parser.add_argument("--database", default="trialtracker_bench_export", help="throwaway database name")
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
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the top of bench/export.py)")
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
    print(f"  {len(people):,} participants and allocations in {time.perf_counter() - began:.1f} s", flush=True)

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
        cursor.execute("VACUUM ANALYZE")
    print(f"  vacuum analyze in {time.perf_counter() - began:.1f} s", flush=True)


def _export(trial) -> tuple[float, int, str, int]:
    """The export path, read to the end: (seconds, bytes, sha256, rows)."""
    from outcomes.exports import export_open

    began = time.perf_counter()
    export = export_open(user=None, trial=trial, format="csv", dataset="drinking", via="command")
    digest = hashlib.sha256()
    size = 0
    step = 50 * 1024 * 1024
    for block in export.chunks:
        digest.update(block)
        size += len(block)
        if size // step != (size - len(block)) // step:
            print(f"    {size / 1e6:.0f} MB, peak memory {_peak_mb():.0f} MB", flush=True)
    seconds = time.perf_counter() - began
    export.log.refresh_from_db()
    if export.log.sha256 != digest.hexdigest():
        sys.exit("the export log's checksum is not the file's")
    return seconds, size, digest.hexdigest(), export.log.rows


def _copy(trial) -> tuple[float, int, str]:
    """COPY of the same SELECT, read to the end: (seconds, bytes, sha256)."""
    from django.db import connection

    from outcomes.exports.policy import export_scope
    from outcomes.exports.tables import _drinking_sql

    sql, params = _drinking_sql(export_scope(user=None, trial=trial))
    with connection.cursor() as cursor:
        literal = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql % tuple(params)
    literal = literal.decode() if isinstance(literal, bytes) else literal
    began = time.perf_counter()
    digest = hashlib.sha256()
    size = 0
    header = b"study_id,date,study_day,grams,source\n"
    digest.update(header)
    size += len(header)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({literal}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            digest.update(block)
            size += len(block)
    return time.perf_counter() - began, size, digest.hexdigest()


def _run(args) -> None:
    from django.core.management import call_command

    from trials.protocol import load_file
    from trials.services import protocol_load

    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    trial = protocol_load(protocol=load_file(ROOT / "protocols" / "kare.yaml"), source="kare.yaml").version.trial
    print(f"loading {args.participants:,} participants x {args.days} days", flush=True)
    _load(args, trial)
    before = _peak_mb()
    print(f"peak memory before exporting: {before:.0f} MB", flush=True)

    print("COPY ... TO STDOUT of the same rows (warm-up, not timed)", flush=True)
    _copy(trial)
    print("exporting the drinking records as CSV through the export path", flush=True)
    export_seconds, export_size, export_sha, rows = _export(trial)
    print(f"  {rows:,} rows, {export_size / 1e6:.0f} MB in {export_seconds:.2f} s", flush=True)
    print("COPY ... TO STDOUT of the same rows", flush=True)
    copy_seconds, copy_size, copy_sha = _copy(trial)
    print(f"  {copy_size / 1e6:.0f} MB in {copy_seconds:.2f} s", flush=True)
    expected = args.participants * args.days
    if rows != expected:
        sys.exit(f"expected {expected:,} rows, the export wrote {rows:,}")

    print()
    print(f"rows:                                     {rows:>12,}")
    print(f"export path (CSV, logged, hashed):        {export_seconds:8.2f} s")
    print(f"COPY ... TO STDOUT (CSV):                 {copy_seconds:8.2f} s")
    print(f"ratio export / COPY:                      {export_seconds / copy_seconds:8.2f}   (goal < 2)")
    print(f"same bytes as COPY:                       {'yes' if export_sha == copy_sha else 'NO'}")
    print(f"peak memory before / after the export:    {before:5.0f} / {_peak_mb():.0f} MB (goal < 300)")


if __name__ == "__main__":
    main()
