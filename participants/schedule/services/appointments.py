"""Appointments from the schedule: materialised at randomisation, re-dated along chains, booked
(date, time and place), cancelled, and amended with the protocol.

The target date of an event anchored on ``randomisation`` is the randomisation date plus ``day``;
of an event chained to an earlier one, the *actual* date of that event if it happened, else its
target, plus ``day``. The window is ``[target + before, target + after]``. When a chained event
happens, every event hanging on it (directly or further down the chain) that has not happened is
re-dated.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core import audit
from core.clock import today_at
from core.errors import Conflict, Invalid
from core.roles import ENTER_DATA
from participants import events
from participants.blinding import presenter
from participants.guards import ensure_date_between, ensure_may_enter_data, latest_booking, require_role
from participants.models import (
    PLACE_MAX_LENGTH,
    Allocation,
    Appointment,
    AppointmentStatus,
    Deviation,
    DeviationKind,
    Participant,
)
from participants.schedule.selectors import actual_dates, protocol_of
from trials.protocol import RANDOMISATION_ANCHOR, EventKind, Protocol

OPEN = (AppointmentStatus.SCHEDULED,)


def schedule_dates(
    protocol: Protocol, *, anchor_date: dt.date, actual: dict[str, dt.date] | None = None
) -> dict[str, tuple[dt.date, dt.date, dt.date]]:
    """``{event code: (target, window start, window end)}`` for the whole schedule.

    ``actual`` gives the dates events really happened on; chained events count from those.
    """
    actual = actual or {}
    dates: dict[str, tuple[dt.date, dt.date, dt.date]] = {}
    for event in protocol.schedule:
        if event.anchor == RANDOMISATION_ANCHOR:
            base = anchor_date
        else:
            base = actual.get(event.anchor) or dates[event.anchor][0]
        target = base + dt.timedelta(days=event.day)
        dates[event.code] = (
            target,
            target + dt.timedelta(days=event.window[0]),
            target + dt.timedelta(days=event.window[1]),
        )
    return dates


def appointments_materialise(*, participant: Participant, allocation: Allocation) -> list[Appointment]:
    """Create the participant's appointments from the schedule of the version in force on the
    randomisation date. Called inside the randomisation's transaction; an event of kind
    ``baseline`` already completed before randomisation is marked done."""
    version = participant.trial.version_on(allocation.allocated_on)
    protocol = version.protocol
    dates = schedule_dates(protocol, anchor_date=allocation.allocated_on)
    created = []
    for sequence, event in enumerate(protocol.schedule, start=1):
        target, start, end = dates[event.code]
        status = AppointmentStatus.SCHEDULED
        booked = target
        if event.kind in (EventKind.SCREENING, EventKind.BASELINE) and participant.baseline_completed_on is not None:
            status = AppointmentStatus.DONE
            booked = participant.baseline_completed_on
        created.append(
            Appointment(
                participant=participant,
                protocol_version=version,
                event_code=event.code,
                title=event.title,
                kind=event.kind.value,
                sequence=sequence,
                anchor=event.anchor,
                target_date=target,
                window_start=start,
                window_end=end,
                booked_date=booked,
                status=status,
            )
        )
    return Appointment.objects.bulk_create(created)


def appointments_redate(*, participant: Participant, happened: str | None = None) -> list[Appointment]:
    """Re-date every open scheduled appointment from the actual dates of the events before it.

    A booking that followed the old target moves with it; a booking made by hand stays, but the
    window moves. Returns the appointments that changed. Runs inside the caller's transaction.
    ``happened`` names the one event whose actual date just changed, when that is all that
    changed: if no event of the schedule is chained to it, nothing can move and nothing more is read.
    """
    appointments = list(
        Appointment.objects.select_for_update(of=("self",))
        .filter(participant=participant, unscheduled=False)
        .select_related("protocol_version")
        .defer("protocol_version__document")
        .order_by("sequence")
    )
    if not appointments:
        return []
    protocol = appointments[-1].protocol_version.protocol
    if happened is not None and happened not in {event.anchor for event in protocol.schedule}:
        return []
    allocation = Allocation.objects.filter(participant=participant).only("allocated_on").first()
    if allocation is None:
        return []
    changed = []
    dates = schedule_dates(protocol, anchor_date=allocation.allocated_on, actual=actual_dates(participant))
    for appointment in appointments:
        if appointment.status not in OPEN or appointment.event_code not in dates:
            continue
        target, start, end = dates[appointment.event_code]
        if (appointment.target_date, appointment.window_start, appointment.window_end) == (target, start, end):
            continue
        if appointment.booked_date == appointment.target_date:
            appointment.booked_date = target
        appointment.target_date, appointment.window_start, appointment.window_end = target, start, end
        appointment.save(update_fields=["target_date", "window_start", "window_end", "booked_date", "updated_at"])
        changed.append(appointment)
    return changed


def _require(actor, appointment: Appointment) -> None:
    require_role(actor, ENTER_DATA, site=appointment.participant.site, doing="manage appointments at this site")
    ensure_may_enter_data(appointment.participant)


class _Unchanged:
    """What a booking leaves as it was: the time or place not given."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = _Unchanged()
