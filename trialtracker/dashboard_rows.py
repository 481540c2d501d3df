"""What the dashboard shows, gathered from the apps' selectors in a fixed number of queries.

An appointment's row is handed to the template with its links and dates already written
(:class:`Shown`): a table of two hundred rows would otherwise reverse two URLs and format three
dates per row in the template, which took half of the page's time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse

from core.errors import Forbidden
from core.web import url_filler
from participants.safety.selectors import coding_worklist, reporting_deadlines
from participants.schedule.due import DueRow, due_at_sites
from reminders.selectors import worklist_entries
from review.queries.selectors import answered_queries, open_queries
from trials.protocol.schedule import EventKind

SHOWN = 100
# the page on which an appointment of each kind is recorded
FORM_OF_KIND = {EventKind.INFUSION: "web:infusion-day", EventKind.THERAPY: "web:session"}


def form_of(kind: str) -> str:
    """The URL name of the page that records an appointment of ``kind``."""
    return FORM_OF_KIND.get(kind, "web:visit")


@dataclass(frozen=True)
class Shown:
    """One appointment row of the dashboard's tables, its links and dates written out."""

    row: DueRow
    url: str  # the form that records the appointment
    casebook: str  # the participant's casebook
    booking: str  # its booking page, returning to the dashboard
    booked: str  # "Mon 7 Dec"
    time: str  # "09:30", or "" when no time is booked
    window: str  # "3 Dec to 17 Dec"


def booking_url(appointment_id: int) -> str:
    """The booking page of an appointment, returning to the dashboard once saved."""
    return f"{reverse('web:booking', args=[appointment_id])}?next=/"


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b}"  # as the date filter's "j M" reads in English


def _shown(due_rows: list[DueRow]) -> list[Shown]:
    forms = {name: url_filler(name) for name in {*FORM_OF_KIND.values(), form_of("")}}
    casebook, booking = url_filler("web:casebook"), url_filler("web:booking")
    return [
        Shown(
            row=r,
            url=forms[form_of(a.kind)](a.pk),
            casebook=casebook(a.participant.study_id),
            booking=f"{booking(a.pk)}?next=/",  # as booking_url gives it, reversed once per table
            booked=f"{a.booked_date:%a} {_day(a.booked_date)}",
            time=f"{a.booked_time:%H:%M}" if a.booked_time else "",
            window=f"{_day(a.window_start)} to {_day(a.window_end)}",
        )
        for r in due_rows
        for a in [r.appointment]
    ]


def awaiting_coding(user) -> int | None:
    """How many adverse events await coding at the sites where ``user`` codes; None for one who
    codes nowhere (the panel is not shown)."""
    try:
        return coding_worklist(user=user).count()
    except Forbidden:
        return None


def rows(user, *, show_all: bool = False) -> dict:
    """The dashboard's panels for ``user``: appointments of today and this week (with names where the
    user may read them), follow-ups whose window closed, serious adverse event reports due, open data
    queries and the answered ones the user raised (to close or re-open), reminders that failed,
    reschedule requests (each with its appointment's booking page) and, for a data manager, the
    adverse events awaiting coding. The appointment lists are :class:`Shown` rows in booking order
    (today's by time), at most ``SHOWN`` rows each unless ``show_all``."""
    due = due_at_sites(user=user, limit=None if show_all else SHOWN)
    entries = worklist_entries(user=user, kinds=frozenset({"failed", "reschedule"}), limit=None if show_all else SHOWN)
    shown = _shown(due.this_week)
    return {
        "today": due.today,
        "today_rows": [s for s in shown if s.row.appointment.booked_date == s.row.today],
        "week_rows": [s for s in shown if s.row.appointment.booked_date != s.row.today],
        "week_total": due.this_week_total,
        "closed_total": due.closed_total,
        "shown": SHOWN,
        "closed_rows": _shown(due.closed),
        "deadlines": reporting_deadlines(user=user),
        "awaiting_coding": awaiting_coding(user),
        "queries": open_queries(user=user, limit=None if show_all else SHOWN),
        "answered_queries": answered_queries(user=user, limit=None if show_all else SHOWN),
        "failed": [e for e in entries if e["what"] == "failed"],
        "reschedule": [(e, booking_url(e["appointment_id"])) for e in entries if e["what"] == "reschedule"],
    }
