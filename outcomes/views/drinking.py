"""Page: the timeline follow-back calendar.

One input per day of the recall period, laid out as month grids with the marker days drawn on
them; the whole period is saved in one request through the service the API's drinking-days
endpoint uses (:func:`outcomes.services.drinking_days_record`), all or nothing. A recorded day
emptied is cleared back to missing, with the reason a changed day asks for. The page works as
a plain form; ``outcomes/tlfb.js`` makes it keyboard-first (see the keys on the page).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse

from core.errors import Conflict, Invalid
from core.missing import MissingCode
from core.web import refused, staff_page
from outcomes import selectors, services
from outcomes.models import Source
from outcomes.views.drinking_form import (
    NOT_REMEMBERED,
    DaysForm,
    MarkerForm,
    PeriodForm,
    day_field_name,
    marker_value,
    markers_from,
    month_grids,
    units_hint,
)
from participants.selectors import participant_get

TEMPLATE = "outcomes/drinking/calendar.html"


def _address(study_id: str, *, start: dt.date, end: dt.date, markers, trial: str | None) -> str:
    query = [("trial", trial)] if trial else []
    query += [("start", start.isoformat()), ("end", end.isoformat())]
    query += [("marker", marker_value(m)) for m in markers]
    return f"{reverse('web:drinking', args=[study_id])}?{urlencode(query)}"


@staff_page
def drinking(request, study_id: str):
    """The calendar of one participant at the user's sites (another site's is a 404). GET shows the
    period asked for (or the one proposed); POST saves every day typed in one request, and answers
    400 with each refusal next to its day when the service refuses any."""
    trial = request.GET.get("trial")
    participant = participant_get(user=request.user, study_id=study_id, trial_code=trial)
    data = request.POST if request.method == "POST" else request.GET
    bounds = selectors.recall_bounds(participant=participant)
    added = markers_from(data.getlist("marker"))
    marker_form = MarkerForm(request.GET if "marker_date" in request.GET else None)
    period_form = PeriodForm(
        data if "start" in data else None,
        earliest=bounds.earliest,
        today=bounds.today,
        initial={"start": bounds.start, "end": bounds.end},
    )
    start, end = bounds.start, bounds.end
    if period_form.is_bound and period_form.is_valid():
        start, end = period_form.cleaned_data["start"], period_form.cleaned_data["end"]
    if marker_form.is_bound and marker_form.is_valid() and not period_form.errors:
        added += markers_from([f"{marker_form.cleaned_data['marker_date']} {marker_form.cleaned_data['marker_label']}"])
        return redirect(_address(study_id, start=start, end=end, markers=added, trial=trial))
    calendar_ = selectors.drinking_calendar(participant=participant, bounds=bounds, start=start, end=end)
    markers = sorted((m for m in calendar_.markers + added if start <= m.day <= end), key=lambda m: m.day)
    bound = request.method == "POST" and not period_form.errors
    may_enter = selectors.may_enter_outcomes(user=request.user, participant=participant)
    form = DaysForm(request.POST if bound else None, calendar_=calendar_, markers=markers, readonly=not may_enter)
    status = 400 if period_form.errors or marker_form.errors else 200
    if bound and form.is_valid():
        entries = form.entries()
        if not form.errors:
            status = _save(request, form, participant=participant, entries=entries)
            if status == 200:
                cleared = f"; {len(form.cleared)} cleared back to missing" if form.cleared else ""
                messages.success(request, f"{len(entries)} days saved{cleared}, {start:%-d %B} to {end:%-d %B %Y}.")
                return redirect(_address(study_id, start=start, end=end, markers=added, trial=trial))
    if form.errors:
        status = max(status, 400)
    context = {
        "section": "participants",
        "participant": participant,
        "calendar": calendar_,
        "may_enter": may_enter,
        "form": form,
        "period_form": period_form,
        "marker_form": marker_form,
        "months": month_grids(form, markers),
        "markers": markers,
        "added": added,
        "trial": trial,
        "added_values": [marker_value(m) for m in added],
        "units_hint": units_hint(calendar_),
        "entered": sum(1 for d in calendar_.days if (form[day_field_name(d)].value() or "").strip()),
        "presets": _presets(bounds, calendar_.markers),
    }
    return render(request, TEMPLATE, context, status=status)


def _save(request, form: DaysForm, *, participant, entries) -> int:
    """Send the typed days to the service; on a refusal put each message next to its day (and the
    reason a change needs on the reason field) and answer the refusal's status."""
    days = [
        services.DayEntry(day=day, amount=None, unit=unit, missing=MissingCode.UNKNOWN)
        if amount == NOT_REMEMBERED
        else services.DayEntry(day=day, amount=amount, unit=unit)
        for day, amount, unit in entries
    ]
    try:
        services.drinking_days_record(
            actor=request.user,
            participant=participant,
            days=days,
            source=Source.TLFB,
            visit_code=form.cleaned_data["visit_code"],
            reason=form.cleaned_data["reason"],
            clear=form.cleared,
        )
    except (Invalid, Conflict) as error:
        names = {f"clear.{i}": day_field_name(day) for i, day in enumerate(form.cleared)}
        for i, (day, _amount, _unit) in enumerate(entries):
            for part in ("date", "amount", "unit", "reason", "missing"):
                names[f"days.{i}.{part}"] = day_field_name(day)
        refused(form, error, field_names=names)
        if any(path.endswith(".reason") for path in error.fields):
            form.add_error("reason", "Say why the recorded days change.")
        return error.status
    return 200


def _presets(bounds: selectors.RecallBounds, markers) -> list[tuple[str, list[tuple[str, dt.date, dt.date]]]]:
    """Periods a coordinator often asks for, grouped: the proposed one, the 28 and 90 days up to
    yesterday, and the 28 and 90 days before each visit already held (from the protocol's first
    day on)."""
    yesterday = bounds.today - dt.timedelta(days=1)
    first = bounds.earliest or yesterday

    def before(last: dt.date) -> list[tuple[str, dt.date, dt.date]]:
        return [(f"{n} days", max(first, last - dt.timedelta(days=n - 1)), last) for n in (28, 90)]

    out = [
        ("Since the last recorded day", [(f"{(bounds.end - bounds.start).days + 1} days", bounds.start, bounds.end)]),
        ("Up to yesterday", before(yesterday)),
    ]
    for marker in markers:
        if marker.kind != "randomisation" and first < marker.day <= bounds.today and "(booked)" not in marker.label:
            code = marker.label.split(" ")[0]
            out.append((f"Before {code} ({marker.day:%-d %b})", before(marker.day - dt.timedelta(days=1))))
    return out


page_patterns = [
    path("participants/<str:study_id>/drinking/", drinking, name="drinking"),
]
