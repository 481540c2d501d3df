"""Trials for the analysis tests: synthetic ones with a known effect, and one run through the services.

``synthetic`` imports participants and their drinking days (as a running trial moving onto the
tracker would), with PDA drawn from a fixed seed as ``BASE + DRUG_EFFECT * ketamine +
THERAPY_EFFECT * therapy + noise``. ``clinic`` takes people of KARE through screening, enrolment,
randomisation, visits, infusions, sessions, withdrawals and adverse events with the services.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.services import drinking_days_import
from participants.enrolment import services as enrolment
from participants.models import Appointment, Participant
from participants.randomisation import services as randomisation
from participants.schedule.services import VitalsReading
from trials.protocol import CriterionKind

BASE = 55.0
DRUG_EFFECT = 10.0
THERAPY_EFFECT = 6.0
NOISE_SD = 4.0
RANDOMISED_DAYS_AGO = 220
ASSESSED_DAYS = list(range(1, 181, 3))  # 60 study days of the primary window with a record
BASELINE_DAYS = list(range(-30, 0, 2))  # 15 days before the anchor


def days_ago(n: int) -> dt.date:
    return timezone.now().date() - dt.timedelta(days=n)


def on_study_day(anchor: dt.date, day: int) -> dt.date:
    return anchor + dt.timedelta(days=day - 1 if day > 0 else day)


def drinking_rows(*, study_id: str, anchor: dt.date, pda: float, rng: random.Random, heavy_share: float = 0.5):
    """Rows for ``drinking_days_import``: a share ``pda`` of ``ASSESSED_DAYS`` abstinent, the rest
    drinking (heavy at random), and a drinking baseline."""
    abstinent = round(pda / 100 * len(ASSESSED_DAYS))
    days = ASSESSED_DAYS[:]
    rng.shuffle(days)
    dry = set(days[:abstinent])
    rows = []
    for day in BASELINE_DAYS:
        rows.append({"study_id": study_id, "date": on_study_day(anchor, day), "amount": "90", "unit": "g"})
    for day in ASSESSED_DAYS:
        grams = 0 if day in dry else (90 if rng.random() < heavy_share else 20)
        rows.append({"study_id": study_id, "date": on_study_day(anchor, day), "amount": str(grams), "unit": "g"})
    return [{**row, "source": "tlfb", "line": i} for i, row in enumerate(rows, start=2)]


@pytest.fixture
def synthetic(kare, admin_user):
    """``synthetic(per_arm=16, seed=7)``: KARE with that many imported participants per arm."""

    def make(per_arm: int = 16, seed: int = 7):
        rng = random.Random(seed)
        anchor = days_ago(RANDOMISED_DAYS_AGO)
        protocol = kare.version_on().protocol
        rows = []
        n = 0
        for arm in protocol.arms:
            for _ in range(per_arm):
                n += 1
                study_id = f"S{n:04d}"
                randomisation.participant_import(
                    actor=admin_user,
                    trial=kare,
                    study_id=study_id,
                    site_code="exeter" if n % 2 else "london",
                    sex="M" if n % 3 else "F",
                    randomised_on=anchor,
                    levels=arm.levels,
                )
                pda = (
                    BASE
                    + DRUG_EFFECT * (arm.levels["drug"] == "ketamine")
                    + THERAPY_EFFECT * (arm.levels["therapy"] == "therapy")
                    + rng.gauss(0, NOISE_SD)
                )
                # ketamine halves the chance that a drinking day is heavy: relapses come later
                heavy = 0.25 if arm.levels["drug"] == "ketamine" else 0.6
                rows += drinking_rows(
                    study_id=study_id, anchor=anchor, pda=min(max(pda, 0), 100), rng=rng, heavy_share=heavy
                )
        drinking_days_import(actor=admin_user, trial=kare, rows=rows)
        return kare

    return make


@pytest.fixture
def more_kare_synthetic(more_kare, make_user):
    """MORE-KARE (one factor) with 10 imported participants per arm, the first arm 12 points better."""
    admin = make_user("administrator", more_kare, username="admin-more")
    rng = random.Random(3)
    anchor = days_ago(RANDOMISED_DAYS_AGO)
    protocol = more_kare.version_on().protocol
    rows = []
    n = 0
    for i, arm in enumerate(protocol.arms):
        for _ in range(10):
            n += 1
            study_id = f"M{n:04d}"
            randomisation.participant_import(
                actor=admin,
                trial=more_kare,
                study_id=study_id,
                site_code=["exeter", "london", "leeds"][n % 3],
                sex="M" if n % 2 else "F",
                randomised_on=anchor,
                levels=arm.levels,
            )
            pda = 50 + (12 if i == 0 else 0) + rng.gauss(0, 3)
            rows += drinking_rows(study_id=study_id, anchor=anchor, pda=pda, rng=rng)
    drinking_days_import(actor=admin, trial=more_kare, rows=rows)
    return more_kare


# --- a trial run through the services ---------------------------------------------------------------


def vitals() -> list[VitalsReading]:
    calm = {"systolic": 122, "diastolic": 78, "heart_rate": 70, "spo2": 98}
    return [
        VitalsReading(phase="before", minute=-10, **calm),
        VitalsReading(phase="during", minute=15, **calm),
        VitalsReading(phase="after", minute=60, **calm),
    ]


class Clinic:
    """KARE run by a coordinator through the services, with past dates so the schedule can be walked."""

    def __init__(self, trial, coordinator, admin):
        self.trial = trial
        self.coordinator = coordinator
        self.admin = admin
        self.answers = {
            c.code: c.kind == CriterionKind.INCLUSION for c in trial.version_on().protocol.eligibility.criteria
        }

    def screen(self, *, site: str = "exeter", failing: tuple[str, ...] = (), outcome: str | None = None):
        answers = dict(self.answers)
        for code in failing:
            answers[code] = not answers[code]
        return enrolment.screening_record(
            actor=self.coordinator,
            site=self.trial.sites.get(code=site),
            screened_on=days_ago(RANDOMISED_DAYS_AGO + 30),
            answers=answers,
            outcome=outcome,
        )

    def enrol(self, *, site: str = "exeter", sex: str = "M") -> Participant:
        screening = self.screen(site=site)
        participant = enrolment.participant_enrol(
            actor=self.coordinator,
            screening=screening,
            sex=sex,
            consent_form_version="1.0",
            consented_on=screening.screened_on,
            first_name="Test",
            last_name="Person",
            age_at_consent=30 + screening.pk % 20,
        )
        return enrolment.baseline_complete(
            actor=self.coordinator,
            participant=participant,
            completed_on=days_ago(RANDOMISED_DAYS_AGO + 5),
            weight_kg=Decimal("75.0"),
        )

    def randomised(self, *, site: str = "exeter", sex: str = "M") -> Participant:
        participant = self.enrol(site=site, sex=sex)
        randomisation.participant_randomise(
            actor=self.coordinator, participant=participant, on=days_ago(RANDOMISED_DAYS_AGO)
        )
        return Participant.objects.select_related("allocation__arm", "site").get(pk=participant.pk)

    def appointment(self, participant: Participant, code: str) -> Appointment:
        return Appointment.objects.get(participant=participant, event_code=code, unscheduled=False)

    def day(self, participant: Participant, n: int) -> dt.date:
        return participant.allocation.allocated_on + dt.timedelta(days=n)

    def attend(self, participant: Participant, code: str, n: int, *, attended: bool = True):
        from participants.schedule.services import visit_record

        return visit_record(
            actor=self.coordinator,
            appointment=self.appointment(participant, code),
            actual_date=self.day(participant, n),
            attended=attended,
            missed_reason="" if attended else "did not come",
        )

    def infuse(self, participant: Participant) -> None:
        from participants.schedule.services import infusion_record

        self.attend(participant, "V2", 7)
        start = dt.datetime.combine(self.day(participant, 7), dt.time(10), tzinfo=participant.site.zone)
        infusion_record(
            actor=self.coordinator,
            appointment=self.appointment(participant, "V2"),
            weight_kg=Decimal("75.0"),
            volume_ml=Decimal("50.0"),
            breath_alcohol=Decimal("0.00"),
            started_at=start,
            stopped_at=start + dt.timedelta(minutes=40),
            completed=True,
            vitals=vitals(),
        )

    def session(self, participant: Participant, *, attended: bool = True) -> None:
        from participants.schedule.services import session_record

        self.attend(participant, "V2", 7)
        session_record(
            actor=self.coordinator,
            appointment=self.appointment(participant, "V2"),
            session_number=1,
            attended=attended,
            minutes=90 if attended else 0,
        )

    def withdraw(self, participant: Participant, scope: str, n: int = 30) -> None:
        enrolment.withdrawal_record(
            actor=self.coordinator,
            participant=participant,
            scope=scope,
            withdrawn_on=self.day(participant, n),
            reason="does not wish to continue",
        )

    def miss_final_follow_up(self, participant: Participant) -> None:
        self.attend(participant, "V10", 182, attended=False)

    def adverse_event(self, participant: Participant, *, grade: int, serious: bool = False) -> None:
        from participants.safety.services import adverse_event_record

        adverse_event_record(
            actor=self.coordinator,
            participant=participant,
            term="headache",
            onset_date=self.day(participant, 8),
            grade=grade,
            drug_causality="possibly",
            therapy_causality="not_related",
            expected=True,
            seriousness=["hospitalisation"] if serious else [],
        )

    def drink(self, participant: Participant, *, pda: float, seed: int = 1) -> None:
        rows = drinking_rows(
            study_id=participant.study_id,
            anchor=participant.allocation.allocated_on,
            pda=pda,
            rng=random.Random(seed),
        )
        drinking_days_import(actor=self.admin, trial=self.trial, rows=rows)


@pytest.fixture
def clinic(kare, make_user, admin_user):
    from participants.randomisation.services import randomisation_lists_generate

    statistician = make_user("unblinded_statistician", kare, username="statistician")
    randomisation_lists_generate(actor=statistician, trial=kare, blocks=10, seed="0123456789abcdef0123456789abcdef")
    return Clinic(kare, make_user("coordinator", kare, username="coordinator"), admin_user)
