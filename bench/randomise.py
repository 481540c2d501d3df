"""Randomisations per second with 1, 4 and 16 concurrent threads, on PostgreSQL.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create
databases on::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker uv run python bench/randomise.py
    DATABASE_URL=... uv run python bench/randomise.py --participants 400 --threads 1,4,16

The database named in DATABASE_URL is not touched: the script creates a throwaway database
beside it (``<name>_bench``, or ``--database``), migrates it, loads protocols/kare.yaml, adds a
coordinator and an unblinded statistician, generates the allocation lists, and for each thread
count prepares ``--participants`` new participants through the services (screening, enrolment
with consent, baseline) spread over KARE's four strata. Only the randomisations are timed: every
thread takes its share, all start together, each call is ``participant_randomise`` in its own
transaction on the thread's own connection, as concurrent requests would be. After each run the
allocations are checked (one per participant, no slot twice). The database is dropped at the end,
also after a failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
STRATA = (("exeter", "M"), ("exeter", "F"), ("london", "M"), ("london", "F"))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=200, help="participants randomised per run (200)")
    parser.add_argument("--threads", default="1,4,16", help="thread counts, comma-separated (1,4,16)")
    parser.add_argument("--database", help="name of the throwaway database (<DATABASE_URL name>_bench)")
    args = parser.parse_args()
    args.threads = [int(t) for t in args.threads.split(",")]
    if args.participants < 1 or any(t < 1 for t in args.threads):
        parser.error("--participants and every thread count must be at least 1")
    return args


def _bench_url(url: str, name: str | None) -> tuple[str, str, str]:
    """(admin url, bench url, bench database name) from DATABASE_URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit("DATABASE_URL must name a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/trialtracker")
    base = parts.path.lstrip("/") or "postgres"
    name = name or f"{base}_bench"
    if not name.replace("_", "").isalnum():
        sys.exit(f"--database {name!r}: use letters, digits and underscores")
    return url, urlunsplit(parts._replace(path=f"/{name}")), name


def _admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(scheme="postgresql")), autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    args = _arguments()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (see the top of bench/randomise.py)")
    admin_url, bench_url, name = _bench_url(os.environ["DATABASE_URL"], args.database)
    print(f"creating database {name}", flush=True)
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "trialtracker.settings.test"  # fast password hashing, quiet logs
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _run(args)
    finally:
        from django.db import connections

        connections.close_all()
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"dropped database {name}", flush=True)


def _run(args: argparse.Namespace) -> None:
    from django.core.management import call_command

    from core.services import sites_for, user_create
    from participants.enrolment import services as enrolment
    from participants.randomisation import services as randomisation
    from trials.protocol import CriterionKind, load_file
    from trials.services import protocol_load

    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    trial = protocol_load(protocol=load_file(ROOT / "protocols" / "kare.yaml"), source="kare.yaml").version.trial
    all_sites = sites_for(trial=trial.code, sites=[])
    coordinator = user_create(username="bench-coordinator", role="coordinator", sites=all_sites)
    statistician = user_create(username="bench-statistician", role="unblinded_statistician", sites=all_sites)
    per_stratum = -(-args.participants * len(args.threads) // len(STRATA))
    randomisation.randomisation_lists_generate(actor=statistician, trial=trial, blocks=per_stratum // 4 + 2)
    print(f"KARE loaded, lists generated for {per_stratum} or more participants per stratum", flush=True)

    sites = {s.code: s for s in trial.sites.all()}
    criteria = trial.version_on().protocol.eligibility.criteria
    answers = {c.code: c.kind == CriterionKind.INCLUSION for c in criteria}
    screened_on = dt.date.today() - dt.timedelta(days=30)

    def prepare(n: int) -> list:
        participants = []
        for i in range(n):
            site, sex = STRATA[i % len(STRATA)]
            screening = enrolment.screening_record(
                actor=coordinator, site=sites[site], screened_on=screened_on, answers=answers
            )
            participant = enrolment.participant_enrol(
                actor=coordinator,
                screening=screening,
                sex=sex,
                age_at_consent=40,
                consent_form_version="1.0",
                consented_on=screened_on,
                first_name="Bench",
                last_name=f"Participant {i}",
            )
            participants.append(
                enrolment.baseline_complete(
                    actor=coordinator,
                    participant=participant,
                    completed_on=screened_on + dt.timedelta(days=7),
                    weight_kg=Decimal("75.0"),
                )
            )
            if (i + 1) % max(1, n // 4) == 0 or i + 1 == n:
                print(f"    prepared {i + 1}/{n}", flush=True)
        return participants

    rows = []
    for threads in args.threads:
        print(f"run with {threads} thread(s): preparing {args.participants} participants", flush=True)
        participants = prepare(args.participants)
        rows.append(_measure(randomisation, coordinator, participants, threads))
        print(f"    {rows[-1]['rate']:.1f} randomisations/s", flush=True)

    print()
    print(
        f"{'threads':>7}  {'randomised':>10}  {'seconds':>8}  {'per second':>10}  {'p50 ms':>7}  {'p95 ms':>7}  errors"
    )
    for r in rows:
        print(
            f"{r['threads']:>7}  {r['n']:>10}  {r['seconds']:>8.2f}  {r['rate']:>10.1f}  "
            f"{r['p50']:>7.1f}  {r['p95']:>7.1f}  {r['errors']}"
        )


def _measure(randomisation, coordinator, participants: list, threads: int) -> dict:
    from django.db import connection

    from participants.models import Allocation

    start = threading.Barrier(threads + 1)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(share: list) -> None:
        try:
            mine, failed = [], []
            start.wait()
            for participant in share:
                began = time.perf_counter()
                try:
                    randomisation.participant_randomise(actor=coordinator, participant=participant)
                except Exception as exc:
                    failed.append(repr(exc))
                mine.append(time.perf_counter() - began)
            with lock:
                latencies.extend(mine)
                errors.extend(failed)
        finally:
            connection.close()

    workers = [threading.Thread(target=work, args=(participants[t::threads],)) for t in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - began

    ids = [p.pk for p in participants]
    allocated = list(Allocation.objects.filter(participant_id__in=ids).values_list("participant_id", "slot_id"))
    if len(allocated) != len(ids) - len(errors) or len({slot for _, slot in allocated}) != len(allocated):
        raise SystemExit(f"run with {threads} threads: allocations are not one per participant and slot")
    for message in errors[:5]:
        print(f"    error: {message}", flush=True)
    cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
    return {
        "threads": threads,
        "n": len(allocated),
        "seconds": seconds,
        "rate": len(allocated) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p95": cuts[18] * 1000,
        "errors": len(errors),
    }


if __name__ == "__main__":
    main()
