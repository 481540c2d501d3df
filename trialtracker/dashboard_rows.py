"""What the dashboard shows, gathered from the apps' selectors in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from participants.safety.selectors import reporting_deadlines
from participants.schedule.selectors import display_status, worklist
from reminders.selectors import worklist_entries


def rows(user) -> dict:
    """The dashboard's panels for ``user``: appointments of this week, follow-ups overdue, reminders
    that failed and reschedule requests, serious adverse event reporting deadlines."""
    work = worklist(user=user)
    week_end = work.today + dt.timedelta(days=7)
    appointments = [
        {"appointment": a, "status": display_status(a, work.today)}
        for a in work.appointments
        if a.window_start <= week_end and a.window_end >= work.today
    ]
    entries = worklist_entries(user=user)
    return {
        "today": work.today,
        "appointments": appointments,
        "overdue": [e for e in entries if e["what"] == "overdue"],
        "failed": [e for e in entries if e["what"] == "failed"],
        "reschedule": [e for e in entries if e["what"] == "reschedule"],
        "deadlines": reporting_deadlines(user=user),
    }
