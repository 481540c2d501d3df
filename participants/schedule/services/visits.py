"""Recording visits: attended or missed, and a date corrected with a reason.

An attended visit outside its window becomes a candidate protocol deviation; a date corrected into
its window closes that candidate, saying why.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core import audit
from core.clock import today_at
from core.errors import Conflict, Invalid
from core.roles import ENTER_DATA
from participants import events
from participants.guards import ensure_may_enter_data, require_role
from participants.models import (
    Appointment,
    AppointmentStatus,
    Deviation,
    DeviationKind,
    Visit,
)
from participants.schedule import selectors as schedule_selectors
from participants.schedule.services.appointments import appointments_redate
from review import changes as review_changes


def ensure_may_record(actor, appointment: Appointment) -> None:
    """Refuse one who may not enter data at the participant's site, or data that may not be entered."""
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
    ensure_may_record(actor, appointment)
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
            appointments_redate(participant=participant, happened=locked.event_code)
        # done: its reminders are cancelled; missed: the missed-visit reminders are planned
        events.schedule_changed(participant=participant, reason="visit recorded")
    return visit


def _deviation_if_out_of_window(appointment: Appointment, visit: Visit, actor) -> None:
    if appointment.unscheduled:
        return
    state = schedule_selectors.window_state(appointment, visit.actual_date)
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
    state = schedule_selectors.window_state(appointment, visit.actual_date)
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


def visit_update(*, actor, visit: Visit, actual_date: dt.date, reason: str, missed_reason: str | None = None) -> Visit:
    """Correct a visit after first entry: its date, and a missed visit's reason when
    ``missed_reason`` is given. A reason for the change is required and kept in the audit trail.

    Refused: no reason; a date as at first entry; a blank reason for missing the visit, or one
    given for a visit attended. Whether the participant attended is not changed here.
    """
    appointment = visit.appointment
    ensure_may_record(actor, appointment)
    reason = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = ["A change after first entry needs a reason."]
    _check_visit_date(appointment, actual_date, problems, exclude_pk=visit.pk)
    if missed_reason is not None:
        missed_reason = missed_reason.strip()
        if visit.attended and missed_reason:
            problems["missed_reason"] = ["The participant attended this visit."]
        elif not visit.attended and not missed_reason:
            problems["missed_reason"] = ["Say why the visit was missed."]
    if problems:
        raise Invalid("the change is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        changed = []
        if missed_reason and not locked.attended and locked.missed_reason != missed_reason:
            locked.missed_reason = missed_reason
            changed.append("missed_reason")
        redated = locked.actual_date != actual_date
        if redated:
            locked.actual_date = actual_date
            changed.append("actual_date")
        if not changed:
            return locked
        locked.save(update_fields=[*changed, "updated_at"])
        review_changes.corrected(obj=locked, items=changed, actor=actor, reason=reason)
        if not redated:
            return locked
        if locked.attended:
            _deviation_after_correction(appointment, locked, actor, reason)
        appointments_redate(participant=appointment.participant)
        events.schedule_changed(participant=appointment.participant, reason="visit date corrected")
    return locked
