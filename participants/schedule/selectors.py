"""Reads of the schedule: an appointment at the user's sites, a participant's appointments, the
worklist, and what the services need to know about a participant's schedule.
"""

from __future__ import annotations

import datetime as dt

from participants.models import (
    Allocation,
    Appointment,
    AppointmentStatus,
    Participant,
)
from trials.models import ProtocolVersion
from trials.protocol import Protocol


def protocol_of(appointment: Appointment) -> Protocol:
    """The protocol the appointment follows. The version is read without its document unless it is
    already loaded: versions are immutable and the parsed protocol is cached per process."""
    if Appointment.protocol_version.is_cached(appointment):
        return appointment.protocol_version.protocol
    return ProtocolVersion.objects.defer("document").get(pk=appointment.protocol_version_id).protocol


def allocation_of(participant: Participant) -> Allocation | None:
    """The participant's allocation, or None. An allocation never changes once made, so one already
    loaded with the participant (``select_related("allocation")``) is used as it is."""
    if Participant.allocation.is_cached(participant) and participant.allocation is not None:
        return participant.allocation
    return Allocation.objects.select_related("arm").filter(participant=participant).first()


def actual_dates(participant: Participant) -> dict[str, dt.date]:
    """Dates on which the participant's scheduled events really happened (attended visits)."""
    return dict(
        Appointment.objects.filter(participant=participant, unscheduled=False, visit__attended=True).values_list(
            "event_code", "visit__actual_date"
        )
    )


def display_status(appointment: Appointment, today: dt.date) -> str:
    """upcoming, due, overdue, done, missed or cancelled, as a coordinator reads them."""
    if appointment.status != AppointmentStatus.SCHEDULED:
        return appointment.status
    if today < appointment.window_start:
        return "upcoming"
    if today <= appointment.window_end:
        return "due"
    return "overdue"


def window_state(appointment: Appointment, day: dt.date | None) -> str:
    """Where ``day`` (the visit date, or the booking) falls: early, in_window or late."""
    day = day or appointment.booked_date
    if day < appointment.window_start:
        return "early"
    if day > appointment.window_end:
        return "late"
    return "in_window"
