"""The data the API fuzz runs over, written once through the project's own services.

A small KARE trial run through :mod:`trialtracker.simulation`; one user (with an API token) per
role at every KARE site; a few people at the steps the simulation leaves behind it (enrolled but
not baselined, baselined but not randomised, randomised ten days ago with their first visits still
open, an infusion visit attended without its infusion) and eligible screenings not yet enrolled;
a serious adverse event, a deviation and a participant's data lock; requests for roles that a
second administrator asked for, for the fuzzing administrator to decide. :func:`seed` writes them in
that order and returns what the requests need of them as :class:`Seeded`.

:data:`PREPARE` holds, per operation, the state it needs that would stop the others if it were
seeded for all (a new consent form to consent to, a locked trial to unblind for analysis).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import strategies as st

from core.clock import today_at
from core.models import ApiToken
from core.roles import Role
from core.second_factor import required_for
from core.services import membership_request, sites_for, user_create
from core.tokens import token_issue
from outcomes.models import DrinkingRecord
from participants.enrolment import services as enrolment
from participants.locks import services as locks
from participants.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    Causality,
    DataLock,
    Deviation,
    DeviationKind,
    DictionaryRelease,
    DictionaryTerm,
    Visit,
)
from participants.randomisation import services as randomisation
from participants.safety import services as safety
from participants.safety.dictionaries import dictionary_load
from participants.schedule import services as schedule
from review.models import Query
from review.queries import services as review_queries
from trials.protocol import CriterionKind, load_file, validate
from trials.services import protocol_load
from trialtracker.simulation import Simulation

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from participants.models import Participant, Screening
    from trials.models import Site, Trial
    from trials.protocol import Protocol

KARE_FILE = Path(__file__).resolve().parent.parent.parent / "protocols" / "kare.yaml"
# The made-up MedDRA files of the loader's tests: a release to code adverse events to.
MEDDRA = Path(__file__).resolve().parent.parent / "participants" / "dictionaries" / "meddra"
# The simulated trial: small, and the same on every run.
SIMULATED_PARTICIPANTS = 8
SIMULATION_SEED = 11
PASSWORD = "fuzz-Correct-Horse-Battery-9"


@dataclass
class Seeded:
    trial: str
    site_codes: list[str]
    today: dt.date
    tokens: dict[str, str]
    users: dict[str, int]
    # Roles whose people need no second factor: the token endpoint gives them a token for the password.
    password_only: list[str]
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
    # Current terms of the loaded dictionary, to code adverse events to.
    dictionary_terms: list[int]
    plans: dict[str, st.SearchStrategy] = field(default_factory=dict)


def seed() -> Seeded:
    """Write the fuzz's data (in the caller's transaction) and say what the requests may use of it.

    The plans are left empty: :func:`tests.fuzz.plans.plans_for` draws them from what is returned.
    """
    trial, simulated = _simulated_trial()
    users, tokens = _users_and_tokens(trial)
    role_requests = _role_requests(trial, users)
    desk = _Desk.at(trial, coordinator=users[Role.COORDINATOR])
    extra = _extra_participants(desk)
    first, locked = simulated[0], simulated[-1]
    serious, lock = _safety_data(desk, data_manager=users[Role.DATA_MANAGER], trial=trial, first=first, locked=locked)
    writable_people = [extra.fresh, extra.infusing, *simulated[:-1]]
    days, queries = _data_queries(monitor=users[Role.MONITOR], people=simulated[:-1])
    return Seeded(
        trial=trial.code,
        site_codes=list(trial.sites.order_by("code").values_list("code", flat=True)),
        today=desk.today,
        tokens=tokens,
        users={role: user.pk for role, user in users.items()},
        password_only=sorted(role for role, user in users.items() if not required_for(user)),
        study_ids=list(trial.participants.order_by("study_id").values_list("study_id", flat=True)),
        writable=[p.study_id for p in writable_people],
        enrolled=[extra.enrolled.study_id],
        baselined=[extra.baselined.study_id],
        ids={
            "adverse-events": list(AdverseEvent.objects.values_list("pk", flat=True)),
            "appointments": list(Appointment.objects.values_list("pk", flat=True)),
            "deviations": list(Deviation.objects.values_list("pk", flat=True)),
            "locks": list(DataLock.objects.values_list("pk", flat=True)),
            "screenings": list(trial.screenings.values_list("pk", flat=True)),
            "tokens": list(ApiToken.objects.values_list("pk", flat=True)),
            "role-requests": role_requests,
            "dictionaries": list(DictionaryRelease.objects.values_list("pk", flat=True)),
            "queries": queries,
            "drinking-days": days,
        },
        dictionary_terms=list(DictionaryTerm.objects.filter(current=True).values_list("pk", flat=True)),
        eligible_screenings=extra.eligible_screenings,
        eligible_answers=desk.answers,
        open_appointments=_open_appointments(writable_people),
        recordable=_recordable(extra.fresh, today=desk.today),
        correctable=_correctable(simulated[:-1]),
        infusion_appointment=extra.infusion_appointment.pk,
        infusion_body=_infusion_body(desk),
        serious_adverse_event=serious.pk,
        active_lock=lock.pk,
    )


def _simulated_trial() -> tuple[Trial, list[Participant]]:
    """KARE loaded from the shipped file, staffed, and a few participants recruited and followed."""
    trial = protocol_load(protocol=load_file(KARE_FILE), source="kare.yaml").version.trial
    simulation = Simulation(trial=trial, seed=SIMULATION_SEED)
    simulation.add_staff()
    simulated = simulation.recruit(SIMULATED_PARTICIPANTS)
    simulation.follow(simulated)
    return trial, simulated


def _users_and_tokens(trial: Trial) -> tuple[dict[str, User], dict[str, str]]:
    """One user per role at every site of the trial, named ``fuzz-<role>``, each with an API token."""
    sites = sites_for(trial=trial.code, sites=[])
    users = {
        str(role): user_create(username=f"fuzz-{role}", password=PASSWORD, role=str(role), sites=sites) for role in Role
    }
    # As the token endpoint gives them once the one-time code is right.
    tokens = {role: token_issue(user=user, second_factor=True)[1] for role, user in users.items()}
    return users, tokens


# Roles asked for, for whom: each sees a factor of KARE or administers, so a second administrator decides.
ASKED = {
    Role.MONITOR: Role.PHARMACIST,
    Role.OUTCOME_ASSESSOR: Role.UNBLINDED_STATISTICIAN,
    Role.DATA_MANAGER: Role.ADMINISTRATOR,
}


def _role_requests(trial: Trial, users: dict[str, User]) -> list[int]:
    """Pending requests for roles, asked by a second administrator (``fuzz-administrator-2``, no token)."""
    sites = sites_for(trial=trial.code, sites=[])
    asker = user_create(username="fuzz-administrator-2", password=PASSWORD, role=str(Role.ADMINISTRATOR), sites=sites)
    return [
        membership_request(user=users[str(whom)], role=str(role), sites=sites, actor=asker, reason="cover").pk
        for whom, role in ASKED.items()
    ]


@dataclass
class _Desk:
    """Screening and enrolment at the trial's first site, by its coordinator, as of that site's today."""

    coordinator: User
    site: Site
    today: dt.date
    protocol: Protocol
    # Answers that make a screening eligible: yes to every inclusion criterion, no to every exclusion.
    answers: dict[str, bool]

    @classmethod
    def at(cls, trial: Trial, *, coordinator: User) -> _Desk:
        site = trial.sites.order_by("code").first()
        protocol = trial.version_on().protocol
        answers = {c.code: c.kind == CriterionKind.INCLUSION for c in protocol.eligibility.criteria}
        return cls(coordinator=coordinator, site=site, today=today_at(site), protocol=protocol, answers=answers)

    def screen(self) -> Screening:
        """An eligible screening today, not enrolled."""
        return enrolment.screening_record(
            actor=self.coordinator, site=self.site, screened_on=self.today, answers=self.answers
        )

    def enrol(self, day: dt.date, *, baseline: bool = True, randomised_on: dt.date | None = None) -> Participant:
        """Someone screened and enrolled on ``day``; baselined that day and randomised if asked."""
        screening = enrolment.screening_record(
            actor=self.coordinator, site=self.site, screened_on=day, answers=self.answers
        )
        participant = enrolment.participant_enrol(
            actor=self.coordinator,
            screening=screening,
            sex="F",
            age_at_consent=41,
            consent_form_version=self.protocol.current_consent_form().version,
            consented_on=day,
            first_name="Fuzz",
            last_name="Participant",
            email="fuzz@example.org",
        )
        if baseline:
            enrolment.baseline_complete(
                actor=self.coordinator, participant=participant, completed_on=day, weight_kg=Decimal("72.5")
            )
        if randomised_on is not None:
            randomisation.participant_randomise(actor=self.coordinator, participant=participant, on=randomised_on)
        return participant


@dataclass
class _Extra:
    fresh: Participant
    infusing: Participant
    infusion_appointment: Appointment
    enrolled: Participant
    baselined: Participant
    eligible_screenings: list[int]


def _extra_participants(desk: _Desk) -> _Extra:
    """People at the steps the simulation leaves behind it, and eligible screenings to enrol."""
    today = desk.today
    # Randomised ten days ago: V1 and V2 are open and may be recorded today.
    fresh = desk.enrol(today - dt.timedelta(days=12), randomised_on=today - dt.timedelta(days=10))
    # The same, with V2 attended today and its infusion not yet recorded.
    infusing = desk.enrol(today - dt.timedelta(days=12), randomised_on=today - dt.timedelta(days=10))
    v2 = infusing.appointments.get(event_code="V2")
    schedule.visit_record(actor=desk.coordinator, appointment=v2, actual_date=today, attended=True)
    enrolled = desk.enrol(today - dt.timedelta(days=2), baseline=False)
    baselined = desk.enrol(today - dt.timedelta(days=2))
    eligible_screenings = [desk.screen().pk for _ in range(3)]
    return _Extra(
        fresh=fresh,
        infusing=infusing,
        infusion_appointment=v2,
        enrolled=enrolled,
        baselined=baselined,
        eligible_screenings=eligible_screenings,
    )


def _data_queries(*, monitor, people: list[Participant]) -> tuple[list[int], list[int]]:
    """Drinking days a query may be raised on, and a few queries the monitor raised on them, the last
    closed (the site answers them; the monitor closes and re-opens them). Returns both lists of ids."""
    days = list(
        DrinkingRecord.objects.filter(participant__in=people)
        .order_by("participant_id", "day")
        .values_list("pk", flat=True)
    )
    raised = [
        review_queries.query_raise(
            actor=monitor, kind="drinking_day", record_id=pk, item="grams", text="Please check the diary."
        ).pk
        for pk in days[::15][:8]
    ]
    # one closed already, so that re-opening has one to re-open whatever the order of the requests
    review_queries.query_close(actor=monitor, query=Query.objects.get(pk=raised[-1]), text="Agreed.")
    return days, raised


def _safety_data(
    desk: _Desk, *, data_manager: User, trial: Trial, first: Participant, locked: Participant
) -> tuple[AdverseEvent, DataLock]:
    """A serious adverse event and a deviation of ``first``; ``locked``'s data locked. Returns the
    adverse event and the lock."""
    today = desk.today
    serious = safety.adverse_event_record(
        actor=desk.coordinator,
        participant=first,
        term="Hypertensive crisis",
        onset_date=today - dt.timedelta(days=1),
        grade=3,
        seriousness=["hospitalisation"],
        drug_causality=Causality.PROBABLY,
        therapy_causality="not_related",
        expected=False,
    )
    safety.deviation_record(
        actor=desk.coordinator,
        participant=first,
        kind=DeviationKind.OTHER,
        description="missed blood test",
        occurred_on=today,
    )
    lock = locks.data_lock(actor=data_manager, trial=trial, participant=locked, reason="source data verified")
    dictionary_load(actor=data_manager, kind="meddra", version="27.1", source=MEDDRA)
    return serious, lock


def _open_appointments(people: list[Participant]) -> list[tuple[int, dt.date, dt.date]]:
    """The scheduled appointments of ``people``, with their windows."""
    return [
        (a.pk, a.window_start, a.window_end)
        for a in Appointment.objects.filter(participant__in=people, status=AppointmentStatus.SCHEDULED)
    ]


def _recordable(person: Participant, *, today: dt.date) -> list[tuple[int, dt.date, dt.date]]:
    """``person``'s appointments whose visit may be recorded today, with the first and last valid date."""
    recordable = []
    for a in person.appointments.filter(status=AppointmentStatus.SCHEDULED, window_start__lte=today):
        start = max(a.window_start, person.enrolled_on)
        if start <= min(a.window_end, today):
            recordable.append((a.pk, start, min(a.window_end, today)))
    return recordable


