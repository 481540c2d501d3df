"""The outcome records under review (data queries, verification, signatures), registered with
:mod:`review.records` when the app starts: a day of drinking, a biomarker sample and a
questionnaire. None of them holds a factor's level, so nothing of them is hidden. A day recalled
at an interview is corrected on the calendar, which a query on it links to; samples and
questionnaires are not corrected on a page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse, Source
from outcomes.selectors import recall_bounds
from participants.records import REASONS, may_enter_blind
from review.records import Item, Kind, register

AROUND = dt.timedelta(days=3)  # the days either side of a queried day that its calendar shows


def _day(value) -> str:
    return f"{value:%-d %b %Y}"


def _calendar(record: DrinkingRecord) -> str | None:
    """The calendar showing the day with the days around it, inside what a recall may reach; a
    day from another source than the interview is not corrected there."""
    if record.source != Source.TLFB:
        return None
    bounds = recall_bounds(participant=record.participant)
    start = max(record.day - AROUND, bounds.earliest or record.day)
    end = min(record.day + AROUND, bounds.today)
    period = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    return f"{reverse('web:drinking', args=[record.participant.study_id])}?{period}"


KINDS = (
    Kind(
        code="drinking_day",
        label="Drinking day",
        model=DrinkingRecord,
        participant="participant",
        items=(
            Item("day", "Day"),
            Item("source", "Source"),
            Item("amount", "Amount"),
            Item("unit", "Unit"),
            Item("grams", "Grams of alcohol"),
            Item("visit_code", "Recalled at"),
            REASONS,
        ),
        describe=lambda d: f"Drinking on {_day(d.day)} ({d.get_source_display().lower()})",
        critical=True,
        page=_calendar,
    ),
    Kind(
        code="biomarker",
        label="Biomarker sample",
        model=BiomarkerSample,
        participant="participant",
        items=(
            Item("kind", "Marker"),
            Item("taken_on", "Date taken"),
            Item("value", "Value"),
            Item("positive", "Positive"),
            Item("visit_code", "Visit"),
        ),
        describe=lambda b: f"{b.get_kind_display()} on {_day(b.taken_on)}",
    ),
    Kind(
        code="questionnaire",
        guard=may_enter_blind,
        label="Questionnaire",
        model=QuestionnaireResponse,
        participant="participant",
        items=(
            Item("instrument", "Instrument"),
            Item("administered_on", "Date"),
            Item("visit_code", "Visit"),
            Item("items", "Item scores", empty_ok=True),
            Item("missing_items", "Items not answered"),
            Item("total", "Total"),
            Item("prorated", "Total prorated"),
            REASONS,
        ),
        describe=lambda q: f"{q.instrument.upper()} on {_day(q.administered_on)}",
    ),
)


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
