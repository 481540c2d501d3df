"""Recording what happens at visits: attendance, infusions with their vitals, therapy sessions.

Each service refuses bad input with :class:`Invalid` (400, nothing written) and an unmet protocol
precondition with :class:`Conflict` (409). Out-of-window visits, doses different from the computed
one, infusions of the wrong length and infusions too soon after the previous one become candidate
protocol deviations automatically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core import audit
from core.clock import today_at
from core.errors import Conflict, Forbidden, Invalid
from core.roles import ENTER_DATA
from participants import appointments as appointment_services
from participants import blinding
from participants.guards import ensure_may_enter_data, require_role
from participants.models import (
    Allocation,
    Appointment,
    AppointmentStatus,
    Deviation,
    DeviationKind,
    InfusionSession,
    TherapySession,
    Visit,
    VitalSigns,
    VitalsPhase,
    WithdrawalScope,
)
from reminders.planning import reminders_plan

VITAL_RANGES = {"systolic": (50, 300), "diastolic": (20, 200), "heart_rate": (20, 250), "spo2": (50, 100)}
TWO_PLACES = Decimal("0.01")


def _require(actor, appointment: Appointment) -> None:
    require_role(actor, ENTER_DATA, site=appointment.participant.site, doing="record visits at this site")
    ensure_may_enter_data(appointment.participant)


def _check_visit_date(appointment: Appointment, actual_date: dt.date, problems: dict, *, exclude_pk=None) -> None:
    participant = appointment.participant
    if actual_date > today_at(participant.site):
        problems["actual_date"] = ["The date cannot be in the future."]
        return
    first_consent = participant.consents.order_by("consented_on").first()
    if first_consent is not None and actual_date < first_consent.consented_on:
        problems["actual_date"] = [f"The participant consented on {first_consent.consented_on}."]
        return
    if appointment.unscheduled:
        return
    earlier = (
        Visit.objects.filter(
            appointment__participant=participant,
            appointment__unscheduled=False,
            appointment__sequence__lt=appointment.sequence,
            actual_date__gt=actual_date,
        )
        .exclude(pk=exclude_pk)
        .select_related("appointment")
        .order_by("-actual_date")
        .first()
    )
    if earlier is not None:
        problems["actual_date"] = [
            f"{earlier.appointment.event_code}, an earlier visit, took place on {earlier.actual_date}."
        ]


def visit_record(
    *, actor, appointment: Appointment, actual_date: dt.date, attended: bool, missed_reason: str = "", seen_by=None
) -> Visit:
    """Record that the participant attended (or missed) an appointment.

    Refused: a date in the future, before consent, or before an earlier visit of the schedule; a
    missed visit without a reason; a cancelled or already recorded appointment (409). An attended
    visit outside its window records a candidate deviation; the events chained to it are re-dated.
    """
    _require(actor, appointment)
    missed_reason = (missed_reason or "").strip()
    problems: dict[str, list[str]] = {}
    _check_visit_date(appointment, actual_date, problems)
    if not attended and not missed_reason:
        problems["missed_reason"] = ["Say why the visit was missed."]
    if problems:
        raise Invalid("the visit is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="visit recorded"):
        locked = Appointment.objects.select_for_update().select_related("participant").get(pk=appointment.pk)
        if locked.status == AppointmentStatus.CANCELLED:
            raise Conflict("the appointment was cancelled", code="cancelled")
        if Visit.objects.filter(appointment=locked).exists():
            raise Conflict("this visit is already recorded: change it with a reason instead", code="duplicate")
        visit = Visit.objects.create(
            appointment=locked,
            actual_date=actual_date,
            attended=attended,
            missed_reason=missed_reason,
            seen_by=seen_by if attended else None,
            recorded_by=actor,
        )
        locked.status = AppointmentStatus.DONE if attended else AppointmentStatus.MISSED
        locked.save(update_fields=["status", "updated_at"])
        # The participant as the caller loaded it (its site and trial at hand; what changes is read afresh).
        participant = appointment.participant
        if attended:
            _deviation_if_out_of_window(locked, visit, actor)
            # A missed visit has no actual date, so nothing chained to it moves.
            appointment_services.appointments_redate(participant=participant, happened=locked.event_code)
        # done: its reminders are cancelled; missed: the missed-visit reminders are planned
        reminders_plan(participant=participant, reason="visit recorded")
    return visit


def _deviation_if_out_of_window(appointment: Appointment, visit: Visit, actor) -> None:
    if appointment.unscheduled:
        return
    state = appointment_services.window_state(appointment, visit.actual_date)
    if state == "in_window":
        return
    Deviation.objects.create(
        participant=appointment.participant,
        appointment=appointment,
        kind=DeviationKind.OUT_OF_WINDOW,
        description=(
            f"{appointment.event_code} took place on {visit.actual_date} ({state}); its window is "
            f"{appointment.window_start} to {appointment.window_end}"
        ),
        automatic=True,
        occurred_on=visit.actual_date,
        reported_by=actor,
    )


def _deviation_after_correction(appointment: Appointment, visit: Visit, actor, reason: str) -> None:
    """Bring the visit's automatic out-of-window deviation in line with a corrected date.

    Not yet reviewed: a date now inside the window closes it as not important, saying why; a date
    still outside it is re-described. Already reviewed: left as the reviewer left it, and a new
    candidate is recorded if the new date is outside the window. No deviation yet: as at first entry.
    """
    candidate = Deviation.objects.filter(
        appointment=appointment, kind=DeviationKind.OUT_OF_WINDOW, automatic=True, reviewed_at__isnull=True
    ).first()
    if candidate is None:
        _deviation_if_out_of_window(appointment, visit, actor)
        return
    state = appointment_services.window_state(appointment, visit.actual_date)
    if state == "in_window":
        candidate.important = False
        candidate.review_note = (
            f"Not a deviation: the visit date was corrected to {visit.actual_date}, inside the window ({reason})."
        )
        candidate.reviewed_by, candidate.reviewed_at = actor, timezone.now()
        candidate.save(update_fields=["important", "review_note", "reviewed_by", "reviewed_at"])
        return
    candidate.description = (
        f"{appointment.event_code} took place on {visit.actual_date} ({state}); its window is "
        f"{appointment.window_start} to {appointment.window_end} (date corrected: {reason})"
    )
    candidate.occurred_on = visit.actual_date
    candidate.save(update_fields=["description", "occurred_on"])


def visit_update(*, actor, visit: Visit, actual_date: dt.date, reason: str) -> Visit:
    """Correct a visit's date after first entry; a reason is required and kept in the audit trail."""
    appointment = visit.appointment
    _require(actor, appointment)
    reason = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = ["A change after first entry needs a reason."]
    _check_visit_date(appointment, actual_date, problems, exclude_pk=visit.pk)
    if problems:
        raise Invalid("the change is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        if locked.actual_date == actual_date:
            return locked
        locked.actual_date = actual_date
        locked.save(update_fields=["actual_date", "updated_at"])
        if locked.attended:
            _deviation_after_correction(appointment, locked, actor, reason)
        appointment_services.appointments_redate(participant=appointment.participant)
        reminders_plan(participant=appointment.participant, reason="visit date corrected")
    return locked


# --- infusions -----------------------------------------------------------------------------------


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
    _require(actor, appointment)
    participant = appointment.participant
    protocol = appointment_services.protocol_of(appointment)
    dosing = protocol.dosing
    if dosing is None or appointment.kind != "infusion":
        raise Conflict("this appointment is not an infusion visit", code="not_infusion")
    visit = Visit.objects.filter(appointment=appointment).first()
    if visit is None or not visit.attended:
        raise Conflict("record the visit as attended before its infusion", code="no_visit")
    allocation = appointment_services.allocation_of(participant)
    if allocation is None:
        raise Conflict("the participant is not randomised", code="not_randomised")
    # A dose deviation follows a dose given that differs from the computed one: entering it blind
    # would reveal the drug level, so only those who may see the dosing factor enter it.
    if dose_mg_given is not None and dosing.factor not in blinding.visible_for_participant(
        user=actor, participant=participant
    ):
        raise Forbidden("only those who may see the study drug enter the dose given")
    problems: dict[str, list[str]] = {}
    try:
        weight = Decimal(str(weight_kg))
    except InvalidOperation:
        weight = None
    low, high = dosing.weight_kg
    if weight is None or not (low <= weight <= high):
        problems["weight_kg"] = [f"The protocol accepts {low} to {high} kg."]
    if stopped_at <= started_at:
        problems["stopped_at"] = ["The infusion must stop after it starts."]
    elif (stopped_at - started_at) > dt.timedelta(hours=12):
        problems["stopped_at"] = ["An infusion longer than 12 hours is not plausible."]
    if started_at.astimezone(participant.site.zone).date() != visit.actual_date:
        problems["started_at"] = [f"The infusion must start on the day of the visit ({visit.actual_date})."]
    if Decimal(str(volume_ml)) <= 0:
        problems["volume_ml"] = ["The volume must be more than 0 ml."]
    if Decimal(str(breath_alcohol)) < 0:
        problems["breath_alcohol"] = ["Breath alcohol cannot be negative."]
    if dissociation_score is not None and not (0 <= dissociation_score <= 100):
        problems["dissociation_score"] = ["Give a score from 0 to 100."]
    if not vitals:
        problems["vitals"] = ["Record at least the vitals before the infusion."]
    for i, reading in enumerate(vitals):
        if reading.phase not in VitalsPhase.values:
            problems[f"vitals.{i}.phase"] = [f"Choose one of: {', '.join(VitalsPhase.values)}."]
        for name, (lo, hi) in VITAL_RANGES.items():
            value = getattr(reading, name)
            if not (lo <= value <= hi):
                problems[f"vitals.{i}.{name}"] = [f"{value} is outside the plausible range {lo} to {hi}."]
        if reading.systolic <= reading.diastolic:
            problems[f"vitals.{i}.systolic"] = ["Systolic must be above diastolic."]
    if problems:
        raise Invalid("the infusion is not valid", fields=problems)

    if participant.withdrawals.filter(
        scope__in=[WithdrawalScope.INTERVENTION, WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE]
    ).exists():
        raise Conflict("the participant's intervention was stopped by a withdrawal", code="intervention_stopped")
    if Decimal(str(breath_alcohol)) > 0:
        raise Conflict("breath alcohol must be 0.00 on the day of an infusion", code="breath_alcohol")
    previous = (
        InfusionSession.objects.filter(visit__appointment__participant=participant)
        .exclude(visit=visit)
        .filter(visit__actual_date__lte=visit.actual_date)
        .order_by("-visit__actual_date")
        .select_related("visit")
        .first()
    )
    override = (interval_override_reason or "").strip()
    too_soon = previous is not None and (visit.actual_date - previous.visit.actual_date).days < dosing.min_interval_days
    if too_soon and not override:
        raise Conflict(
            f"the previous infusion was on {previous.visit.actual_date}: the protocol needs at least "
            f"{dosing.min_interval_days} days between infusions",
            code="too_soon",
        )

    level = _drug_level(allocation, dosing.factor)
    mg_per_kg, dose = dose_for(protocol=protocol, level=level, weight_kg=weight)
    spec = protocol.dose_for(level)
    safety = dosing.safety
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

    with transaction.atomic(), audit.context(actor=actor, reason="infusion recorded"):
        Visit.objects.select_for_update().get(pk=visit.pk)
        if InfusionSession.objects.filter(visit=visit).exists():
            raise Conflict("this infusion is already recorded", code="duplicate")
        infusion = InfusionSession.objects.create(
            visit=visit,
            weight_kg=weight,
            mg_per_kg=mg_per_kg,
            dose_mg=dose,
            dose_mg_given=dose_mg_given,
            volume_ml=volume_ml,
            breath_alcohol=breath_alcohol,
            started_at=started_at,
            stopped_at=stopped_at,
            interruptions=interruptions,
            completed=completed,
            dissociation_score=dissociation_score,
            safety_flags=flags,
            interval_override_reason=override,
            recorded_by=actor,
        )
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
        deviations = []
        if dose_mg_given is not None and Decimal(str(dose_mg_given)).quantize(TWO_PLACES) != dose:
            deviations.append((DeviationKind.DOSE, "the dose given differs from the dose computed from the weight"))
        minutes = infusion.minutes
        tolerance = spec.infusion_minutes * dosing.duration_tolerance_percent / 100
        if completed and abs(minutes - spec.infusion_minutes) > tolerance:
            deviations.append(
                (
                    DeviationKind.DURATION,
                    f"the infusion lasted {minutes:.0f} min; the protocol's is {spec.infusion_minutes} min "
                    f"± {dosing.duration_tolerance_percent}%",
                )
            )
        if too_soon:
            deviations.append(
                (
                    DeviationKind.INTERVAL,
                    f"infused {(visit.actual_date - previous.visit.actual_date).days} days after the previous "
                    f"infusion (minimum {dosing.min_interval_days}): {override}",
                )
            )
        for kind, text in deviations:
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


# --- therapy and education sessions ----------------------------------------------------------------


def session_record(
    *, actor, appointment: Appointment, session_number: int, attended: bool, minutes: int, therapist=None
) -> TherapySession:
    """Record a therapy or education session at a visit whose event includes one; a session
    attended needs the visit attended (409 otherwise)."""
    _require(actor, appointment)
    participant = appointment.participant
    protocol = appointment_services.protocol_of(appointment)
    if protocol.therapy is None:
        raise Conflict("the protocol has no psychological sessions", code="no_sessions")
    event = next((e for e in protocol.schedule if e.code == appointment.event_code), None)
    if event is None or "psychological_session" not in event.procedures:
        raise Conflict("this appointment has no psychological session", code="not_a_session")
    visit = Visit.objects.filter(appointment=appointment).first()
    if visit is None:
        raise Conflict("record the visit before its session", code="no_visit")
    if attended and not visit.attended:
        raise Conflict("the visit was missed: its session cannot have been attended", code="visit_missed")
    allocation = appointment_services.allocation_of(participant)
    if allocation is None:
        raise Conflict("the participant is not randomised", code="not_randomised")
    level = blinding.arm_levels(allocation)[protocol.therapy.factor]
    programme = next(p for p in protocol.therapy.programmes if p.level == level)
    problems: dict[str, list[str]] = {}
    # The programmes look alike (the protocol requires it), so quoting the limits reveals nothing.
    if not (1 <= session_number <= programme.sessions):
        problems["session_number"] = [f"Give a session number from 1 to {programme.sessions}."]
    if not (0 <= minutes <= programme.minutes * 2):
        problems["minutes"] = [f"Give 0 to {programme.minutes * 2} minutes."]
    if attended and minutes == 0:
        problems["minutes"] = ["An attended session lasts more than 0 minutes."]
    if not attended and minutes:
        problems["minutes"] = ["A session not attended has 0 minutes."]
    if problems:
        raise Invalid("the session is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="session recorded"):
        Visit.objects.select_for_update().get(pk=visit.pk)
        if TherapySession.objects.filter(visit=visit).exists():
            raise Conflict("this session is already recorded", code="duplicate")
        if TherapySession.objects.filter(
            visit__appointment__participant=participant, session_number=session_number
        ).exists():
            raise Conflict(f"session {session_number} is already recorded for this participant", code="duplicate")
        return TherapySession.objects.create(
            visit=visit,
            session_number=session_number,
            attended=attended,
            minutes=minutes,
            therapist=therapist,
            recorded_by=actor,
        )
