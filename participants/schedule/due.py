"""What is due at the user's sites, as the dashboard lists it: one read feeding its panels.

A selector module like ``selectors.py``: appointments whose window is open or opens within the week,
or whose window has closed without a visit, with each participant's withdrawal (a participant
withdrawn from follow-up has nothing due; one withdrawn from the intervention has no infusion or
session due) and their name where the user's roles at that site may read identities. A fixed number
of queries whatever the size of the trial.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Q

from core import permissions
from core.clock import today_at
from core.roles import READ_IDENTITY
from participants.models import Appointment, AppointmentStatus, Identity, Withdrawal, WithdrawalScope
from trials.models import Site
from trials.protocol.schedule import EventKind

INTERVENTION_KINDS = frozenset({EventKind.INFUSION, EventKind.THERAPY})
SCOPE_WORDS = {
    WithdrawalScope.INTERVENTION: "withdrawn from the intervention",
    WithdrawalScope.FOLLOW_UP: "withdrawn from follow-up",
    WithdrawalScope.DATA_USE: "withdrawn from data use",
}
SCOPE_ORDER = [WithdrawalScope.INTERVENTION, WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE]


@dataclass(frozen=True)
class DueRow:
    appointment: Appointment
    state: str  # due, upcoming, window_closed, withdrawn
    label: str  # what the coordinator reads: "due", "opens 3 Mar", "window closed 2 Mar", "withdrawn from follow-up"
    name: str  # the participant's name, or "" where the user may not read it
    today: dt.date


@dataclass(frozen=True)
class Due:
    today: dt.date
    this_week: list[DueRow]
    closed: list[DueRow]
    this_week_total: int  # how many there are in all; the lists hold at most ``limit``
    closed_total: int


def _widest_scopes(participant_ids: set[int]) -> dict[int, str]:
    scopes: dict[int, str] = {}
    rows = Withdrawal.objects.filter(participant_id__in=participant_ids).values_list("participant_id", "scope")
    for pid, scope in rows:
        if pid not in scopes or SCOPE_ORDER.index(scope) > SCOPE_ORDER.index(scopes[pid]):
            scopes[pid] = scope
    return scopes


def _names(user, appointments: list[Appointment]) -> dict[int, str]:
    sites = {a.participant.site for a in appointments}
    readable = {s.pk for s in sites if permissions.has_role(user, READ_IDENTITY, site=s)}
    ids = {a.participant_id for a in appointments if a.participant.site_id in readable}
    return {
        i.participant_id: f"{i.first_name} {i.last_name}".strip()
        for i in Identity.objects.filter(participant_id__in=ids).only("participant_id", "first_name", "last_name")
    }


def _row(a: Appointment, today: dt.date, scope: str | None, name: str) -> DueRow:
    if scope and (scope != WithdrawalScope.INTERVENTION or a.kind in INTERVENTION_KINDS):
        return DueRow(a, "withdrawn", SCOPE_WORDS[WithdrawalScope(scope)], name, today)
    if a.window_end < today:
        return DueRow(a, "window_closed", f"window closed {a.window_end:%-d %b}", name, today)
    if a.window_start > today:
        return DueRow(a, "upcoming", f"window opens {a.window_start:%-d %b}", name, today)
    return DueRow(a, "due", "due today" if a.booked_date == today else "due", name, today)


def due_at_sites(*, user, days: int = 7, limit: int | None = 100) -> Due:
    """Open appointments at the user's sites: those whose window is open or opens within ``days``, or
    that are booked within them (in booking order: by date, then time, those without a time last),
    and those whose window closed without a visit (the oldest first); at most ``limit`` of each
    (None: all), with how many there are. Each site's own date decides what is due there."""
    sites = list(Site.objects.filter(pk__in=permissions.site_ids(user)))
    if not sites:
        return Due(today=dt.date.today(), this_week=[], closed=[], this_week_total=0, closed_total=0)
    todays = {s.pk: today_at(s) for s in sites}
    earliest, latest = min(todays.values()), max(todays.values())
    horizon = latest + dt.timedelta(days=days)
    scheduled = Appointment.objects.filter(participant__site__in=sites, status=AppointmentStatus.SCHEDULED)
    coming = scheduled.filter(Q(window_end__gte=earliest) | Q(booked_date__gte=earliest)).filter(
        Q(window_start__lte=horizon) | Q(booked_date__lte=horizon)
    )
    closed = scheduled.filter(window_end__lt=latest)
    by_id = {s.pk: s for s in sites}
    by_booking = ("booked_date", F("booked_time").asc(nulls_last=True), "participant__study_id", "sequence")
    coming_rows = _rows(user, coming.order_by(*by_booking), by_id, todays, limit)
    closed_rows = _rows(user, closed.order_by("window_end", "participant__study_id", "sequence"), by_id, todays, limit)
    return Due(
        today=earliest,
        this_week=[r for r in coming_rows if r.state != "window_closed"],
        closed=[r for r in closed_rows if r.state == "window_closed"],
        this_week_total=coming.count(),
        closed_total=closed.count(),
    )


def _rows(user, appointments, sites: dict[int, Site], todays: dict[int, dt.date], limit: int | None) -> list[DueRow]:
    # Open appointments have no visit yet; each row's site is one of the few already read.
    appointments = appointments.select_related("participant")
    found = list(appointments[:limit] if limit else appointments)
    for a in found:
        a.participant.site = sites[a.participant.site_id]
    scopes = _widest_scopes({a.participant_id for a in found})
    names = _names(user, found)
    rows = []
    for a in found:
        row = _row(a, todays[a.participant.site_id], scopes.get(a.participant_id), names.get(a.participant_id, ""))
        # a withdrawn participant's past visits are no one's work
        if row.state != "withdrawn" or a.window_end >= row.today or a.booked_date >= row.today:
            rows.append(row)
    return rows
