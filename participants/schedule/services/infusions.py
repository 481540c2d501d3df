"""Recording a study-drug infusion with its vital signs.

The dose is computed from the protocol and the weight, never entered blind. Vitals past the
protocol's thresholds flag the session and prompt an adverse event; a dose given that differs from
the computed one, an infusion of the wrong length and one too soon after the previous one become
candidate protocol deviations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction

from core import audit
from core.errors import Conflict, Forbidden, Invalid
from participants import blinding
from participants.models import (
    Allocation,
    Appointment,
    Deviation,
    DeviationKind,
    InfusionSession,
    Visit,
    VitalSigns,
    VitalsPhase,
    WithdrawalScope,
)
from participants.schedule import selectors as schedule_selectors
from participants.schedule.services.visits import ensure_may_record
from trials.protocol import EventKind

VITAL_RANGES = {"systolic": (50, 300), "diastolic": (20, 200), "heart_rate": (20, 250), "spo2": (50, 100)}
TWO_PLACES = Decimal("0.01")
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class VitalsReading:
    phase: str
    minute: int
    systolic: int
    diastolic: int
    heart_rate: int
    spo2: int


def dose_for(*, protocol, level: str, weight_kg: Decimal) -> tuple[Decimal, Decimal]:
    """``(mg_per_kg, dose_mg)`` for a drug level: mg/kg × weight, capped at the maximum, to 0.01 mg."""
    spec = protocol.dose_for(level)
    if spec is None:
        raise Conflict(f"the protocol has no dose for {level}", code="no_dose")
    dose = (spec.mg_per_kg * weight_kg).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    if spec.max_mg is not None:
        dose = min(dose, spec.max_mg)
    return spec.mg_per_kg, dose


def _drug_level(allocation: Allocation, factor: str) -> str:
    return blinding.arm_levels(allocation)[factor]


@dataclass(frozen=True)
class _Entry:
    """What the caller entered for one infusion, before any of it is checked."""

    weight_kg: Decimal
    volume_ml: Decimal
    breath_alcohol: Decimal
    started_at: dt.datetime
    stopped_at: dt.datetime
    completed: bool
    vitals: list[VitalsReading]
    interruptions: int
    dissociation_score: int | None
    dose_mg_given: Decimal | None
    interval_override_reason: str


def infusion_record(
    *,
    actor,
    appointment: Appointment,
    weight_kg: Decimal,
    volume_ml: Decimal,
    breath_alcohol: Decimal,
    started_at: dt.datetime,
    stopped_at: dt.datetime,
    completed: bool,
    vitals: list[VitalsReading],
    interruptions: int = 0,
    dissociation_score: int | None = None,
    dose_mg_given: Decimal | None = None,
    interval_override_reason: str = "",
) -> InfusionSession:
    """Record a study-drug infusion at an attended infusion visit.

    The dose is computed here from the protocol and the weight, never entered blind. Preconditions
    (409): randomised; intervention not stopped by a withdrawal; breath alcohol 0.00 on the day;
    at least the protocol's minimum interval since the previous infusion (unless a clinician
    overrides it with a reason, which records a deviation). Vitals past the protocol's safety
    thresholds flag the session (``safety_flags``) and prompt an adverse event. ``dose_mg_given``
    is refused (403) from anyone who may not see the dosing factor.
    """
    entry = _Entry(
        weight_kg, volume_ml, breath_alcohol, started_at, stopped_at, completed, vitals, interruptions,
        dissociation_score, dose_mg_given, (interval_override_reason or "").strip(),
    )  # fmt: skip
    ensure_may_record(actor, appointment)
    protocol = schedule_selectors.protocol_of(appointment)
    visit, allocation = _infusion_visit(appointment, protocol)
    participant = appointment.participant
    # A dose deviation follows a dose given that differs from the computed one: entering it blind
    # would reveal the drug level, so only those who may see the dosing factor enter it.
    if dose_mg_given is not None and protocol.dosing.factor not in blinding.visible_for_participant(
        user=actor, participant=participant
    ):
        raise Forbidden("only those who may see the study drug enter the dose given")
    weight = _validated(entry, protocol.dosing, visit)
    previous = _previous_infusion(participant, visit)
    _check_preconditions(entry, protocol.dosing, participant, visit, previous)
    level = _drug_level(allocation, protocol.dosing.factor)
    mg_per_kg, dose = dose_for(protocol=protocol, level=level, weight_kg=weight)
    with transaction.atomic(), audit.context(actor=actor, reason="infusion recorded"):
        Visit.objects.select_for_update().get(pk=visit.pk)
        if InfusionSession.objects.filter(visit=visit).exists():
            raise Conflict("this infusion is already recorded", code="duplicate")
        infusion = InfusionSession.objects.create(
            visit=visit,
            weight_kg=weight,
            mg_per_kg=mg_per_kg,
            dose_mg=dose,
            dose_mg_given=entry.dose_mg_given,
            volume_ml=entry.volume_ml,
            breath_alcohol=entry.breath_alcohol,
            started_at=entry.started_at,
            stopped_at=entry.stopped_at,
            interruptions=entry.interruptions,
            completed=entry.completed,
            dissociation_score=entry.dissociation_score,
            safety_flags=safety_flags(entry.vitals, protocol.dosing.safety),
            interval_override_reason=entry.interval_override_reason,
            recorded_by=actor,
        )
        _store_vitals(infusion, entry.vitals)
        for kind, text in _deviations(entry, infusion, protocol, level, dose, visit, previous):
            Deviation.objects.create(
                participant=participant,
                appointment=appointment,
                kind=kind,
                description=f"{appointment.event_code}: {text}",
                automatic=True,
                occurred_on=visit.actual_date,
                reported_by=actor,
            )
    return infusion


def _store_vitals(infusion: InfusionSession, vitals: list[VitalsReading]) -> None:
    VitalSigns.objects.bulk_create(
        VitalSigns(
            infusion=infusion,
            phase=r.phase,
            minute=r.minute,
            systolic=r.systolic,
            diastolic=r.diastolic,
            heart_rate=r.heart_rate,
            spo2=r.spo2,
        )
        for r in vitals
    )


def _infusion_visit(appointment: Appointment, protocol) -> tuple[Visit, Allocation]:
    """The attended visit of an infusion appointment and the participant's allocation (409 otherwise)."""
    if protocol.dosing is None or appointment.kind != EventKind.INFUSION:
        raise Conflict("this appointment is not an infusion visit", code="not_infusion")
    visit = Visit.objects.filter(appointment=appointment).first()
    if visit is None or not visit.attended:
        raise Conflict("record the visit as attended before its infusion", code="no_visit")
    allocation = schedule_selectors.allocation_of(appointment.participant)
    if allocation is None:
        raise Conflict("the participant is not randomised", code="not_randomised")
    return visit, allocation


