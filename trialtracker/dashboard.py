"""The site dashboard at ``/``: what the signed-in person's sites should act on, each row one click
from its form. It reads only through the apps' selectors (appointments through the schedule's,
deadlines through safety's, reminders through the outbox's), so it shows nothing the API would not.
"""

from __future__ import annotations

from django.shortcuts import render

from core.web import staff_page
from review import panels as review_panels
from trialtracker import dashboard_rows


@staff_page
def dashboard(request):
    return render(
        request,
        "trialtracker/dashboard.html",
        {
            "section": "dashboard",
            **dashboard_rows.rows(request.user, show_all=request.GET.get("show") == "all"),
            **review_panels.dashboard(user=request.user),
        },
    )
