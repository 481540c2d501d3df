"""Fuzz the whole API from its own OpenAPI schema, over a simulated trial: no answer is a server
error, every answer matches the schema, and most operations succeed at least once.

The module's data are a small KARE trial run through :mod:`trialtracker.simulation`, plus a few
people at the steps the simulation leaves behind it (enrolled but not baselined, baselined but not
randomised, randomised ten days ago with their first visits still open, an infusion visit attended
without its infusion), a serious adverse event, a deviation, a participant's data lock, and one
user (with an API token) per role at every KARE site. It is written once, in a transaction rolled
back after the last test; each operation's test runs in a savepoint inside it, so the writes of
one operation's examples accumulate and vanish before the next operation.

Schemathesis generates each request; the ``flatmap_case`` hook then, most of the time, puts real
path and query parameters in it (a KARE study id, an open appointment, ...), offers a valid body
built from the data (a date inside the appointment's window, an infusion with its vitals, ...) in
place of the generated one, and gives it the token of a role the project lets do the operation.
The rest of the time the generated parameters, body or role go as they are, so that unknown ids,
malformed bodies and refusals stay fuzzed. Every response goes through the same checks. What one
operation needs and would stop the others (a new consent form to consent to, a locked trial to
unblind for analysis) is set up in that operation's own test.

The status codes answered are recorded per operation; the last test fails when fewer than
:data:`FLOOR` of the operations answered 2xx at least once, and the share is printed at the end
of the run (``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
import schemathesis
import yaml
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.clock import today_at
from core.roles import (
    ENTER_DATA,
    MANAGE_PEOPLE,
    MANAGE_RANDOMISATION_LIST,
    RANDOMISE,
    READ_IDENTITY,
    RECORD_WITHDRAWAL,
    SCREEN_AND_ENROL,
    Role,
)
from core.services import sites_for, user_create
from outcomes.exports import DEFAULT_DATASETS, FORMATS, TABULAR_FORMATS
from outcomes.exports.policy import EXPORTERS
from participants.enrolment import services as enrolment
from participants.locks import services as locks
from participants.locks.services import LOCKERS
from participants.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    Causality,
    DataLock,
    Deviation,
    DeviationKind,
    InfusionSession,
    ScreeningOutcome,
    Visit,
    WithdrawalScope,
)
from participants.randomisation import services as randomisation
from participants.safety import services as safety
from participants.safety.services import REVIEWERS
from participants.schedule import services as schedule
from reminders.models import State
from tests.conftest import FUZZ_SUMMARY
from trials.protocol import CriterionKind, load_file, validate
from trials.selectors import HISTORY_READERS
from trials.services import protocol_load
from trialtracker.simulation import Simulation
from trialtracker.wsgi import application

KARE_FILE = Path(__file__).resolve().parent.parent / "protocols" / "kare.yaml"
# Examples per operation: few by default, since there are some seventy operations and the suite
# must stay quick; TRIALTRACKER_FUZZ_EXAMPLES=200 fuzzes more deeply.
MAX_EXAMPLES = int(os.environ.get("TRIALTRACKER_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The simulated trial: small, and the same on every run.
SIMULATED_PARTICIPANTS = 8
SIMULATION_SEED = 11
PASSWORD = "fuzz-Correct-Horse-Battery-9"
# The share of operations that must answer 2xx at least once.
FLOOR = 0.8
# Operations that cannot answer 2xx by design, with the reason. Keep it short.
CANNOT_SUCCEED: dict[str, str] = {}

# Of every OUT_OF draws: how many put the seeded data in (the rest send the generated request as
# it is), how many of those offer a valid body in place of the generated one, and how many take
# the token of a role that may do the operation (the rest: of any role).
OUT_OF = 5
SEEDED_DATA = 4
VALID_BODY = 3
ABLE_ROLE = 4


def _able(roles) -> tuple[str, ...]:
    return tuple(sorted(str(role) for role in roles))


ANY_ROLE = _able(Role)
# Who may do what (as the project declares it); an operation not named here is open to every role.
ROLES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        [
            "PATCH /api/adverse-events/{id}/",
            "POST /api/adverse-events/{id}/reports/",
            "POST /api/appointments/{id}/cancel/",
            "POST /api/appointments/{id}/infusion/",
            "POST /api/appointments/{id}/reschedule/",
            "POST /api/appointments/{id}/session/",
            "POST /api/appointments/{id}/visit/",
            "PATCH /api/appointments/{id}/visit/",
            "POST /api/participants/{study_id}/adverse-events/",
            "POST /api/participants/{study_id}/appointments/",
            "POST /api/participants/{study_id}/biomarkers/",
            "POST /api/participants/{study_id}/deviations/",
            "PUT /api/participants/{study_id}/drinking-days/",
            "POST /api/participants/{study_id}/questionnaires/",
        ],
        _able(ENTER_DATA),
    ),
    **dict.fromkeys(
        [
            "POST /api/participants/",
            "POST /api/participants/{study_id}/baseline/",
            "POST /api/participants/{study_id}/consents/",
            "POST /api/screenings/",
        ],
        _able(SCREEN_AND_ENROL),
    ),
    **dict.fromkeys(
        [
            "GET /api/participants/{study_id}/contact-preferences/",
            "PUT /api/participants/{study_id}/contact-preferences/",
            "GET /api/participants/{study_id}/identity/",
        ],
        _able(READ_IDENTITY),
    ),
    **dict.fromkeys(
        [
            "GET /api/trials/{code}/randomisation-lists/",
            "POST /api/trials/{code}/randomisation-lists/",
            "GET /api/trials/{code}/randomisation-lists/slots/",
            "POST /api/trials/{code}/randomisation-lists/top-up/",
            "GET /api/trials/{code}/randomisation-lists/verify/",
        ],
        _able(MANAGE_RANDOMISATION_LIST),
    ),
    **dict.fromkeys(
        ["GET /api/users/", "POST /api/users/", "POST /api/users/{user_id}/memberships/"], _able(MANAGE_PEOPLE)
    ),
    **dict.fromkeys(
        [
            "POST /api/locks/{id}/unlock/",
            "POST /api/trials/{code}/analysis-unblinding/",
            "POST /api/trials/{code}/locks/",
        ],
        _able(LOCKERS),
    ),
    "POST /api/deviations/{id}/review/": _able(REVIEWERS),
    "POST /api/participants/{study_id}/randomise/": _able(RANDOMISE),
    "POST /api/participants/{study_id}/withdrawals/": _able(RECORD_WITHDRAWAL),
    "GET /api/trials/{code}/history/": _able(HISTORY_READERS),
    "GET /api/trials/{code}/exports/{format}/": _able(EXPORTERS),
    # KARE's protocol names the roles that may unblind a participant in an emergency.
    "POST /api/participants/{study_id}/unblind/": _able([Role.INVESTIGATOR]),
}

# Status codes answered, per operation label ("POST /api/screenings/"), over the whole module.
ANSWERED: dict[str, list[int]] = {}
# What the module's fixture seeded, for the hook to draw from while the tests run.
SEEDED: dict[str, Seeded] = {}
KEEP = object()  # keep the generated body


@dataclass
class Seeded:
    trial: str
    site_codes: list[str]
    today: dt.date
    tokens: dict[str, str]
    users: dict[str, int]
    # Study ids: everyone visible; the randomised whose data may still be entered; the enrolled
    # but not baselined; the baselined but not randomised.
    study_ids: list[str]
    writable: list[str]
    enrolled: list[str]
    baselined: list[str]
    # Ids by the first segment of the path that names them.
    ids: dict[str, list[int]]
    eligible_screenings: list[int]
    # Open appointments of writable participants, with their windows.
    open_appointments: list[tuple[int, dt.date, dt.date]]
    # Appointments whose visit may be recorded now: (id, first and last valid date).
    recordable: list[tuple[int, dt.date, dt.date]]
    # Visits whose date may be corrected: (appointment id, a valid new date).
    correctable: list[tuple[int, dt.date]]
    eligible_answers: dict[str, bool]
    infusion_appointment: int
    infusion_body: dict
    serious_adverse_event: int
    active_lock: int
    plans: dict[str, st.SearchStrategy] = field(default_factory=dict)


@pytest.fixture(scope="module")
def same_connection():
    """Keep the test's connection open across requests, as Django's own test client does.

    The WSGI handler closes connections it finds outside autocommit when a request starts or
    finishes; inside the tests' transaction that would close the connection holding their data.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, same_connection) -> Seeded:
    """The simulated trial and the fuzzing users, in a transaction rolled back after the last test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            SEEDED["current"] = _seed()
            yield SEEDED["current"]
        finally:
            SEEDED.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _seed() -> Seeded:
    trial = protocol_load(protocol=load_file(KARE_FILE), source="kare.yaml").version.trial
    simulation = Simulation(trial=trial, seed=SIMULATION_SEED)
    simulation.add_staff()
    simulated = simulation.recruit(SIMULATED_PARTICIPANTS)
    simulation.follow(simulated)

    sites = sites_for(trial=trial.code, sites=[])
    users = {
        str(role): user_create(username=f"fuzz-{role}", password=PASSWORD, role=str(role), sites=sites) for role in Role
    }
    tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    coordinator, data_manager = users[Role.COORDINATOR], users[Role.DATA_MANAGER]
    site = trial.sites.order_by("code").first()
    today = today_at(site)
    protocol = trial.version_on().protocol
    eligible = {c.code: c.kind == CriterionKind.INCLUSION for c in protocol.eligibility.criteria}

    def screen():
        return enrolment.screening_record(actor=coordinator, site=site, screened_on=today, answers=eligible)

    def enrol(day, *, baseline=True, randomised_on=None):
        screening = enrolment.screening_record(actor=coordinator, site=site, screened_on=day, answers=eligible)
        participant = enrolment.participant_enrol(
            actor=coordinator,
            screening=screening,
            sex="F",
            age_at_consent=41,
            consent_form_version=protocol.current_consent_form().version,
            consented_on=day,
            first_name="Fuzz",
            last_name="Participant",
            email="fuzz@example.org",
        )
        if baseline:
            enrolment.baseline_complete(
                actor=coordinator, participant=participant, completed_on=day, weight_kg=Decimal("72.5")
            )
        if randomised_on is not None:
            randomisation.participant_randomise(actor=coordinator, participant=participant, on=randomised_on)
        return participant

    # Randomised ten days ago: V1 and V2 are open and may be recorded today.
    fresh = enrol(today - dt.timedelta(days=12), randomised_on=today - dt.timedelta(days=10))
    infusing = enrol(today - dt.timedelta(days=12), randomised_on=today - dt.timedelta(days=10))
    v2 = infusing.appointments.get(event_code="V2")
    schedule.visit_record(actor=coordinator, appointment=v2, actual_date=today, attended=True)
    enrolled = enrol(today - dt.timedelta(days=2), baseline=False)
    baselined = enrol(today - dt.timedelta(days=2))
    eligible_screenings = [screen().pk for _ in range(3)]

    first, locked = simulated[0], simulated[-1]
    serious = safety.adverse_event_record(
        actor=coordinator,
        participant=first,
        term="Hypertensive crisis",
        onset_date=today - dt.timedelta(days=1),
        grade=3,
        seriousness=["hospitalisation"],
        causality=Causality.PROBABLY,
        expected=False,
    )
    safety.deviation_record(
        actor=coordinator,
        participant=first,
        kind=DeviationKind.OTHER,
        description="missed blood test",
        occurred_on=today,
    )
    lock = locks.data_lock(actor=data_manager, trial=trial, participant=locked, reason="source data verified")

    writable_people = [fresh, infusing, *simulated[:-1]]
    open_appointments = [
        (a.pk, a.window_start, a.window_end)
        for a in Appointment.objects.filter(participant__in=writable_people, status=AppointmentStatus.SCHEDULED)
    ]
    recordable = []
    for a in fresh.appointments.filter(status=AppointmentStatus.SCHEDULED, window_start__lte=today):
        start = max(a.window_start, fresh.enrolled_on)
        if start <= min(a.window_end, today):
            recordable.append((a.pk, start, min(a.window_end, today)))
    correctable = []
    for person in simulated[:-1]:
        done = list(Visit.objects.filter(appointment__participant=person, appointment__unscheduled=False))
        done.sort(key=lambda v: v.appointment.sequence)
        if len(done) >= 2:
            last, before = done[-1], done[-2]
            correctable.append((last.appointment_id, last.actual_date))
            if last.actual_date - dt.timedelta(days=1) >= before.actual_date:
                correctable.append((last.appointment_id, last.actual_date - dt.timedelta(days=1)))

    start = dt.datetime.combine(today, dt.time(10, 0), tzinfo=site.zone)
    infusion_body = {
        "weight_kg": "72.5",
        "volume_ml": "50.0",
        "breath_alcohol": "0.00",
        "started_at": start.isoformat(),
        "stopped_at": (start + dt.timedelta(minutes=40)).isoformat(),
        "completed": True,
        "dissociation_score": 4,
        "vitals": [
            {"phase": "before", "minute": 0, "systolic": 122, "diastolic": 80, "heart_rate": 70, "spo2": 98},
            {"phase": "during", "minute": 15, "systolic": 128, "diastolic": 82, "heart_rate": 74, "spo2": 97},
            {"phase": "after", "minute": 55, "systolic": 120, "diastolic": 78, "heart_rate": 70, "spo2": 98},
        ],
    }
    seeded = Seeded(
        trial=trial.code,
        site_codes=list(trial.sites.order_by("code").values_list("code", flat=True)),
        today=today,
        tokens=tokens,
        users={role: user.pk for role, user in users.items()},
        study_ids=list(trial.participants.order_by("study_id").values_list("study_id", flat=True)),
        writable=[p.study_id for p in writable_people],
        enrolled=[enrolled.study_id],
        baselined=[baselined.study_id],
        ids={
            "adverse-events": list(AdverseEvent.objects.values_list("pk", flat=True)),
            "appointments": list(Appointment.objects.values_list("pk", flat=True)),
            "deviations": list(Deviation.objects.values_list("pk", flat=True)),
            "locks": list(DataLock.objects.values_list("pk", flat=True)),
            "screenings": list(trial.screenings.values_list("pk", flat=True)),
        },
        eligible_screenings=eligible_screenings,
        eligible_answers=eligible,
        open_appointments=open_appointments,
        recordable=recordable,
        correctable=correctable,
        infusion_appointment=v2.pk,
        infusion_body=infusion_body,
        serious_adverse_event=serious.pk,
        active_lock=lock.pk,
    )
    seeded.plans = _plans(seeded)
    return seeded


# --- valid requests ---------------------------------------------------------------------------------


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _dates(first: dt.date, last: dt.date) -> st.SearchStrategy[str]:
    return st.dates(first, last).map(_iso)


def _plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Per operation, a strategy of ``(path parameters, query or None, body)`` that the operation
    should accept; ``None`` for the query means the usual real one, :data:`KEEP` for the body the
    generated one. Operations not named here get real path parameters by name."""
    today, trial = s.today, s.trial
    reason = st.sampled_from(["source data verification", "transcription error corrected"])

    def plan(path, body=None):
        return st.tuples(path, st.none(), st.just(KEEP) if body is None else body)

    def study(ids):
        return st.sampled_from(ids).map(lambda sid: {"study_id": sid})

    def one(name, value):
        return st.just({name: value})

    def window_pick(rows):
        return st.sampled_from(rows).flatmap(lambda r: st.tuples(st.just({"id": r[0]}), _dates(r[1], r[2])))

    recent = _dates(today - dt.timedelta(days=3), today)
    plans = {
        "PATCH /api/adverse-events/{id}/": plan(
            st.sampled_from(s.ids["adverse-events"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries(
                {"reason": reason}, optional={"grade": st.integers(1, 4), "outcome": st.just("recovering")}
            ),
        ),
        "POST /api/adverse-events/{id}/reports/": plan(
            one("id", s.serious_adverse_event), st.fixed_dictionaries({"to": st.sampled_from(["sponsor", "regulator"])})
        ),
        "POST /api/appointments/{id}/cancel/": plan(
            st.sampled_from(s.open_appointments).map(lambda r: {"id": r[0]}), st.fixed_dictionaries({"reason": reason})
        ),
        "POST /api/appointments/{id}/infusion/": plan(one("id", s.infusion_appointment), st.just(s.infusion_body)),
        "POST /api/appointments/{id}/session/": plan(
            one("id", s.infusion_appointment),
            st.fixed_dictionaries({"session_number": st.just(1), "attended": st.just(True), "minutes": st.just(90)}),
        ),
        "GET /api/appointments/{id}/infusion/": plan(
            st.sampled_from(
                list(InfusionSession.objects.values_list("visit__appointment_id", flat=True))
                or [s.infusion_appointment]
            ).map(lambda i: {"id": i})
        ),
        "PATCH /api/appointments/{id}/visit/": (
            st.sampled_from(s.correctable).map(
                lambda r: ({"id": r[0]}, None, {"actual_date": _iso(r[1]), "reason": "date misread"})
            )
        ),
        "POST /api/auth/token/": plan(
            st.just({}),
            st.fixed_dictionaries(
                {"username": st.sampled_from(sorted(f"fuzz-{r}" for r in s.tokens)), "password": st.just(PASSWORD)}
            ),
        ),
        "POST /api/deviations/{id}/review/": plan(
            st.sampled_from(s.ids["deviations"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries({"important": st.booleans(), "note": st.just("reviewed with the site")}),
        ),
        "POST /api/locks/{id}/unlock/": plan(one("id", s.active_lock), st.fixed_dictionaries({"reason": reason})),
        "POST /api/participants/": plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "screening": st.sampled_from(s.eligible_screenings),
                    "sex": st.sampled_from(["M", "F"]),
                    "age_at_consent": st.integers(18, 60),
                    "consent_form_version": st.just("1.0"),
                    "consented_on": st.just(_iso(today)),
                    "first_name": st.just("Ada"),
                    "last_name": st.just("Byron"),
                    "email": st.just("ada@example.org"),
                }
            ),
        ),
        "POST /api/participants/{study_id}/adverse-events/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "term": st.sampled_from(["Headache", "Nausea"]),
                    "onset_date": st.just(_iso(today)),
                    "grade": st.integers(1, 4),
                    "causality": st.sampled_from(Causality.values),
                    "expected": st.booleans(),
                },
                optional={"seriousness": st.sampled_from([[], ["hospitalisation"]])},
            ),
        ),
        "POST /api/participants/{study_id}/appointments/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "booked_date": _dates(today, today + dt.timedelta(days=30)),
                    "title": st.just("Review of an adverse event"),
                    "reason": reason,
                }
            ),
        ),
        "POST /api/participants/{study_id}/baseline/": plan(
            study(s.enrolled),
            st.fixed_dictionaries(
                {"completed_on": st.just(_iso(today)), "weight_kg": st.sampled_from(["64.0", "80.5"])}
            ),
        ),
        "POST /api/participants/{study_id}/biomarkers/": plan(
            study(s.writable),
            st.one_of(
                st.fixed_dictionaries(
                    {"kind": st.just("etg"), "taken_on": recent, "value": st.sampled_from(["120.000", "900.000"])}
                ),
                st.fixed_dictionaries({"kind": st.just("transdermal"), "taken_on": recent}),
            ),
        ),
        "POST /api/participants/{study_id}/consents/": plan(
            study(s.writable),
            st.fixed_dictionaries({"form_version": st.just("2.0"), "consented_on": st.just(_iso(today))}),
        ),
        "PUT /api/participants/{study_id}/contact-preferences/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {"email_consent": st.booleans(), "sms_consent": st.just(False)},
                optional={"preferred_time": st.just("09:30"), "time_zone": st.just("Europe/London")},
            ),
        ),
        "POST /api/participants/{study_id}/deviations/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(DeviationKind.values),
                    "description": st.just("sample taken late"),
                    "occurred_on": recent,
                }
            ),
        ),
        "PUT /api/participants/{study_id}/drinking-days/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "source": st.just("tlfb"),
                    "reason": st.just("recall corrected"),
                    "days": st.lists(
                        st.fixed_dictionaries(
                            {"amount": st.sampled_from(["0", "2.5", "9"]), "unit": st.sampled_from(["uk_unit", "g"])}
                        ),
                        min_size=1,
                        max_size=3,
                    ).map(
                        lambda days: [d | {"date": _iso(today - dt.timedelta(days=i + 1))} for i, d in enumerate(days)]
                    ),
                }
            ),
        ),
        "POST /api/participants/{study_id}/questionnaires/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "instrument": st.just("pacs"),
                    "administered_on": recent,
                    "items": st.lists(st.integers(0, 6), min_size=5, max_size=5).map(
                        lambda scores: {str(n): v for n, v in enumerate(scores, start=1)}
                    ),
                }
            ),
        ),
        "POST /api/participants/{study_id}/randomise/": plan(study(s.baselined + s.writable)),
        "GET /api/participants/{study_id}/allocation/": plan(study(s.writable)),
        "POST /api/participants/{study_id}/unblind/": plan(
            study(s.writable),
            st.fixed_dictionaries({"reason": st.just("suspected serious reaction"), "password": st.just(PASSWORD)}),
        ),
        "POST /api/participants/{study_id}/withdrawals/": plan(
            study(s.writable),
            st.fixed_dictionaries(
                {
                    "scope": st.sampled_from(WithdrawalScope.values),
                    "withdrawn_on": recent,
                    "reason": st.just("moved away"),
                }
            ),
        ),
        "POST /api/appointments/{id}/reschedule/": window_pick(s.open_appointments).map(
            lambda r: (r[0], None, {"booked_date": r[1]})
        ),
        "POST /api/appointments/{id}/visit/": window_pick(s.recordable).map(
            lambda r: (r[0], None, {"actual_date": r[1], "attended": True})
        ),
        "POST /api/screenings/": plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "trial": st.just(trial),
                    "site": st.sampled_from(s.site_codes),
                    "screened_on": recent,
                    "answers": st.just(s.eligible_answers),
                }
            ),
        ),
        "POST /api/trials/{code}/analysis-unblinding/": plan(
            one("code", trial),
            st.fixed_dictionaries({"reason": st.just("final analysis"), "password": st.just(PASSWORD)}),
        ),
        "POST /api/trials/{code}/locks/": plan(
            one("code", trial),
            st.fixed_dictionaries({"reason": reason}, optional={"study_id": st.sampled_from(s.writable)}),
        ),
        "POST /api/trials/{code}/randomisation-lists/": plan(
            one("code", trial), st.fixed_dictionaries({"blocks": st.integers(1, 4)})
        ),
        "POST /api/trials/{code}/randomisation-lists/top-up/": plan(
            one("code", trial), st.fixed_dictionaries({"blocks": st.integers(1, 2)})
        ),
        "GET /api/trials/{code}/exports/{format}/": st.sampled_from(
            [(f, d) for f in FORMATS for d in DEFAULT_DATASETS[f] + (("drinking",) if f in TABULAR_FORMATS else ())]
        ).map(lambda fd: ({"code": trial, "format": fd[0]}, {"dataset": fd[1]}, KEEP)),
        "POST /api/users/": plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "username": st.from_regex(r"fuzz-new-[a-z0-9]{8}", fullmatch=True),
                    "role": st.sampled_from([str(r) for r in Role]),
                    "trial": st.just(trial),
                    "sites": st.sampled_from([[], s.site_codes[:1]]),
                }
            ),
        ),
        "POST /api/users/{user_id}/memberships/": plan(
            st.sampled_from(sorted(s.users.values())).map(lambda i: {"user_id": i}),
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from([str(r) for r in Role]),
                    "trial": st.just(trial),
                    "sites": st.just(s.site_codes[:1]),
                }
            ),
        ),
    }
    return plans