def _validated(entry: _Entry, dosing, visit: Visit) -> Decimal:
    """The weight as a number, after every field is checked (400 naming each problem)."""
    problems: dict[str, list[str]] = {}
    try:
        weight = Decimal(str(entry.weight_kg))
    except InvalidOperation:
        weight = None
    low, high = dosing.weight_kg
    if weight is None or not weight.is_finite() or not (low <= weight <= high):
        problems["weight_kg"] = [f"The protocol accepts {low} to {high} kg."]
    elif weight != weight.quantize(TENTH):
        # The row keeps 0.1 kg: a finer weight would be stored apart from the one the dose used.
        problems["weight_kg"] = ["Give the weight to 0.1 kg."]
    if entry.stopped_at <= entry.started_at:
        problems["stopped_at"] = ["The infusion must stop after it starts."]
    elif (entry.stopped_at - entry.started_at) > dt.timedelta(hours=12):
        problems["stopped_at"] = ["An infusion longer than 12 hours is not plausible."]
    zone = visit.appointment.participant.site.zone
    if entry.started_at.astimezone(zone).date() != visit.actual_date:
        problems["started_at"] = [f"The infusion must start on the day of the visit ({visit.actual_date})."]
    if Decimal(str(entry.volume_ml)) <= 0:
        problems["volume_ml"] = ["The volume must be more than 0 ml."]
    if Decimal(str(entry.breath_alcohol)) < 0:
        problems["breath_alcohol"] = ["Breath alcohol cannot be negative."]
    if entry.dissociation_score is not None and not (0 <= entry.dissociation_score <= 100):
        problems["dissociation_score"] = ["Give a score from 0 to 100."]
    problems.update(_vitals_problems(entry.vitals))
    if problems:
        raise Invalid("the infusion is not valid", fields=problems)
    return weight