DEFAULT_REASON = "booked within the window"


def _place_problems(place: str, *, appointment: Appointment) -> list[str]:
    if len(place) > PLACE_MAX_LENGTH:
        return [f"Give at most {PLACE_MAX_LENGTH} characters."]
    if word := presenter.allocation_word_in(place, protocol=protocol_of(appointment)):
        return [
            f"A place is read by everyone at the site and may reach the participant: '{word}' names the "
            "allocation. Give a neutral place, such as the site's name or a room number."
        ]
    return []


def _deviation_recorded(appointment: Appointment, booked_date: dt.date) -> bool:
    kind = DeviationKind.RESCHEDULED_OUT_OF_WINDOW
    return Deviation.objects.filter(appointment=appointment, kind=kind, occurred_on=booked_date).exists()


def appointment_reschedule(
    *,
    actor,
    appointment: Appointment,
    booked_date: dt.date,
    booked_time: dt.time | _Unchanged | None = UNCHANGED,
    place: str | _Unchanged = UNCHANGED,
    reason: str = "",
) -> Appointment:
    """Book an open appointment: its date, and its time (in the site's time zone; None clears it) and
    place when given (what is not given stays as it was). Inside the window no reason is needed (the
    audit trail records "booked within the window" unless one is given), whether the booking is new
    or changes a saved one: booking is not clinical data. Outside the window a reason is required and a
    candidate protocol deviation is recorded (once per date booked). A place naming a level, drug or arm of the trial is
    refused, since everyone at the site reads it. Saving the booking answers the participant's
    requests to reschedule it (the coordinators' worklist lists only those made since the appointment
    last changed), even when nothing changed: the site has looked at it."""
    _require(actor, appointment)
    reason = (reason or "").strip()
    participant = appointment.participant
    ensure_date_between(booked_date, participant.enrolled_on, latest_booking(participant), field="booked_date")
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise Conflict(f"the appointment is {appointment.status}: it cannot be rescheduled", code="not_open")
    problems: dict[str, list[str]] = {}
    if not isinstance(place, _Unchanged):
        place = " ".join(place.split())
        if found := _place_problems(place, appointment=appointment):
            problems["place"] = found
    outside = not (appointment.window_start <= booked_date <= appointment.window_end)
    if outside and not reason:
        problems["reason"] = [
            f"A reason is needed outside the window {appointment.window_start} to {appointment.window_end}."
        ]
    if problems:
        message = "the date is outside the visit window" if list(problems) == ["reason"] else "the booking is not valid"
        raise Invalid(message, fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason or DEFAULT_REASON):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.SCHEDULED:
            raise Conflict(f"the appointment is {locked.status}: it cannot be rescheduled", code="not_open")
        locked.booked_date = booked_date
        if not isinstance(booked_time, _Unchanged):
            locked.booked_time = booked_time
        if not isinstance(place, _Unchanged):
            locked.place = place
        locked.save(update_fields=["booked_date", "booked_time", "place", "updated_at"])
        # a booking saved again on the same date (a replayed form, a new time) is one deviation
        if outside and not locked.unscheduled and not _deviation_recorded(locked, booked_date):
            Deviation.objects.create(
                participant=locked.participant,
                appointment=locked,
                kind=DeviationKind.RESCHEDULED_OUT_OF_WINDOW,
                description=(
                    f"{locked.event_code} booked on {booked_date}, outside its window "
                    f"{locked.window_start} to {locked.window_end}: {reason}"
                ),
                automatic=True,
                occurred_on=booked_date,
                reported_by=actor,
            )
        events.schedule_changed(participant=locked.participant, reason="appointment rescheduled")
    return locked


