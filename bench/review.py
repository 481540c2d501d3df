"""Time the monitor's and the investigator's pages of a large multi-site trial.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create
databases on::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker uv run python bench/review.py
    DATABASE_URL=... uv run python bench/review.py --participants 2000 --requests 10

The database named in DATABASE_URL is not touched: the script creates a throwaway database
(``trialtracker_bench_review``, or ``--database``), migrates it, loads protocols/kare.yaml and
bulk-loads ``--participants`` randomised participants at both sites as bench/pages.py does (an
identity, the protocol's appointments, a drinking record a day from 90 days before randomisation
to yesterday, up to ``--days``). It adds, with bulk inserts rather than through the services but
with the digests the services would store (a signature asks for the signer's password and a fresh
one-time code every time, a code being good once, and a mark reads its record again in a
transaction of its own: far too slow for tens of thousands of marks):

* an attended visit at every appointment done;
* a monitor and an investigator at Exeter, each signed in with a verified second factor;
* the monitor's marks: every record of the monitoring plan of every second Exeter participant (by
  study id), verified as a whole form, its digest that of :func:`review.verification.digest`;
* the investigator's signatures: the casebook and each visit of two Exeter participants in three,
  with the digests of :func:`review.signing.digests`;
* then a drinking day of the primary window of every tenth Exeter participant raised by one unit
  (a plain UPDATE, the audit triggers on), so that its mark reads changed since verified and the
  casebook's signature is invalid, as after a correction.

It then times, through Django's test client (the whole request inside the server: middleware,
views, templates read through the cached loader; no network), one warm-up request and
``--requests`` requests of each page:

* ``/monitoring/``, the monitor's progress over the whole trial at their site;
* ``/participants/<id>/monitoring/``, over as many different Exeter participants, as the monitor;
* ``/signing/``, the investigator's list of casebooks and visits to sign;

and prints each one's median, 95th percentile, the queries of the warm-up request (their count and
the seconds the database took) and the process's peak memory so far. A page whose median is over
``--profile-over`` seconds (1) is profiled once: the statements it repeats most, and with cProfile
the functions with most time of their own and the project's functions with most time inside them.
The database is dropped at the end, also after a failure.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import random
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drinking_trial, pages

CHUNK = 200  # participants whose records are read at once while marking and signing
PROJECT = re.escape(str(drinking_trial.ROOT)) + r"/(core|trials|review|participants|outcomes|reminders|trialtracker)/"


def main() -> None:
    args = drinking_trial.arguments(
        description=__doc__.split("\n\n")[0], database="trialtracker_bench_review", more=_profile_option
    )
    drinking_trial.main(args, _run, script="review.py")


def _profile_option(parser) -> None:
    parser.add_argument(
        "--profile-over", type=float, default=1.0, help="profile a page whose median exceeds this many seconds (1)"
    )


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _visits(trial, recorder) -> int:
    """An attended visit, on its target date, at every appointment done."""
    from django.db import transaction

    from participants.models import Appointment, AppointmentStatus, Visit

    began = time.perf_counter()
    done = Appointment.objects.filter(participant__trial=trial, status=AppointmentStatus.DONE)
    with transaction.atomic():
        made = Visit.objects.bulk_create(
            [
                Visit(appointment_id=pk, actual_date=day, attended=True, recorded_by=recorder)
                for pk, day in done.values_list("pk", "target_date").iterator(chunk_size=10_000)
            ],
            batch_size=5000,
        )
    print(f"  {len(made):,} visits in {time.perf_counter() - began:.1f} s", flush=True)
    return len(made)


def _marks_of(monitor, states) -> list:
    """The monitor's whole-form marks on every record of the plan, as ``record_verify`` makes them."""
    from review import verification
    from review.models import VerificationMark

    marks = []
    for state in states:
        if state.plan is None:
            continue
        record = state.record
        hidden = record.hidden(monitor)
        items = [i.name for i in record.kind.items if i.name not in hidden]
        marks.append(
            VerificationMark(
                trial_id=record.participant.trial_id,
                site_id=record.participant.site_id,
                participant_id=record.participant.pk,
                kind=record.kind.code,
                record_id=record.pk,
                items=items,
                fingerprint=verification.digest(record, items, whole=True),
                verified_by=monitor,
            )
        )
    return marks


