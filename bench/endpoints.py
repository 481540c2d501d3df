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

* every endpoint of every participant and window through the real code (the rows of
  ``outcomes.exports.tables.endpoint_table`` for the system, as ``manage.py export_endpoints``
  writes them);
* ``COPY (SELECT participant_id, day, grams FROM outcomes_drinkingrecord) TO STDOUT``, read
  to the end by this process;

and prints both, their ratio (goal < 3) and this process's peak memory (maxrss; goal < 500 MB).
The database is dropped at the end, also after a failure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drinking_trial

ANCHOR = drinking_trial.ANCHOR
LOOKBACK = drinking_trial.LOOKBACK


def main() -> None:
    args = drinking_trial.arguments(description=__doc__.split("\n\n")[0], database="trialtracker_bench_endpoints")
    drinking_trial.main(args, _run, script="endpoints.py")


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

    from outcomes.exports.policy import endpoints_scope
    from outcomes.exports.tables import endpoint_table
    from trials.protocol import load_file
    from trials.services import protocol_load

    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    trial = protocol_load(
        protocol=load_file(drinking_trial.ROOT / "protocols" / "kare.yaml"), source="kare.yaml"
    ).version.trial
    windows = trial.version_on().protocol.outcomes.windows
    print(f"loading {args.participants:,} participants x {args.days} days", flush=True)
    drinking_trial.load(args, trial)

    table = endpoint_table(endpoints_scope(user=None, trial=trial))
    print("computing every endpoint (warm-up run, not timed)", flush=True)
    list(table.rows())
    print("computing every endpoint", flush=True)
    began = time.perf_counter()
    rows = list(table.rows())
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
    print(f"peak memory of this process (maxrss):     {drinking_trial.peak_mb():8.0f} MB (goal < 500)")


if __name__ == "__main__":
    main()