def _real_path(s: Seeded, operation) -> st.SearchStrategy[dict]:
    """Real values for an operation's path parameters, by name (``id`` by the path's first segment)."""
    segment = operation.path.split("/")[2]
    by_name = {
        "study_id": st.sampled_from(s.study_ids),
        "code": st.just(s.trial),
        "number": st.just(1),
        "format": st.sampled_from(FORMATS),
        "user_id": st.sampled_from(sorted(s.users.values())),
        "id": st.sampled_from(s.ids.get(segment) or [0]),
    }
    names = [p.name for p in operation.path_parameters]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise LookupError(f"{operation.label}: seed real values for the path parameters {unknown}")
    return st.fixed_dictionaries({name: by_name[name] for name in names})


def _real_query(s: Seeded, operation) -> st.SearchStrategy[dict]:
    """Real values for some of an operation's query parameters."""
    by_name = {
        "trial": st.just(s.trial),
        "site": st.sampled_from(s.site_codes),
        "page": st.just(1),
        "page_size": st.integers(1, 50),
        "due_before": _dates(s.today, s.today + dt.timedelta(days=30)),
        "ordering": st.sampled_from(["study_id", "-enrolled_on", "site"]),
        "search": st.sampled_from(sorted({sid[:2] for sid in s.study_ids})),
        "outcome": st.sampled_from(ScreeningOutcome.values),
        "reviewed": st.sampled_from(["true", "false"]),
        "state": st.sampled_from(State.values),
        "version": st.just(1),
        "blinded": st.sampled_from(["true", "false"]),
    }
    names = [p.name for p in operation.query]
    return st.fixed_dictionaries({}, optional={name: by_name[name] for name in names if name in by_name})


