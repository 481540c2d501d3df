"""Time the staff pages of a large trial against the API's lists of the same rows, in one run.

Run from the repository root, with DATABASE_URL naming a PostgreSQL server you may create
databases on::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/trialtracker uv run python bench/pages.py
    DATABASE_URL=... uv run python bench/pages.py --participants 2000 --requests 20

The database named in DATABASE_URL is not touched: the script creates a throwaway database
(``trialtracker_bench_pages``, or ``--database``), migrates it, loads protocols/kare.yaml and
bulk-loads ``--participants`` randomised participants over the last year at both sites, each
with an identity, the protocol's schedule of appointments (those whose window closed more than
three days ago marked done, so a few closed windows remain, as at a real site) and a drinking
record for every day from 90 days before randomisation to yesterday (up to ``--days``). It then
signs in one Exeter coordinator and, through Django's test client (the whole request inside the
server: middleware, views, templates; no network), times ``--requests`` requests of each page and,
in the same run, of the API:

* the dashboard ``/`` (at most 200 appointments: this week's and the closed windows), against the
  API's worklist ``/api/appointments/?page_size=200``, and against it with the serious adverse event
  deadlines and the reminders' worklist, the other rows the dashboard gathers;
* a casebook ``/participants/<id>/``, against ``/api/participants/<id>/appointments/``, and against
  the six calls that return what it shows (the participant, identity, appointments, adverse events,
  deviations and history);
* the calendar ``/participants/<id>/drinking/`` (the 28 days of the recall period it proposes),
  against ``/api/participants/<id>/drinking-days/?page_size=28``, and against it with the
  appointments (its marker days);

(casebook and calendar over as many different participants). Each single list is asked for as many
rows as its page shows (the dashboard's two tables hold 100 rows each), by the same coordinator, and
templates are read through Django's cached loader, as in production. It prints each one's median and 95th
percentile, the ratio of the page's median to the single list's and to the calls gathered; the goal
is a page within 1.5 times the API calls that give the same rows. The database is
dropped at the end, also after a failure.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import drinking_trial

GOAL = 1.5

# Each page against the API's list of the rows it shows (the single call a client would make),
# and against every API call whose rows the page gathers (what a client would need for the page).
SETS = [
    (
        "dashboard",
        ["/"],
        ["/api/appointments/?page_size=200"],
        ["/api/appointments/?page_size=200", "/api/adverse-events/deadlines/", "/api/reminders/worklist/"],
    ),
    (
        "casebook",
        ["/participants/{}/"],
        ["/api/participants/{}/appointments/"],
        [
            "/api/participants/{}/",
            "/api/participants/{}/identity/",
            "/api/participants/{}/appointments/",
            "/api/participants/{}/adverse-events/",
            "/api/participants/{}/deviations/",
            "/api/participants/{}/history/",
        ],
    ),
    (
        "calendar",
        ["/participants/{}/drinking/"],
        ["/api/participants/{}/drinking-days/?page_size=28"],
        ["/api/participants/{}/drinking-days/?page_size=28", "/api/participants/{}/appointments/"],
    ),
]


def main() -> None:
    args = drinking_trial.arguments(description=__doc__.split("\n\n")[0], database="trialtracker_bench_pages")
    drinking_trial.main(args, _run, script="pages.py")


def _schedule(protocol, randomised_on: dt.date) -> list[tuple]:
    """(event, target, window start, window end) of each scheduled event, chained anchors followed."""
    targets: dict[str, dt.date] = {"randomisation": randomised_on}
    out = []
    for event in protocol.schedule:
        target = targets.get(event.anchor, randomised_on) + dt.timedelta(days=event.day)
        targets[event.code] = target
        out.append(
            (event, target, target + dt.timedelta(days=event.window[0]), target + dt.timedelta(days=event.window[1]))
        )
    return out


def load(args, trial) -> None:
    """Bulk-load ``args.participants`` randomised participants of ``trial`` over the last year at its
    sites (study ids ``P000000``...), each with an identity, the protocol's appointments (those whose
    window closed more than three days ago done) and a drinking record a day (:func:`_load_records`).
    Shared by the benchmarks of the staff pages (bench/review.py)."""
    from django.db import transaction

    from participants.models import Allocation, AllocationMethod, Appointment, Identity, Participant
    from trials.models import Arm

    rng = random.Random(args.seed)
    version = trial.version_on()
    protocol = version.protocol
    sites = list(trial.sites.order_by("code"))
    arms = list(Arm.objects.filter(trial=trial))
    today = dt.date.today()
    began = time.perf_counter()
    dates = [today - dt.timedelta(days=i % 365) for i in range(args.participants)]
    with transaction.atomic():
        people = Participant.objects.bulk_create(
            [
                Participant(
                    trial=trial, site=sites[i % len(sites)], study_id=f"P{i:06d}", sex="FM"[i % 2], enrolled_on=dates[i]
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
                    allocated_on=dates[i],
                )
                for i, p in enumerate(people)
            ],
            batch_size=2000,
        )
        Identity.objects.bulk_create(
            [
                Identity(participant=p, first_name=f"Bench{i}", last_name="Person", email=f"p{i}@example.org")
                for i, p in enumerate(people)
            ],
            batch_size=2000,
        )
        appointments = []
        for i, p in enumerate(people):
            for sequence, (event, target, start, end) in enumerate(_schedule(protocol, dates[i]), start=1):
                appointments.append(
                    Appointment(
                        participant=p,
                        protocol_version=version,
                        event_code=event.code,
                        title=event.title,
                        kind=event.kind,
                        sequence=sequence,
                        anchor=event.anchor,
                        target_date=target,
                        window_start=start,
                        window_end=end,
                        booked_date=target,
                        status="done" if end < today - dt.timedelta(days=3) else "scheduled",
                    )
                )
        Appointment.objects.bulk_create(appointments, batch_size=5000)
    print(
        f"  {len(people):,} participants, identities and allocations, {len(appointments):,} appointments "
        f"in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    _load_records(args, people, dates, rng)


def _load_records(args, people, dates: list[dt.date], rng: random.Random) -> None:
    """A TLFB record for every day from 90 days before each person's randomisation to yesterday."""
    from django.db import connection, transaction

    today = dt.date.today()
    began = time.perf_counter()
    columns = (
        "participant_id, day, source, amount, unit, grams, visit_code, change_reason, entered_by_participant, "
        "entered_at, updated_at, missing"
    )
    stamp = "2024-01-01 00:00:00+00"
    total = 0
    tenth = max(1, len(people) // 10)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE outcomes_drinkingrecord DISABLE TRIGGER ALL")
        with cursor.cursor.copy(f"COPY outcomes_drinkingrecord ({columns}) FROM STDIN") as copy:
            for i, p in enumerate(people):
                if i and i % tenth == 0:
                    print(f"    records of {i:,}/{len(people):,} participants ({total:,} days)", flush=True)
                first = dates[i] - dt.timedelta(days=90)
                last = min(today - dt.timedelta(days=1), first + dt.timedelta(days=args.days - 1))
                buffer = io.StringIO()
                day = first
                while day <= last:
                    grams = 0 if rng.random() < 0.6 else rng.randint(1, 160)
                    buffer.write(
                        f"{p.pk}\t{day.isoformat()}\ttlfb\t{grams}\tg\t{grams}\t\t\tf\t{stamp}\t{stamp}\t{{}}\n"
                    )
                    day += dt.timedelta(days=1)
                    total += 1
                copy.write(buffer.getvalue())
        cursor.execute("ALTER TABLE outcomes_drinkingrecord ENABLE TRIGGER ALL")
        cursor.execute("ANALYZE")
    print(f"  {total:,} drinking records loaded with COPY in {time.perf_counter() - began:.1f} s", flush=True)


def times(client, paths: list[str]) -> list[float]:
    """Seconds of each GET of ``paths``, in order; anything but a 200 stops the benchmark."""
    out = []
    for path in paths:
        began = time.perf_counter()
        response = client.get(path)
        out.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
    return out


def _composite(client, paths: list[str], study_ids: list[str]) -> list[float]:
    """Seconds per round of ``paths`` (``{}`` filled with one study id a round), after a warm-up round."""
    rounds = [[p.format(sid) for p in paths] for sid in study_ids]
    times(client, rounds[0])
    return [sum(times(client, one)) for one in rounds]


def ms(values: list[float], *, p95: bool = False) -> str:
    """The median (or the 95th percentile) of ``values`` seconds, in milliseconds."""
    return f"{(percentile_95(values) if p95 else statistics.median(values)) * 1000:.1f}ms"


def percentile_95(values: list[float]) -> float:
    """The 95th percentile of ``values`` (nearest rank; the largest of fewer than 20)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def kare_trial():
    """Migrate the throwaway database and load protocols/kare.yaml; returns the trial. Refuses to
    time pages whose templates are not read through the cached loader, as in production."""
    from django.core.management import call_command
    from django.template import engines

    from trials.protocol import load_file
    from trials.services import protocol_load

    loaders = [type(loader).__module__ for loader in engines["django"].engine.template_loaders]
    if loaders != ["django.template.loaders.cached"]:
        raise SystemExit(f"templates must be read through the cached loader, as in production (not {loaders})")
    print("migrating", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    return protocol_load(
        protocol=load_file(drinking_trial.ROOT / "protocols" / "kare.yaml"), source="kare.yaml"
    ).version.trial


def staff_client(trial, *, username: str, role: str, site: str = "exeter"):
    """A test client signed in as a new user with ``role`` at ``site``, their second factor verified
    for the session (as after typing a code), and the user."""
    import django_otp
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.services import sites_for, user_create

    user = user_create(
        username=username, password=None, role=role, sites=sites_for(trial=trial.code, sites=[site]), reason="benchmark"
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True
    ).persistent_id
    session.save()
    return client, user


def _run(args) -> None:
    trial = kare_trial()
    print(f"loading {args.participants:,} participants", flush=True)
    load(args, trial)
    client, _ = staff_client(trial, username="bench-coordinator", role="coordinator")
    exeter = list(
        trial.participants.filter(site__code="exeter").order_by("?").values_list("study_id", flat=True)[: args.requests]
    )
    print(
        f"\n{'':<10} {'page median':>12} {'p95':>8} {'API list':>9} {'p95':>8} {'ratio':>6} "
        f"{'API calls':>10} {'p95':>8} {'ratio':>6}"
    )
    worst = 0.0
    for name, page, single, composite in SETS:
        page_times = _composite(client, page, exeter)
        single_times = _composite(client, single, exeter)
        composite_times = _composite(client, composite, exeter)
        first = statistics.median(page_times) / statistics.median(single_times)
        gathered = statistics.median(page_times) / statistics.median(composite_times)
        worst = max(worst, gathered)
        print(
            f"{name:<10} {ms(page_times):>12} {ms(page_times, p95=True):>8} {ms(single_times):>9} "
            f"{ms(single_times, p95=True):>8} {first:>6.2f} {ms(composite_times):>10} "
            f"{ms(composite_times, p95=True):>8} {gathered:>6.2f}",
            flush=True,
        )
    print(f"\nworst ratio to the API calls gathered {worst:.2f} (goal: pages within {GOAL} times the API)", flush=True)


if __name__ == "__main__":
    main()
