"""What the dashboard shows, gathered from the apps' selectors in a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse

from participants.safety.selectors import reporting_deadlines
from participants.schedule.due import due_at_sites
from reminders.selectors import worklist_entries
from review.queries.selectors import open_queries
from trials.protocol.schedule import EventKind

SHOWN = 100
# the page on which an appointment of each kind is recorded
FORM_OF_KIND = {EventKind.INFUSION: "web:infusion-day", EventKind.THERAPY: "web:session"}


def form_of(kind: str) -> str:
    """The URL name of the page that records an appointment of ``kind``."""
    return FORM_OF_KIND.get(kind, "web:visit")


def rows(user, *, show_all: bool = False) -> dict:
    """The dashboard's panels for ``user``: appointments of today and this week (with names where the
    user may read them), follow-ups whose window closed, serious adverse event reports due, open data
    queries, reminders that failed and reschedule requests. The appointment lists hold at most
    ``SHOWN`` rows each unless ``show_all``."""
    due = due_at_sites(user=user, limit=None if show_all else SHOWN)
    entries = worklist_entries(user=user, kinds=frozenset({"failed", "reschedule"}), limit=None if show_all else SHOWN)
    shown = [(r, reverse(form_of(r.appointment.kind), args=[r.appointment.pk])) for r in due.this_week]
    return {
        "today": due.today,
        "today_rows": [(r, url) for r, url in shown if r.appointment.booked_date == r.today],
        "week_rows": [(r, url) for r, url in shown if r.appointment.booked_date != r.today],
        "week_total": due.this_week_total,
        "closed_total": due.closed_total,
        "shown": SHOWN,
        "closed_rows": [(r, reverse(form_of(r.appointment.kind), args=[r.appointment.pk])) for r in due.closed],
        "deadlines": reporting_deadlines(user=user),
        "queries": open_queries(user=user, limit=None if show_all else SHOWN),
        "failed": [e for e in entries if e["what"] == "failed"],
        "reschedule": [e for e in entries if e["what"] == "reschedule"],
    }
