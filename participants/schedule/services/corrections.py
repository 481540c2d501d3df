"""Correcting a recorded infusion or session after first entry, with a reason.

A trials unit corrects any value it entered (21 CFR 11.10(e)): the row is changed in place inside
an audit context that carries the reason, never deleted and entered again. A correction is checked
as the first entry was (the same ranges, dosing rules and preconditions, through the recording
services' own checks); a refusal writes nothing.

The automatic deviations an infusion records (a dose given that differs from the computed one, a
length outside the tolerance, an interval overridden) are brought in line with the corrected
values, kind by kind, as a corrected visit date treats its out-of-window candidate: when the
correction changes what a kind would say, a candidate not yet reviewed is closed as not important
(its cause is gone) or re-described (its cause remains), saying why; a candidate already reviewed
is left as the reviewer left it, and a new candidate is recorded if the cause remains. A kind the
correction does not touch is left alone, so a corrected volume raises no deviation twice.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core import audit
from core.errors import Conflict, Forbidden, Invalid
from participants import blinding
from participants.models import Deviation, InfusionSession, TherapySession, Visit, VitalSigns
from participants.schedule import selectors as schedule_selectors
from participants.schedule.services.infusions import (
    TWO_PLACES,
    VitalsReading,
    _deviations,
    _drug_level,
    _Entry,
    _previous_infusion,
    _too_soon,
    _validated,
    dose_for,
    safety_flags,
)
from participants.schedule.services.visits import ensure_may_record
from review import changes as review_changes

INFUSION_FIELDS = frozenset(f.name for f in dataclasses.fields(_Entry))
SESSION_FIELDS = frozenset({"session_number", "attended", "minutes", "therapist"})
NEEDS_A_REASON = "A change after first entry needs a reason."


# The infusion's own values a correction may change, as the review names them (its vitals apart).
INFUSION_ITEMS = (
    "weight_kg",
    "mg_per_kg",
    "dose_mg",
    "dose_mg_given",
    "volume_ml",
    "breath_alcohol",
    "started_at",
    "stopped_at",
    "interruptions",
    "completed",
    "dissociation_score",
    "safety_flags",
    "interval_override_reason",
)


def _refuse_unknown(changes: dict[str, Any], allowed: frozenset[str], reason: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = [NEEDS_A_REASON]
    for name in sorted(set(changes) - allowed):
        problems[name] = ["This field is not corrected here."]
    return problems


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _entry_of(infusion: InfusionSession) -> _Entry:
    """What was entered for ``infusion``, as recording it took it."""
    return _Entry(
        weight_kg=infusion.weight_kg,
        volume_ml=infusion.volume_ml,
        breath_alcohol=infusion.breath_alcohol,
        started_at=infusion.started_at,
        stopped_at=infusion.stopped_at,
        completed=infusion.completed,
        vitals=[
            VitalsReading(v.phase, v.minute, v.systolic, v.diastolic, v.heart_rate, v.spo2)
            for v in infusion.vitals.order_by("minute", "pk")
        ],
        interruptions=infusion.interruptions,
        dissociation_score=infusion.dissociation_score,
        dose_mg_given=infusion.dose_mg_given,
        interval_override_reason=infusion.interval_override_reason,
    )


def infusion_update(*, actor, infusion: InfusionSession, reason: str, **changes: Any) -> InfusionSession:
    """Correct the recorded fields of ``infusion`` (any of :func:`infusion_record`'s but the
    appointment: ``weight_kg``, ``volume_ml``, ``breath_alcohol``, ``started_at``, ``stopped_at``,
    ``completed``, ``vitals``, ``interruptions``, ``dissociation_score``, ``dose_mg_given``,
    ``interval_override_reason``), with a ``reason`` kept in the audit trail.

    The dose is computed again from a corrected weight and the safety flags from corrected vitals;
    ``vitals`` replaces the readings, each kept row changed in place (a surplus row is deleted, its
    deletion audited with the reason). Refused as at first entry: 400 naming each bad field (and a
    missing reason, or a field that is not the infusion's), 409 for breath alcohol above 0.00 or an
    interval too short without a clinician's reason, 409 for locked data, 403 for ``dose_mg_given``
    from one blind to the drug (whatever its value), and for their corrected weight once a dose
    given is recorded (the dose deviation would follow the level). Nothing changed writes nothing.
    """
    appointment = infusion.visit.appointment
    ensure_may_record(actor, appointment)
    participant = appointment.participant
    reason = (reason or "").strip()
    problems = _refuse_unknown(changes, INFUSION_FIELDS, reason)
    if problems:
        raise Invalid("the correction is not valid", fields=problems)
    protocol = schedule_selectors.protocol_of(appointment)
    dosing = protocol.dosing
    blind_to_the_drug = dosing.factor not in blinding.visible_for_participant(user=actor, participant=participant)
    if blind_to_the_drug and "dose_mg_given" in changes:
        raise Forbidden("only those who may see the study drug enter the dose given")
    if "interval_override_reason" in changes:
        changes["interval_override_reason"] = (changes["interval_override_reason"] or "").strip()
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = InfusionSession.objects.select_for_update().select_related("visit__appointment").get(pk=infusion.pk)
        visit = locked.visit
        before = _entry_of(locked)
        after = dataclasses.replace(before, **changes)
        if blind_to_the_drug and locked.dose_mg_given is not None and _number(after.weight_kg) != locked.weight_kg:
            # Whether the dose computed again still differs from the dose given follows the drug
            # level: the dose deviation it opens or closes would tell one blind to the drug which.
            raise Forbidden("a dose given is recorded: the weight is corrected by one who may see the study drug")
        weight = _validated(after, dosing, visit)
        previous = _previous_infusion(participant, visit)
        if Decimal(str(after.breath_alcohol)) > 0:
            raise Conflict("breath alcohol must be 0.00 on the day of an infusion", code="breath_alcohol")
        if _too_soon(dosing, visit, previous) and not after.interval_override_reason:
            raise Conflict(
                f"the previous infusion was on {previous.visit.actual_date}: the protocol needs at least "
                f"{dosing.min_interval_days} days between infusions",
                code="too_soon",
            )
        if after == before:
            return locked
        level = _drug_level(schedule_selectors.allocation_of(participant), dosing.factor)
        old_found = dict(_deviations(before, locked, protocol, level, locked.dose_mg, visit, previous))
        was = {name: getattr(locked, name) for name in INFUSION_ITEMS}
        _save_infusion(locked, after, weight=weight, protocol=protocol, level=level)
        _save_vitals(locked, before.vitals, after.vitals)
        items = {name for name in INFUSION_ITEMS if getattr(locked, name) != was[name]}
        if after.vitals != before.vitals:
            items.add(review_changes.CHILDREN)
        review_changes.corrected(obj=locked, items=items, actor=actor, reason=reason)
        new_found = dict(_deviations(after, locked, protocol, level, locked.dose_mg, visit, previous))
        _deviations_after_correction(locked, old_found, new_found, actor=actor, reason=reason)
    return locked


def _save_infusion(infusion: InfusionSession, entry: _Entry, *, weight: Decimal, protocol, level: str) -> None:
    mg_per_kg, dose = dose_for(protocol=protocol, level=level, weight_kg=weight)
    infusion.weight_kg, infusion.mg_per_kg, infusion.dose_mg = weight, mg_per_kg, dose
    given = entry.dose_mg_given
    infusion.dose_mg_given = None if given is None else Decimal(str(given)).quantize(TWO_PLACES)
    for name in ("volume_ml", "breath_alcohol", "started_at", "stopped_at", "completed", "interruptions"):
        setattr(infusion, name, getattr(entry, name))
    infusion.dissociation_score = entry.dissociation_score
    infusion.interval_override_reason = entry.interval_override_reason
    infusion.safety_flags = safety_flags(entry.vitals, protocol.dosing.safety)
    infusion.save()


def _save_vitals(infusion: InfusionSession, before: list[VitalsReading], after: list[VitalsReading]) -> None:
    """Readings changed in place by position; new ones added, those no longer given deleted."""
    if before == after:
        return
    rows = list(infusion.vitals.order_by("minute", "pk"))
    for row, reading in zip(rows, after, strict=False):
        if VitalsReading(row.phase, row.minute, row.systolic, row.diastolic, row.heart_rate, row.spo2) != reading:
            for name, value in dataclasses.asdict(reading).items():
                setattr(row, name, value)
            row.save()
    for row in rows[len(after) :]:
        row.delete()
    VitalSigns.objects.bulk_create(VitalSigns(infusion=infusion, **dataclasses.asdict(r)) for r in after[len(rows) :])


def _deviations_after_correction(infusion: InfusionSession, old: dict, new: dict, *, actor, reason: str) -> None:
    """Bring the infusion's automatic deviations in line with its corrected values (see the module)."""
    appointment = infusion.visit.appointment
    for kind in set(old) | set(new):
        if old.get(kind) == new.get(kind):
            continue
        candidate = Deviation.objects.filter(
            appointment=appointment, kind=kind, automatic=True, reviewed_at__isnull=True
        ).first()
        if candidate is not None and kind not in new:
            candidate.important = False
            candidate.review_note = f"Not a deviation: the infusion was corrected ({reason})."
            candidate.reviewed_by, candidate.reviewed_at = actor, timezone.now()
            candidate.save(update_fields=["important", "review_note", "reviewed_by", "reviewed_at"])
        elif candidate is not None:
            candidate.description = f"{appointment.event_code}: {new[kind]} (infusion corrected: {reason})"
            candidate.save(update_fields=["description"])
        elif kind in new:
            Deviation.objects.create(
                participant=appointment.participant,
                appointment=appointment,
                kind=kind,
                description=f"{appointment.event_code}: {new[kind]} (infusion corrected: {reason})",
                automatic=True,
                occurred_on=infusion.visit.actual_date,
                reported_by=actor,
            )


def session_update(*, actor, session: TherapySession, reason: str, **changes: Any) -> TherapySession:
    """Correct a recorded session: ``attended``, ``minutes``, ``session_number`` and ``therapist``
    (a user, or None), with a ``reason`` kept in the audit trail.

    Checked as at first entry against the participant's programme, which is never named: a session
    number from 1 to the programme's count and used once per participant, 0 minutes when not
    attended and more when attended, up to twice the programme's length (the programmes look alike,
    so the limits reveal nothing). Refused: 400 naming each field (a missing reason too), 409 for a
    session attended at a missed visit or locked data. Nothing changed writes nothing.
    """
    appointment = session.visit.appointment
    ensure_may_record(actor, appointment)
    participant = appointment.participant
    reason = (reason or "").strip()
    problems = _refuse_unknown(changes, SESSION_FIELDS, reason)
    if problems:
        raise Invalid("the correction is not valid", fields=problems)
    protocol = schedule_selectors.protocol_of(appointment)
    level = blinding.arm_levels(schedule_selectors.allocation_of(participant))[protocol.therapy.factor]
    programme = next(p for p in protocol.therapy.programmes if p.level == level)
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = TherapySession.objects.select_for_update().get(pk=session.pk)
        values = {name: changes.get(name, getattr(locked, name)) for name in SESSION_FIELDS}
        if "attended" in changes and "minutes" not in changes and not values["attended"]:
            values["minutes"] = 0  # a session not attended lasted no time
        number, attended, minutes = values["session_number"], values["attended"], values["minutes"]
        if not (1 <= number <= programme.sessions):
            problems["session_number"] = [f"Give a session number from 1 to {programme.sessions}."]
        elif (
            TherapySession.objects.filter(visit__appointment__participant=participant, session_number=number)
            .exclude(pk=locked.pk)
            .exists()
        ):
            problems["session_number"] = [f"Session {number} is already recorded for this participant."]
        if not (0 <= minutes <= programme.minutes * 2):
            problems["minutes"] = [f"Give 0 to {programme.minutes * 2} minutes."]
        elif attended and minutes == 0:
            problems["minutes"] = ["An attended session lasts more than 0 minutes."]
        elif not attended and minutes:
            problems["minutes"] = ["A session not attended has 0 minutes."]
        if problems:
            raise Invalid("the correction is not valid", fields=problems)
        if attended and not Visit.objects.filter(pk=locked.visit_id, attended=True).exists():
            raise Conflict("the visit was missed: its session cannot have been attended", code="visit_missed")
        changed = [name for name in SESSION_FIELDS if values[name] != getattr(locked, name)]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        locked.save(update_fields=changed)
        review_changes.corrected(obj=locked, items=changed, actor=actor, reason=reason)
    return locked