def _vitals_problems(vitals: list[VitalsReading]) -> dict[str, list[str]]:
    if not vitals:
        return {"vitals": ["Record at least the vitals before the infusion."]}
    problems: dict[str, list[str]] = {}
    for i, reading in enumerate(vitals):
        if reading.phase not in VitalsPhase.values:
            problems[f"vitals.{i}.phase"] = [f"Choose one of: {', '.join(VitalsPhase.values)}."]
        for name, (lo, hi) in VITAL_RANGES.items():
            value = getattr(reading, name)
            if not (lo <= value <= hi):
                problems[f"vitals.{i}.{name}"] = [f"{value} is outside the plausible range {lo} to {hi}."]
        if reading.systolic <= reading.diastolic:
            problems[f"vitals.{i}.systolic"] = ["Systolic must be above diastolic."]
    return problems


def _previous_infusion(participant, visit: Visit) -> InfusionSession | None:
    """The participant's latest infusion on or before this visit's date, other than this visit's."""
    return (
        InfusionSession.objects.filter(visit__appointment__participant=participant)
        .exclude(visit=visit)
        .filter(visit__actual_date__lte=visit.actual_date)
        .order_by("-visit__actual_date")
        .select_related("visit")
        .first()
    )


def _too_soon(dosing, visit: Visit, previous: InfusionSession | None) -> bool:
    return previous is not None and (visit.actual_date - previous.visit.actual_date).days < dosing.min_interval_days


def _check_preconditions(entry: _Entry, dosing, participant, visit: Visit, previous) -> None:
    """Refuse (409) an infusion after a withdrawal, with alcohol on the breath, or too soon after the
    previous one without a clinician's reason."""
    if participant.withdrawals.filter(
        scope__in=[WithdrawalScope.INTERVENTION, WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE]
    ).exists():
        raise Conflict("the participant's intervention was stopped by a withdrawal", code="intervention_stopped")
    if Decimal(str(entry.breath_alcohol)) > 0:
        raise Conflict("breath alcohol must be 0.00 on the day of an infusion", code="breath_alcohol")
    if _too_soon(dosing, visit, previous) and not entry.interval_override_reason:
        raise Conflict(
            f"the previous infusion was on {previous.visit.actual_date}: the protocol needs at least "
            f"{dosing.min_interval_days} days between infusions",
            code="too_soon",
        )


def safety_flags(vitals: list[VitalsReading], safety) -> list[str]:
    """Each vital past the protocol's safety thresholds, said as a coordinator reads it."""
    flags = []
    for reading in vitals:
        at = f"{reading.phase} (minute {reading.minute})"
        if reading.systolic > safety.systolic_max:
            flags.append(f"systolic {reading.systolic} > {safety.systolic_max} mmHg {at}")
        if reading.diastolic > safety.diastolic_max:
            flags.append(f"diastolic {reading.diastolic} > {safety.diastolic_max} mmHg {at}")
        if reading.heart_rate > safety.heart_rate_max:
            flags.append(f"heart rate {reading.heart_rate} > {safety.heart_rate_max} bpm {at}")
        if reading.spo2 < safety.spo2_min:
            flags.append(f"SpO2 {reading.spo2} < {safety.spo2_min}% {at}")
    return flags


def _deviations(entry: _Entry, infusion, protocol, level: str, dose: Decimal, visit: Visit, previous):
    """The candidate deviations of a recorded infusion: ``(kind, text)`` for a dose given that
    differs from the computed one, a length outside the tolerance, an interval overridden."""
    dosing = protocol.dosing
    found = []
    if entry.dose_mg_given is not None and Decimal(str(entry.dose_mg_given)).quantize(TWO_PLACES) != dose:
        found.append((DeviationKind.DOSE, "the dose given differs from the dose computed from the weight"))
    minutes = infusion.minutes
    expected = protocol.dose_for(level).infusion_minutes
    tolerance = expected * dosing.duration_tolerance_percent / 100
    if entry.completed and abs(minutes - expected) > tolerance:
        found.append(
            (
                DeviationKind.DURATION,
                f"the infusion lasted {minutes:.0f} min; the protocol's is {expected} min "
                f"± {dosing.duration_tolerance_percent}%",
            )
        )
    if _too_soon(dosing, visit, previous):
        found.append(
            (
                DeviationKind.INTERVAL,
                f"infused {(visit.actual_date - previous.visit.actual_date).days} days after the previous "
                f"infusion (minimum {dosing.min_interval_days}): {entry.interval_override_reason}",
            )
        )
    return found