def _amend_with_consent_form_2(s: Seeded) -> None:
    """Amend KARE with consent form 2.0 in force today, so that consenting to it is new."""
    from trials.models import ProtocolVersion

    if ProtocolVersion.objects.filter(trial__code=s.trial, label="1.1").exists():
        return
    document = yaml.safe_load(KARE_FILE.read_text())
    document["version"] = {"label": "1.1", "effective_date": s.today}
    document["consent_forms"].append({"version": "2.0", "date": s.today, "title": "Information sheet 2.0"})
    protocol_load(protocol=validate(document), source="kare-1.1.yaml", amend=True, reason="new side effects")


def _lock_trial(s: Seeded) -> None:
    """Lock the whole trial: unblinding for analysis needs it."""
    from trials.models import Trial

    trial = Trial.objects.get(code=s.trial)
    if not DataLock.objects.filter(trial=trial, participant__isnull=True, unlocked_at__isnull=True).exists():
        from django.contrib.auth import get_user_model

        manager = get_user_model().objects.get(pk=s.users[Role.DATA_MANAGER])
        locks.data_lock(actor=manager, trial=trial, reason="database lock for the final analysis")


# State an operation needs that would stop the others if it were seeded for all; set up inside
# the operation's own test (its savepoint), once.
PREPARE = {
    "POST /api/participants/{study_id}/consents/": _amend_with_consent_form_2,
    "POST /api/trials/{code}/analysis-unblinding/": _lock_trial,
}