def _signatures_of(investigator, participant, records, now) -> list:
    """The investigator's signatures of the casebook and of each visit, as ``signature_sign`` makes them."""
    from review.models import Signature, SignatureMeaning, SignatureScope
    from review.signing import digests

    return [
        Signature(
            trial_id=participant.trial_id,
            site_id=participant.site_id,
            participant_id=participant.pk,
            scope=SignatureScope.VISIT if key else SignatureScope.CASEBOOK,
            appointment_id=key,
            meaning=SignatureMeaning.REVIEW,
            signer=investigator,
            printed_name="Bench Investigator",
            signed_at=now,
            fingerprint=fingerprint,
            record_count=count,
        )
        for key, (fingerprint, count) in digests(records).items()
    ]


def _review_state(trial, monitor, investigator) -> dict:
    """Marks on every second Exeter participant's plan and signatures of two in three, read and
    digested ``CHUNK`` participants at a time; returns the Exeter participants and the counts."""
    from django.db import transaction
    from django.utils import timezone

    from review import verification
    from review.models import Signature, VerificationMark
    from review.selectors import participants_at

    people = list(participants_at(user=monitor, trial=trial))
    began = time.perf_counter()
    now = timezone.now()
    counts = {"participants": len(people), "records": 0, "planned": 0, "marks": 0, "signatures": 0}
    for done, chunk in enumerate(_chunks(people, CHUNK)):
        states = verification.states_of(user=monitor, participants=chunk)
        marks, signatures = [], []
        for j, person in enumerate(chunk, start=done * CHUNK):
            rows = states[person.pk]
            counts["records"] += len(rows)
            counts["planned"] += sum(1 for s in rows if s.plan)
            if j % 2 == 0:
                marks += _marks_of(monitor, rows)
            if j % 3 and rows:
                signatures += _signatures_of(investigator, person, [s.record for s in rows], now)
        with transaction.atomic():
            counts["marks"] += len(VerificationMark.objects.bulk_create(marks, batch_size=5000))
            counts["signatures"] += len(Signature.objects.bulk_create(signatures, batch_size=5000))
        print(
            f"    marked and signed {min(len(people), (done + 1) * CHUNK):,}/{len(people):,} participants "
            f"({counts['marks']:,} marks, {counts['signatures']:,} signatures, "
            f"{time.perf_counter() - began:.0f} s)",
            flush=True,
        )
    return {"people": people, **counts}


def _change_some(people) -> int:
    """Raise one drinking day of every tenth participant's primary window (study day 10) by a unit:
    the mark on it reads changed since verified and the casebook's signature goes invalid."""
    import datetime as dt

    from django.db.models import F

    from outcomes.models import DrinkingRecord
    from participants.models import Allocation

    chosen = [p.pk for j, p in enumerate(people) if j % 10 == 0]
    randomised = dict(
        Allocation.objects.filter(participant_id__in=chosen).values_list("participant_id", "allocated_on")
    )
    changed = 0
    for pid, day in randomised.items():
        changed += DrinkingRecord.objects.filter(participant_id=pid, day=day + dt.timedelta(days=9)).update(
            amount=F("amount") + 8, grams=F("grams") + 8
        )
    return changed


