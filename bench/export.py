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
  ``manage.py export --dataset drinking`` and the API use it (the export log written, the CSV
  written by PostgreSQL's COPY inside the export's snapshot and produced block by block, hashed),
  every block read to the end by this process;
* ``COPY (<the same SELECT>) TO STDOUT WITH (FORMAT csv, HEADER)``, read to the end by this
  process;

and prints both, their ratio (goal < 2), that the two CSVs are the same bytes, and this process's
peak memory (maxrss) before and after the export (goal < 300 MB). The database is dropped at the
end, also after a failure.
"""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drinking_trial

ANCHOR = drinking_trial.ANCHOR
LOOKBACK = drinking_trial.LOOKBACK


def main() -> None:
    args = drinking_trial.arguments(description=__doc__.split("\n\n")[0], database="trialtracker_bench_export")
    drinking_trial.main(args, _run, script="export.py")


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
            print(f"    {size / 1e6:.0f} MB, peak memory {drinking_trial.peak_mb():.0f} MB", flush=True)
    seconds = time.perf_counter() - began
    export.log.refresh_from_db()
    if export.log.sha256 != digest.hexdigest():
        sys.exit("the export log's checksum is not the file's")
    return seconds, size, digest.hexdigest(), export.log.rows


def _copy(trial) -> tuple[float, int, str]:
    """COPY of the same SELECT, read to the end: (seconds, bytes, sha256)."""
    from django.db import connection

    from outcomes.exports.policy import export_scope
    from outcomes.exports.tables import _DRINKING_COLUMNS, _drinking_sql

    sql, params = _drinking_sql(export_scope(user=None, trial=trial))
    with connection.cursor() as cursor:
        literal = cursor.mogrify(sql, params) if hasattr(cursor, "mogrify") else sql % tuple(params)
    literal = literal.decode() if isinstance(literal, bytes) else literal
    began = time.perf_counter()
    digest = hashlib.sha256()
    size = 0
    header = (",".join(c.name for c in _DRINKING_COLUMNS) + "\n").encode()
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
    trial = protocol_load(
        protocol=load_file(drinking_trial.ROOT / "protocols" / "kare.yaml"), source="kare.yaml"
    ).version.trial
    print(f"loading {args.participants:,} participants x {args.days} days", flush=True)
    drinking_trial.load(args, trial)
    before = drinking_trial.peak_mb()
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
    print(f"peak memory before / after the export:    {before:5.0f} / {drinking_trial.peak_mb():.0f} MB (goal < 300)")


if __name__ == "__main__":
    main()