def _with_seeded_data(case, s: Seeded, drawn):
    seeded, valid, able, able_role, any_role, (path, plan_query, body), query = drawn
    if seeded < SEEDED_DATA:
        case.path_parameters = {**case.path_parameters, **path}
        case.query = plan_query if plan_query is not None else query
        if body is not KEEP and valid < VALID_BODY:
            case.body = body
            case.media_type = "application/json"
    case.headers["Authorization"] = f"Token {s.tokens[able_role if able < ABLE_ROLE else any_role]}"
    return case


# Loaded when the module is collected: serving the schema reads nothing from the database.
# The coverage phase sends every boundary and negative value of every parameter (thousands of requests);
# examples and fuzzing, positive and negative, keep the run short.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}, "generation": {"mode": "all"}})
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@schema.hook
def flatmap_case(context, case):
    """Most of the time real path and query parameters, a valid body and a role that may; always a token."""
    s = SEEDED.get("current")
    if s is None:
        return st.just(case)
    operation = context.operation
    plan = s.plans.get(operation.label)
    if plan is None:
        plan = st.tuples(_real_path(s, operation), st.none(), st.just(KEEP))
    draws = st.integers(0, OUT_OF - 1)
    return st.tuples(
        draws,
        draws,
        draws,
        st.sampled_from(ROLES.get(operation.label, ANY_ROLE)),
        st.sampled_from(ANY_ROLE),
        plan,
        _real_query(s, operation),
    ).map(lambda drawn: _with_seeded_data(case, s, drawn))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_without_server_errors_and_as_documented(case, seeded):
    label = case.operation.label
    if label in PREPARE:
        PREPARE[label](seeded)
    response = case.call()
    ANSWERED.setdefault(label, []).append(response.status_code)
    case.validate_response(response, checks=CHECKS)


