"""What the dashboard shows, gathered from the apps' selectors in a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse

from outcomes.selectors import open_queries
from participants.safety.selectors import reporting_deadlines
from participants.schedule.due import due_at_sites
from reminders.selectors import worklist_entries
from trials.protocol.schedule import EventKind

SHOWN = 100
# the page on which an appointment of each kind is recorded
FORM_OF_KIND = {EventKind.INFUSION: "web:infusion-day", EventKind.THERAPY: "web:session"}


def form_of(kind: str) -> str:
    """The URL name of the page that records an appointment of ``kind``."""
    return FORM_OF_KIND.get(kind, "web:visit")


def booking_url(appointment_id: int) -> str:
    """The booking page of an appointment, returning to the dashboard once saved."""
    return f"{reverse('web:booking', args=[appointment_id])}?next=/"


def _links(row) -> tuple:
    """A row of appointments with the URLs of its form and of its booking page."""
    return row, reverse(form_of(row.appointment.kind), args=[row.appointment.pk]), booking_url(row.appointment.pk)


def rows(user, *, show_all: bool = False) -> dict:
    """The dashboard's panels for ``user``: appointments of today and this week (with names where the
    user may read them), follow-ups whose window closed, serious adverse event reports due, open data
    queries, reminders that failed and reschedule requests (each with its appointment's booking page).
    The appointment lists are ``(row, form URL, booking URL)``, in booking order (today's by time),
    at most ``SHOWN`` rows each unless ``show_all``."""
    due = due_at_sites(user=user, limit=None if show_all else SHOWN)
    entries = worklist_entries(user=user, kinds=frozenset({"failed", "reschedule"}), limit=None if show_all else SHOWN)
    shown = [_links(r) for r in due.this_week]
    return {
        "today": due.today,
        "today_rows": [row for row in shown if row[0].appointment.booked_date == row[0].today],
        "week_rows": [row for row in shown if row[0].appointment.booked_date != row[0].today],
        "week_total": due.this_week_total,
        "closed_total": due.closed_total,
        "shown": SHOWN,
        "closed_rows": [_links(r) for r in due.closed],
        "deadlines": reporting_deadlines(user=user),
        "queries": open_queries(user=user, limit=None if show_all else SHOWN),
        "failed": [e for e in entries if e["what"] == "failed"],
        "reschedule": [(e, booking_url(e["appointment_id"])) for e in entries if e["what"] == "reschedule"],
    }
