"""A whole trial, simulated through the same services the API uses.

People are screened (some excluded for the protocol's own reasons, some decline), enrolled,
consented, baselined and randomised; they come to their visits (some late, a few outside the
window, some sessions missed), receive their infusions with vitals (a few pass a safety threshold
and get an adverse event; one serious adverse event in the trial), some drop out, and their
drinking is recalled day by day at follow-up visits (Timeline Follow-Back), with a few days
forgotten. Most consent to email reminders (at example.org addresses, which are never delivered);
the reminder planner then keeps their reminders for the visits still ahead, as it would in a
real trial on the day the simulation runs. Where the protocol's daily diary goes by SMS (MORE-KARE),
participants get a mobile number reserved for fiction, most consent to SMS, and the diary prompts of
the last two weeks are planned and answered through the reminders' services
(:mod:`trialtracker.simulation_diary`). In a trial still in progress, the site books a time and a
place for each appointment of the coming week.

How much a participant drinks depends on their arm, with the effect sizes reported for KARE:
percentage of days abstinent about 70% (placebo + education), +10.75 points for ketamine, +6.25
for therapy, -1.9 for their interaction. These effect sizes are parameters of the simulation
(:data:`EFFECTS`), not protocol facts.

Everything is drawn from seeded random generators (one for the trial's course, one each for contact
preferences, booked times and diary answers), so a seed gives the same trial.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction

from core.clock import today_at
from core.services import sites_for, user_create
from outcomes import services as outcome_services
from participants import blinding
from participants.enrolment import services as enrolment
from participants.models import Appointment, AppointmentStatus, Participant, WithdrawalScope
from participants.randomisation import services as randomisation
from participants.safety import services as safety
from participants.schedule import services as schedule
from reminders import services as reminder_services
from trials.protocol import CriterionKind, EventKind, Procedure, RandomisationMethod
from trialtracker.simulation_diary import Diary

# Percentage of days abstinent by factor level, added to BASE_PDA; the interaction applies when
# both levels of INTERACTION are present. Levels not named here add nothing.
BASE_PDA = 70.0
EFFECTS = {"ketamine": 10.75, "therapy": 6.25, "ketamine_therapy": 17.0}
INTERACTION = ({"ketamine", "therapy"}, -1.9)
BASELINE_PDA = 25.0
HEAVY_SHARE = 0.55  # share of drinking days that are heavy
EXCLUSION_RATE = 0.22
DECLINE_RATE = 0.06
DROPOUT_RATE = 0.12
MISSED_SESSION_RATE = 0.08
MISSED_FOLLOW_UP_RATE = 0.05
FORGOTTEN_DAY_RATE = 0.04
LATE_VISIT_RATE = 0.03
VITALS_BREACH_RATE = 0.04
EMAIL_CONSENT_RATE = 0.85  # consent to email reminders, at example.org addresses (reserved: never delivered)
# How long before today the last participant was randomised: the latest are still due their 6-month follow-up.
FOLLOW_UP_DAYS = 150


@dataclass
class Staff:
    coordinators: dict[int, object]
    pharmacists: dict[int, object]
    statistician: object


@dataclass
class Tally:
    screened: int = 0
    randomised: int = 0
    visits: int = 0
    infusions: int = 0
    sessions: int = 0
    adverse_events: int = 0
    serious: int = 0
    dropouts: int = 0
    drinking_days: int = 0
    deviations: int = 0
    notes: list[str] = field(default_factory=list)


class Simulation:
    def __init__(self, *, trial, seed: int, progress: Callable[[str], None] = lambda _: None):
        self.trial = trial
        self.seed = seed
        self.rng = random.Random(seed)
        # A generator of its own for contact preferences, so that adding them left the trial's
        # course (and its results for a seed) as they were.
        self.contact_rng = random.Random(f"contact:{seed}")
        self.booking_rng = random.Random(f"booking:{seed}")
        self.progress = progress
        self.protocol = trial.version_on().protocol
        self.tally = Tally()
        # Phones and the SMS diary, for a protocol whose diary goes by SMS (none for KARE).
        self.diary = Diary(protocol=self.protocol, seed=seed, drink=drink_grams)
        self.sae_done = False

    # -- staff and lists ------------------------------------------------------------------------

    def add_staff(self) -> Staff:
        User = get_user_model()
        prefix = self.trial.code.lower()

        def person(name, role, sites):
            return User.objects.filter(username=name).first() or user_create(
                username=name, password=None, role=role, sites=sites, reason="simulation"
            )

        coordinators, pharmacists = {}, {}
        for site in self.trial.sites.order_by("code"):
            coordinators[site.pk] = person(f"sim-{prefix}-coordinator-{site.code}", "coordinator", [site])
            pharmacists[site.pk] = person(f"sim-{prefix}-pharmacist-{site.code}", "pharmacist", [site])
        statistician = person(
            f"sim-{prefix}-statistician", "unblinded_statistician", sites_for(trial=self.trial.code, sites=[])
        )
        if self.protocol.randomisation.method == RandomisationMethod.PERMUTED_BLOCKS:
            seed_text = hashlib.sha256(f"simulation:{self.trial.code}:{self.seed}".encode()).hexdigest()[:32]
            randomisation.randomisation_lists_generate(
                actor=statistician, trial=self.trial, blocks=max(4, len(self.protocol.arms)), seed=seed_text
            )
        self.staff = Staff(coordinators, pharmacists, statistician)
        return self.staff

    # -- recruitment ------------------------------------------------------------------------------

    def recruit(self, target: int, *, over_last_days: int | None = None) -> list[Participant]:
        """Screen until ``target`` people are randomised; returns them. They are recruited so that the
        last has finished follow-up by today, or, given ``over_last_days``, over that many days up to
        today (a trial in progress, with visits due)."""
        rng = self.rng
        sites = list(self.trial.sites.order_by("code"))
        criteria = self.protocol.eligibility.criteria
        age = self.protocol.eligibility.age
        today = min(today_at(s) for s in sites)
        span = min(target, 365) if over_last_days is None else over_last_days
        first_day = today - dt.timedelta(days=(FOLLOW_UP_DAYS if over_last_days is None else 0) + span)
        randomised: list[Participant] = []
        every = max(1, target // 10)
        while len(randomised) < target:
            site = sites[self.tally.screened % len(sites)]
            coordinator = self.staff.coordinators[site.pk]
            day = first_day + dt.timedelta(days=len(randomised) * span // target)
            self.tally.screened += 1
            answers = {c.code: c.kind == CriterionKind.INCLUSION for c in criteria}
            if rng.random() < EXCLUSION_RATE:
                failing = rng.choice(criteria)
                answers[failing.code] = not answers[failing.code]
            eligible = all(answers[c.code] == (c.kind == CriterionKind.INCLUSION) for c in criteria)
            declined = eligible and rng.random() < DECLINE_RATE
            screening = enrolment.screening_record(
                actor=coordinator, site=site, screened_on=day, answers=answers, outcome="declined" if declined else None
            )
            if screening.outcome != "eligible":
                continue
            phone = self.diary.phone(self.contact_rng)
            participant = enrolment.participant_enrol(
                actor=coordinator,
                screening=screening,
                sex=rng.choices(["M", "F"], weights=[0.62, 0.38])[0],
                age_at_consent=rng.randint(age.min, age.max),
                consent_form_version=self.protocol.current_consent_form().version,
                consented_on=day,
                first_name=f"Sim{self.tally.screened}",
                last_name="Participant",
                email=f"sim{self.tally.screened}@example.org",
                phone=phone,
            )
            weight = Decimal(str(round(rng.gauss(78, 12), 1))).max(Decimal(50)).min(Decimal(130))
            enrolment.baseline_complete(actor=coordinator, participant=participant, completed_on=day, weight_kg=weight)
            email = self.contact_rng.random() < EMAIL_CONSENT_RATE
            sms = self.diary.sms_consent(self.contact_rng, phone)
            if email or sms:
                reminder_services.contact_preferences_set(
                    actor=coordinator, participant=participant, email_consent=email, sms_consent=sms
                )
            self._randomise(participant, coordinator, day)
            randomised.append(participant)
            self.tally.randomised += 1
            if len(randomised) % every == 0 or len(randomised) == target:
                self.progress(f"      {len(randomised)}/{target} randomised ({self.tally.screened} screened)")
        return randomised

    def _randomise(self, participant, coordinator, day) -> None:
        try:
            randomisation.participant_randomise(actor=coordinator, participant=participant, on=day)
        except Exception as exc:
            if getattr(exc, "code", "") != "list_exhausted":
                raise
            randomisation.randomisation_list_top_up(actor=self.staff.statistician, trial=self.trial, blocks=4)
            randomisation.participant_randomise(actor=coordinator, participant=participant, on=day)

    # -- follow-through ---------------------------------------------------------------------------

    def pda_for(self, levels: dict[str, str]) -> float:
        values = set(levels.values())
        pda = BASE_PDA + sum(EFFECTS.get(v, 0.0) for v in values)
        both, shift = INTERACTION
        if both <= values:
            pda += shift
        return pda

    def follow(self, participants: list[Participant]) -> None:
        every = max(1, len(participants) // 10)
        for n, participant in enumerate(participants, start=1):
            with transaction.atomic():
                self._follow_one(
                    Participant.objects.select_related("site", "trial", "allocation__arm").get(pk=participant.pk)
                )
            if n % every == 0 or n == len(participants):
                self.progress(f"      {n}/{len(participants)} followed up")

    def _follow_one(self, participant: Participant) -> None:
        """One participant's follow-up: their visits, infusions and sessions as the schedule falls due,
        recalls of their drinking at baseline and each follow-up, and perhaps a dropout."""
        follower = _Follower(self, participant)
        follower.recall_baseline()
        for pk in Appointment.objects.filter(participant=participant).order_by("sequence").values_list("pk", flat=True):
            # Fetched afresh (recording a visit re-dates the ones after it), with the participant already
            # loaded, as the API's views hand appointments to the services.
            appointment = Appointment.objects.get(pk=pk)
            appointment.participant = participant
            if appointment.status != AppointmentStatus.SCHEDULED:
                continue
            if not follower.attend(appointment):
                break
        if follower.reached_today:
            self._book_coming_week(participant, coordinator=follower.coordinator, today=follower.today)
        self.diary.keep(participant, today=follower.today, p_abstinent=follower.p_abstinent, heavy=follower.heavy)

    def _book_coming_week(self, participant: Participant, *, coordinator, today: dt.date) -> None:
        """Book a time and a place for the participant's appointments of the coming week, on their
        booked dates, as a site does when it rings to arrange them."""
        rng = self.booking_rng
        coming = Appointment.objects.filter(
            participant=participant,
            status=AppointmentStatus.SCHEDULED,
            booked_date__range=(today, today + dt.timedelta(days=7)),
        )
        for appointment in coming.order_by("sequence"):
            appointment.participant = participant
            place = rng.choice(
                [participant.site.name, f"{participant.site.name}, outpatients room {rng.randint(1, 6)}"]
            )
            at = dt.time(rng.randint(9, 16), rng.choice([0, 15, 30, 45]))
            schedule.appointment_reschedule(
                actor=coordinator,
                appointment=appointment,
                booked_date=appointment.booked_date,
                booked_time=at,
                place=place,
            )

    def _infuse(self, participant, appointment, day, pharmacist) -> None:
        rng = self.rng
        dosing = self.protocol.dosing
        tz = participant.site.zone
        start = dt.datetime.combine(day, dt.time(10, 0), tzinfo=tz)
        minutes = next(d.infusion_minutes for d in dosing.regimen) + rng.randint(-2, 2)
        breach = rng.random() < VITALS_BREACH_RATE
        vitals = [
            schedule.VitalsReading("before", 0, rng.randint(110, 135), rng.randint(70, 85), rng.randint(60, 85), 98)
        ]
        for minute in range(dosing.vitals_every_minutes, minutes + 1, dosing.vitals_every_minutes):
            systolic = (
                dosing.safety.systolic_max + rng.randint(2, 12) if breach and minute == 15 else rng.randint(115, 150)
            )
            vitals.append(
                schedule.VitalsReading("during", minute, systolic, rng.randint(70, 95), rng.randint(60, 95), 97)
            )
        vitals.append(schedule.VitalsReading("after", minutes + 15, rng.randint(110, 140), rng.randint(70, 88), 75, 98))
        infusion = schedule.infusion_record(
            actor=pharmacist,
            appointment=appointment,
            weight_kg=participant.baseline_weight_kg,
            volume_ml=next(d.volume_ml for d in dosing.regimen),
            breath_alcohol=Decimal("0.00"),
            started_at=start,
            stopped_at=start + dt.timedelta(minutes=minutes),
            completed=True,
            vitals=vitals,
            dissociation_score=rng.randint(0, 30),
        )
        self.tally.infusions += 1
        if infusion.safety_flags:
            serious = not self.sae_done
            self.sae_done = True
            safety.adverse_event_record(
                actor=self.staff.coordinators[participant.site.pk],  # the pharmacist sees the drug
                participant=participant,
                term="Hypertension during infusion" + ("; admitted for observation" if serious else ""),
                onset_date=day,
                end_date=day + dt.timedelta(days=1) if serious else day,
                grade=3 if serious else 2,
                seriousness=["hospitalisation"] if serious else [],
                drug_causality="possibly",
                therapy_causality="not_related",
                expected=True,
                action_taken="infusion slowed",
                outcome="recovered",
                infusion=infusion,
            )
            self.tally.adverse_events += 1
            self.tally.serious += int(serious)


def drink_grams(rng: random.Random, p_abs: float, heavy) -> Decimal:
    """One day's grams: none with chance ``p_abs``, else heavy (at least ``heavy``) for :data:`HEAVY_SHARE`
    of drinking days."""
    if rng.random() < p_abs:
        return Decimal(0)
    if rng.random() < HEAVY_SHARE:
        return (heavy + Decimal(rng.randint(0, 80))).quantize(Decimal("1"))
    return Decimal(rng.randint(8, int(heavy) - 1))


class _Follower:
    """Takes one participant through their schedule for :meth:`Simulation._follow_one`, drawing every
    random choice in a fixed order so that a seed gives the same trial."""

    def __init__(self, simulation: Simulation, participant: Participant):
        self.sim, self.participant, rng = simulation, participant, simulation.rng
        self.rng = rng
        self.coordinator = simulation.staff.coordinators[participant.site.pk]
        self.pharmacist = simulation.staff.pharmacists[participant.site.pk]
        self.anchor = participant.allocation.allocated_on
        # The individual's chance of an abstinent day: around the arm's PDA, spread between people.
        mean = simulation.pda_for(blinding.arm_levels(participant.allocation)) / 100
        concentration = 6.0
        self.p_abstinent = rng.betavariate(mean * concentration, (1 - mean) * concentration)
        self.dropout_day = rng.randint(30, 170) if rng.random() < DROPOUT_RATE else None
        self.heavy = simulation.protocol.outcomes.heavy_day_grams[participant.sex]
        self.today = today_at(participant.site)
        self.recalled_until = self.anchor - dt.timedelta(days=1)
        self.session_number = 0
        self.last_visit = self.anchor
        self.last_infusion: dt.date | None = None
        self.reached_today = False  # their follow-up runs on past today: visits are still to come

    def drinks(self, p_abs: float) -> Decimal:
        return drink_grams(self.rng, p_abs, self.heavy)

    def recall(self, first: dt.date, last: dt.date, p_abs: float, visit_code: str) -> None:
        days = []
        day = first
        while day <= last:
            if self.rng.random() >= FORGOTTEN_DAY_RATE:
                days.append(outcome_services.DayEntry(day=day, amount=self.drinks(p_abs), unit="g"))
            day += dt.timedelta(days=1)
        if days:
            outcome_services.drinking_days_record(
                actor=self.coordinator, participant=self.participant, days=days, source="tlfb", visit_code=visit_code
            )
            self.sim.tally.drinking_days += len(days)

    def recall_baseline(self) -> None:
        """The look-back before randomisation, belonging to the protocol's baseline event if it has one."""
        protocol = self.sim.protocol
        lookback = protocol.outcomes.baseline_lookback_days
        baseline = next((e.code for e in protocol.schedule if e.kind == EventKind.BASELINE), "")
        first = self.anchor - dt.timedelta(days=lookback)
        self.recall(first, self.anchor - dt.timedelta(days=1), BASELINE_PDA / 100, baseline)

    def _visit_day(self, appointment: Appointment, infusing: bool) -> dt.date:
        rng = self.rng
        shift = rng.choice([0, 0, 0, 1, 1, 2, -1])
        if rng.random() < LATE_VISIT_RATE:
            shift = appointment.window_end.toordinal() - appointment.booked_date.toordinal() + rng.randint(1, 4)
        day = max(appointment.booked_date + dt.timedelta(days=shift), self.last_visit)
        if infusing and self.last_infusion is not None:
            # Sites keep the protocol's minimum interval between infusions (a weekly schedule leaves no slack).
            day = max(day, self.last_infusion + dt.timedelta(days=self.sim.protocol.dosing.min_interval_days))
        return day

    def attend(self, appointment: Appointment) -> bool:
        """Record the appointment's visit (attended or missed) and what happened at it; False once the
        participant's follow-up ends here (today reached, or they drop out)."""
        sim, rng, protocol = self.sim, self.rng, self.sim.protocol
        event = protocol.event(appointment.event_code)
        infusing = Procedure.INFUSION in event.procedures and protocol.dosing is not None
        day = self._visit_day(appointment, infusing)
        if day > self.today:
            self.reached_today = True
            return False
        if self.dropout_day is not None and day >= self.anchor + dt.timedelta(days=self.dropout_day):
            enrolment.withdrawal_record(
                actor=self.coordinator,
                participant=self.participant,
                scope=WithdrawalScope.FOLLOW_UP,
                withdrawn_on=min(self.anchor + dt.timedelta(days=self.dropout_day), self.today),
                reason="no longer wishes to take part (simulated)",
            )
            sim.tally.dropouts += 1
            return False
        follow_up = event.kind == EventKind.FOLLOW_UP
        misses = MISSED_FOLLOW_UP_RATE if follow_up else (MISSED_SESSION_RATE if event.kind == EventKind.THERAPY else 0)
        attended = not rng.random() < misses
        schedule.visit_record(
            actor=self.coordinator,
            appointment=appointment,
            actual_date=day,
            attended=attended,
            **({"seen_by": self.coordinator} if attended else {"missed_reason": "did not attend (simulated)"}),
        )
        sim.tally.visits += 1
        self.last_visit = day
        if not attended:
            return True
        appointment.status = AppointmentStatus.DONE
        if infusing:
            sim._infuse(self.participant, appointment, day, self.pharmacist)
            self.last_infusion = day
        if Procedure.PSYCHOLOGICAL_SESSION in event.procedures and protocol.therapy is not None:
            self.session_number += 1
            schedule.session_record(
                actor=self.coordinator,
                appointment=appointment,
                session_number=self.session_number,
                attended=True,
                minutes=next(p.minutes for p in protocol.therapy.programmes),
            )
            sim.tally.sessions += 1
        if follow_up:
            last = min(day - dt.timedelta(days=1), self.today)
            self.recall(self.recalled_until + dt.timedelta(days=1), last, self.p_abstinent, appointment.event_code)
            self.recalled_until = last
        return True