def _operations() -> list[str]:
    return [result.ok().label for result in schema.get_all_operations()]


def test_most_operations_answer_2xx_at_least_once(request):
    """Runs after the fuzz: at least FLOOR of the operations answered 2xx at least once."""
    operations = _operations()
    fuzzed = [
        item
        for item in request.session.items
        if item.originalname == "test_api_answers_without_server_errors_and_as_documented"
    ]
    if len(fuzzed) < len(operations):
        pytest.skip("counts only when every operation is fuzzed in the same run")
    counted = [label for label in operations if label not in CANNOT_SUCCEED]
    succeeded = [label for label in counted if any(200 <= code < 300 for code in ANSWERED.get(label, []))]
    share = len(succeeded) / len(counted)
    answers = [code for codes in ANSWERED.values() for code in codes]
    lines = [
        f"{len(succeeded)} of {len(counted)} operations answered 2xx at least once ({share:.0%}; floor {FLOOR:.0%}); "
        f"{len(answers)} requests: " + ", ".join(f"{n} {c}xx" for c, n in sorted(_by_class(answers).items())),
    ]
    lines += [
        f"  never 2xx: {label} answered {sorted(set(ANSWERED.get(label, [])))}"
        for label in counted
        if label not in succeeded
    ]
    lines += [f"  not counted: {label} ({why})" for label, why in CANNOT_SUCCEED.items()]
    request.config.stash[FUZZ_SUMMARY] = lines
    assert share >= FLOOR, "\n".join(lines)


def _by_class(codes: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for code in codes:
        counts[code // 100] = counts.get(code // 100, 0) + 1
    return counts