def _correctable(people: list[Participant]) -> list[tuple[int, dt.date]]:
    """The last visit of each of ``people`` who has two, with a date it may be corrected to: its own,
    and the day before when that is not before the previous visit."""
    correctable = []
    for person in people:
        done = list(Visit.objects.filter(appointment__participant=person, appointment__unscheduled=False))
        done.sort(key=lambda v: v.appointment.sequence)
        if len(done) >= 2:
            last, before = done[-1], done[-2]
            correctable.append((last.appointment_id, last.actual_date))
            if last.actual_date - dt.timedelta(days=1) >= before.actual_date:
                correctable.append((last.appointment_id, last.actual_date - dt.timedelta(days=1)))
    return correctable


def _infusion_body(desk: _Desk) -> dict:
    """A complete infusion given this morning at the desk's site, with its vital signs."""
    start = dt.datetime.combine(desk.today, dt.time(10, 0), tzinfo=desk.site.zone)
    return {
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


# --- state one operation needs ----------------------------------------------------------------------


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
    """Lock the analysis plan and the whole trial: unblinding for analysis needs both."""
    from trials.models import Trial

    trial = Trial.objects.get(code=s.trial)
    _lock_the_plan(s, trial)
    if not DataLock.objects.filter(trial=trial, participant__isnull=True, unlocked_at__isnull=True).exists():
        from django.contrib.auth import get_user_model

        manager = get_user_model().objects.get(pk=s.users[Role.DATA_MANAGER])
        locks.data_lock(actor=manager, trial=trial, reason="database lock for the final analysis")


def _lock_the_plan(s: Seeded, trial) -> None:
    """The trial's shipped analysis plan, stored and locked by an investigator of the seed."""
    from django.contrib.auth import get_user_model

    from outcomes.plan.document import load_file
    from outcomes.plan.selectors import is_locked, plan_latest
    from outcomes.plan.services import analysis_plan_load, analysis_plan_lock

    plan = load_file(Path(KARE_FILE).with_name("kare.sap.yaml"), protocol=trial.version_on().protocol)
    analysis_plan_load(trial=trial, plan=plan)
    if not is_locked(plan_latest(trial)):
        investigator = get_user_model().objects.get(pk=s.users[Role.INVESTIGATOR])
        analysis_plan_lock(actor=investigator, trial=trial, reason="final before unblinding", password=PASSWORD)


# The secret of the authenticator every fuzzing user is enrolling (:func:`_start_enrolling`).
ENROLLING_KEY = "3132333435363738393031323334353637383930"


def _start_enrolling(s: Seeded) -> None:
    """Every fuzzing user has started enrolling an authenticator with a known secret, to confirm."""
    if TOTPDevice.objects.filter(key=ENROLLING_KEY).exists():
        return
    for pk in s.users.values():
        TOTPDevice.objects.create(user_id=pk, name="authenticator", key=ENROLLING_KEY, confirmed=False)


def enrolling_code() -> str:
    """The code the authenticator being enrolled shows now."""
    return f"{TOTP(bytes.fromhex(ENROLLING_KEY)).token():06d}"


# The secret of the authenticator the fuzzing investigator signs with (:func:`_investigator_signs`).
SIGNING_KEY = "3938373635343332313039383736353433323130"


def _investigator_signs(s: Seeded) -> None:
    """The investigator has a confirmed authenticator with a known secret: signing takes its code."""
    user = s.users[Role.INVESTIGATOR]
    if not TOTPDevice.objects.filter(user_id=user, confirmed=True).exists():
        TOTPDevice.objects.create(user_id=user, name="authenticator", key=SIGNING_KEY, confirmed=True)


def signing_code() -> str:
    """The code the investigator's authenticator shows now."""
    return f"{TOTP(bytes.fromhex(SIGNING_KEY)).token():06d}"


# State an operation needs that would stop the others if it were seeded for all; set up inside
# the operation's own test (its savepoint), once.
PREPARE: dict[str, Callable[[Seeded], None]] = {
    "POST /api/me/totp/confirm/": _start_enrolling,
    "POST /api/participants/{study_id}/consents/": _amend_with_consent_form_2,
    "POST /api/trials/{code}/analysis-unblinding/": _lock_trial,
    "POST /api/participants/{study_id}/signatures/": _investigator_signs,
}