def _load_review(args, trial) -> tuple[dict, dict]:
    """The participants and their records, the two reviewers, the visits, marks and signatures;
    returns the signed-in clients by role and what was loaded."""
    from django.db import connection

    print(f"loading {args.participants:,} participants", flush=True)
    pages.load(args, trial)
    monitor_client, monitor = pages.staff_client(trial, username="bench-monitor", role="monitor")
    investigator_client, investigator = pages.staff_client(trial, username="bench-investigator", role="investigator")
    print("loading the review", flush=True)
    _visits(trial, investigator)
    loaded = _review_state(trial, monitor, investigator)
    loaded["changed"] = _change_some(loaded["people"])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"  Exeter: {loaded['participants']:,} participants, {loaded['records']:,} records "
        f"({loaded['planned']:,} in the monitoring plan), {loaded['marks']:,} marks, "
        f"{loaded['signatures']:,} signatures, {loaded['changed']:,} drinking days changed since",
        flush=True,
    )
    return {"monitor": monitor_client, "investigator": investigator_client}, loaded


def _captured(client, path: str) -> list[tuple[str, float]]:
    """The statements of one request of ``path`` (the warm-up), each with its seconds. Counted by a
    wrapper of the connection's execute rather than ``CaptureQueriesContext``, which keeps 9,000."""
    from django.db import connection

    ran: list[tuple[str, float]] = []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ran.append((sql, time.perf_counter() - began))

    with connection.execute_wrapper(timed):
        pages.times(client, [path])
    return ran


def _repeated(queries: list[tuple[str, float]], shown: int = 4) -> None:
    """The statements a request ran most often (a list of placeholders as one), with count and seconds."""
    shapes: dict[str, list[float]] = {}
    for sql, seconds in queries:
        shapes.setdefault(re.sub(r"(%s, )+%s", "%s, ...", sql), []).append(seconds)
    print(f"  {len(queries):,} queries, {len(shapes):,} statements; the most repeated:", flush=True)
    for shape, times in sorted(shapes.items(), key=lambda kv: -len(kv[1]))[:shown]:
        print(f"    {len(times):>6,} x, {sum(times) * 1000:>6.0f}ms  {shape[:150]}", flush=True)


def _profile(client, path: str, queries: list[tuple[str, float]]) -> None:
    """Profile one request of ``path``: the statements it repeats, the functions with most time of
    their own, and the project's with most time inside them."""
    print(f"\nprofile of {path}", flush=True)
    _repeated(queries)
    profile = cProfile.Profile()
    profile.enable()
    pages.times(client, [path])
    profile.disable()
    for order, restriction in (("tottime", ()), ("cumulative", (PROJECT,))):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(*restriction, 14)
        text = out.getvalue().replace(f"{drinking_trial.ROOT}/", "")
        print(f"  by {order}:\n" + text[text.index("   ncalls") :].rstrip(), flush=True)


def _run(args) -> None:
    # The test settings serve no collected static files; the pages' links to them are all we time.
    warnings.filterwarnings("ignore", message="No directory at")
    trial = pages.kare_trial()
    clients, loaded = _load_review(args, trial)
    ids = [p.study_id for p in loaded["people"]]
    chosen = random.Random(args.seed).sample(ids, min(args.requests, len(ids)))
    plan = (
        ("/monitoring/", "monitor", ["/monitoring/"] * args.requests),
        ("/participants/<id>/monitoring/", "monitor", [f"/participants/{sid}/monitoring/" for sid in chosen]),
        ("/signing/", "investigator", ["/signing/"] * args.requests),
    )
    print(f"\n{'page':<32} {'as':<13} {'median':>10} {'p95':>10} {'queries':>8} {'SQL':>8} {'peak':>9}", flush=True)
    slow = []
    for name, role, paths in plan:
        queries = _captured(clients[role], paths[0])
        timed = pages.times(clients[role], paths)
        sql = sum(seconds for _, seconds in queries)
        print(
            f"{name:<32} {role:<13} {pages.ms(timed):>10} {pages.ms(timed, p95=True):>10} {len(queries):>8} "
            f"{sql * 1000:>6.0f}ms {drinking_trial.peak_mb():>7,.0f}MB",
            flush=True,
        )
        if statistics.median(timed) > args.profile_over:
            slow.append((role, paths[0], queries))
    for role, path, queries in slow:
        _profile(clients[role], path, queries)


if __name__ == "__main__":
    main()