def appointment_cancel(*, actor, appointment: Appointment, reason: str) -> Appointment:
    """Cancel an open appointment, with a reason."""
    _require(actor, appointment)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("cancelling needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.SCHEDULED:
            raise Conflict(f"the appointment is {locked.status}: it cannot be cancelled", code="not_open")
        locked.status = AppointmentStatus.CANCELLED
        locked.note = reason
        locked.save(update_fields=["status", "note", "updated_at"])
        events.schedule_changed(participant=locked.participant, reason="appointment cancelled")
    return locked


def appointment_add_unscheduled(
    *, actor, participant: Participant, booked_date: dt.date, title: str, reason: str
) -> Appointment:
    """Add an unscheduled visit (e.g. for an adverse event), with a reason."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="add visits at this site")
    ensure_may_enter_data(participant)
    problems: dict[str, list[str]] = {}
    if not (title or "").strip():
        problems["title"] = ["This field is required."]
    if not (reason or "").strip():
        problems["reason"] = ["This field is required."]
    if booked_date < participant.enrolled_on:
        problems["booked_date"] = [f"The participant was enrolled on {participant.enrolled_on}."]
    elif booked_date > (latest := latest_booking(participant)):
        problems["booked_date"] = [f"Give a date from {participant.enrolled_on} to {latest}."]
    if problems:
        raise Invalid("the unscheduled visit is not valid", fields=problems)
    allocation = Allocation.objects.filter(participant=participant).first()
    if allocation is None:
        raise Conflict("the participant is not randomised", code="not_randomised")
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        # One at a time per participant: the code (U1, U2, ...) and the sequence are counted here.
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        count = Appointment.objects.filter(participant=participant, unscheduled=True).count()
        last = Appointment.objects.filter(participant=participant).order_by("-sequence").first()
        appointment = Appointment.objects.create(
            participant=participant,
            protocol_version=participant.trial.version_on(booked_date),
            event_code=f"U{count + 1}",
            title=title.strip(),
            kind="unscheduled",
            sequence=(last.sequence if last else 0) + 1,
            anchor="",
            target_date=booked_date,
            window_start=booked_date,
            window_end=booked_date,
            booked_date=booked_date,
            unscheduled=True,
            note=reason.strip(),
        )
        events.schedule_changed(participant=participant, reason="unscheduled visit added")
    return appointment


def appointments_apply_amendment(*, trial, actor=None, reason: str) -> int:
    """Bring open appointments of every randomised participant in line with the schedule now in
    force: events not yet past are re-dated and re-windowed, new events added, removed events
    cancelled. Events already done, missed or cancelled are left as they were. Returns how many
    appointments changed."""
    version = trial.version_on(today_at(trial.sites.first()) if trial.sites.exists() else None)
    changed = 0
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        for allocation in Allocation.objects.filter(participant__trial=trial).select_related("participant"):
            moved = _amend(allocation.participant, allocation=allocation, version=version)
            if moved:
                events.schedule_changed(participant=allocation.participant, reason=reason)
            changed += moved
    return changed


def _amend(participant: Participant, *, allocation: Allocation, version) -> int:
    """One participant's appointments brought in line with ``version``'s schedule; how many changed."""
    protocol = version.protocol
    existing = {
        a.event_code: a
        for a in Appointment.objects.select_for_update().filter(participant=participant, unscheduled=False)
    }
    dates = schedule_dates(protocol, anchor_date=allocation.allocated_on, actual=actual_dates(participant))
    changed = 0
    for sequence, event in enumerate(protocol.schedule, start=1):
        target, start, end = dates[event.code]
        new = {
            "protocol_version": version,
            "title": event.title,
            "kind": event.kind.value,
            "sequence": sequence,
            "anchor": event.anchor,
            "target_date": target,
            "window_start": start,
            "window_end": end,
        }
        appointment = existing.pop(event.code, None)
        if appointment is None:
            Appointment.objects.create(participant=participant, event_code=event.code, booked_date=target, **new)
            changed += 1
            continue
        if appointment.status not in OPEN:
            continue
        new["booked_date"] = target if appointment.booked_date == appointment.target_date else appointment.booked_date
        if any(getattr(appointment, k) != v for k, v in new.items()):
            for k, v in new.items():
                setattr(appointment, k, v)
            appointment.save()
            changed += 1
    for appointment in existing.values():
        if appointment.status in OPEN:
            appointment.status = AppointmentStatus.CANCELLED
            appointment.note = f"removed from the schedule by protocol version {version.number}"
            appointment.save(update_fields=["status", "note", "updated_at"])
            changed += 1
    return changed
