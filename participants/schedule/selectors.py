"""Reads of the schedule: an appointment at the user's sites, a participant's appointments, the
worklist, and what the services need to know about a participant's schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from core import permissions
from core.clock import today_at
from core.errors import Invalid, NotFound
from participants.models import (
    Allocation,
    Appointment,
    AppointmentStatus,
    InfusionSession,
    Participant,
    TherapySession,
)
from trials.models import ProtocolVersion, Site
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


def appointment_get(*, user, pk: int) -> Appointment:
    """An appointment of a participant at one of the user's sites, or a 404 that reveals nothing."""
    appointment = (
        Appointment.objects.filter(pk=pk, participant__site_id__in=permissions.site_ids(user))
        .select_related("participant__site", "participant__trial", "protocol_version")
        .first()
    )
    if appointment is None:
        raise NotFound("no such appointment")
    return appointment


def with_visits(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """Appointments with what their rows show: the participant's site, the visit and who saw them."""
    return appointments.select_related("participant__site", "visit__seen_by")


def appointment_shown(*, pk: int) -> Appointment:
    """An appointment read again after a write, with what its row shows."""
    return with_visits(Appointment.objects.filter(pk=pk)).get()


def appointments_of(*, participant: Participant) -> QuerySet[Appointment]:
    """The participant's schedule in its order, unscheduled visits among it by date."""
    return with_visits(participant.appointments.all()).order_by("sequence", "booked_date", "pk")


@dataclass(frozen=True)
class Worklist:
    today: dt.date
    appointments: QuerySet[Appointment]


def worklist(*, user, trial_code: str = "", site_code: str = "", due_before: str = "") -> Worklist:
    """Open appointments at the user's sites (of one trial or site when named) whose window starts
    by ``due_before`` (an ISO date; a week from today by default), the most overdue first.

    ``today`` is the earliest of the sites' dates, so that nothing due anywhere is left out.
    """
    sites = Site.objects.filter(pk__in=permissions.site_ids(user))
    if trial_code:
        sites = sites.filter(trial__code=trial_code)
    if site_code:
        sites = sites.filter(code=site_code)
    sites = list(sites)
    today = min((today_at(s) for s in sites), default=dt.date.today())
    until = today + dt.timedelta(days=7)
    if due_before:
        try:
            until = dt.date.fromisoformat(due_before)
        except ValueError:
            raise Invalid("not a date", fields={"due_before": ["Use the form YYYY-MM-DD."]}) from None
    appointments = Appointment.objects.filter(
        participant__site__in=sites, status=AppointmentStatus.SCHEDULED, window_start__lte=until
    ).order_by("window_end", "participant__study_id", "sequence")
    return Worklist(today=today, appointments=with_visits(appointments))


PLACES_OFFERED = 12


def places_at(*, site: Site) -> list[str]:
    """The places a booking at ``site`` offers: the site's name (the protocol gives sites a name and
    no address), then the places its appointments were booked at, the most recently booked first."""
    used = (
        Appointment.objects.filter(participant__site=site)
        .exclude(place="")
        .values("place")
        .annotate(last=Max("updated_at"))
        .order_by("-last", "place")
        .values_list("place", flat=True)[:PLACES_OFFERED]
    )
    return list(dict.fromkeys([site.name, *used]))


def infusion_get(*, appointment: Appointment) -> InfusionSession:
    """The infusion recorded at an appointment (already scoped), with what showing it needs."""
    infusion = (
        InfusionSession.objects.filter(visit__appointment=appointment)
        .select_related("visit__appointment__participant__allocation__arm", "visit__appointment__protocol_version")
        .prefetch_related("vitals")
        .first()
    )
    if infusion is None:
        raise NotFound("no infusion is recorded for this appointment")
    return infusion


def session_get(*, appointment: Appointment) -> TherapySession:
    """The session recorded at an appointment (already scoped), with who gave it."""
    session = (
        TherapySession.objects.filter(visit__appointment=appointment)
        .select_related("visit__appointment__participant", "therapist")
        .first()
    )
    if session is None:
        raise NotFound("no session is recorded for this appointment")
    return session


def infusion_of_participant(*, participant: Participant, appointment_id: int) -> InfusionSession | None:
    """The participant's infusion given at the appointment ``appointment_id``, if there is one."""
    return (
        InfusionSession.objects.filter(
            visit__appointment_id=appointment_id, visit__appointment__participant=participant
        )
        .select_related("visit__appointment")
        .first()
    )


def appointment_page(*, user, pk: int) -> Appointment:
    """An appointment at one of the user's sites with what its pages show in a fixed number of
    queries: the participant's site, trial and allocation, the protocol version, the visit with who
    saw them, its infusion and session. Another site's appointment is a 404 that reveals nothing."""
    appointment = (
        Appointment.objects.filter(pk=pk, participant__site_id__in=permissions.site_ids(user))
        .select_related(
            "participant__site",
            "participant__trial",
            "participant__allocation__arm",
            "protocol_version",
            "visit__seen_by",
            "visit__infusion",
            "visit__session",
        )
        .prefetch_related("participant__unblindings", "visit__infusion__vitals", "visit__infusion__adverse_events")
        .first()
    )
    if appointment is None:
        raise NotFound("no such appointment")
    return appointment


def has_session(appointment: Appointment) -> bool:
    """Whether the appointment's event includes a psychological session of the protocol's programme."""
    protocol = protocol_of(appointment)
    if protocol.therapy is None or appointment.unscheduled:
        return False
    event = next((e for e in protocol.schedule if e.code == appointment.event_code), None)
    return event is not None and "psychological_session" in event.procedures


def next_session_number(*, participant: Participant) -> int:
    """The number the participant's next session takes: one more than the sessions recorded."""
    return TherapySession.objects.filter(visit__appointment__participant=participant).count() + 1
