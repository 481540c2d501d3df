"""Reads of outcomes, scoped to the user's sites, with factor levels only where blinding allows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, QuerySet

from core.clock import today_at
from core.errors import Forbidden
from core.roles import ENTER_DATA
from outcomes import endpoints
from outcomes.models import (
    BIOMARKER_CHECK,
    BiomarkerSample,
    DrinkingRecord,
    QuestionnaireResponse,
    Source,
    detection_days,
)
from participants.blinding import presenter
from participants.guards import anchor_date, require_blinded, require_role
from participants.models import AppointmentStatus, Participant
from participants.schedule.selectors import appointments_of
from participants.selectors import participants_visible
from review.queries.selectors import unfinished_record_ids


def drinking_records(*, participant: Participant) -> QuerySet[DrinkingRecord]:
    return DrinkingRecord.objects.filter(participant=participant).order_by("day", "source")


def biomarkers(*, participant: Participant) -> list[BiomarkerSample]:
    """The participant's samples by date, each with ``open_queries``: how many data queries of the
    biomarker check are still open or answered on the abstinent days it covers. Three queries."""
    samples = list(BiomarkerSample.objects.filter(participant=participant).order_by("taken_on", "pk"))
    queried = unfinished_record_ids(participant=participant, kind="drinking_day", check=BIOMARKER_CHECK)
    days = list(DrinkingRecord.objects.filter(pk__in=queried).values_list("day", flat=True))
    protocol = participant.trial.version_on().protocol if samples else None
    for sample in samples:
        first = sample.taken_on - dt.timedelta(days=detection_days(sample.kind, protocol))
        sample.open_queries = sum(1 for day in days if sample.positive and first <= day <= sample.taken_on)
    return samples


def questionnaires(*, participant: Participant) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(participant=participant).order_by("administered_on", "pk")


def visit_codes(*, participant: Participant) -> tuple[str, ...]:
    """The codes of the events of the participant's protocol schedule, in its order."""
    return tuple(event.code for event in participant.trial.version_on().protocol.schedule)


def may_enter_outcomes(*, user, participant: Participant) -> bool:
    """Whether ``user`` passes the role and blinding checks the outcome services make at the
    participant's site (a lock or a missing consent may still refuse a write)."""
    try:
        require_role(user, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
        require_blinded(user, trial=participant.trial, site=participant.site, doing="enter outcome data")
    except Forbidden:
        return False
    return True


def randomised_visible(*, user, trial) -> QuerySet[Participant]:
    """The trial's randomised participants at the user's sites, by study id."""
    return participants_visible(user=user).filter(trial=trial, allocation__isnull=False).order_by("study_id")


def _attach_levels(rows, *, user, trial) -> None:
    """Fill each row's ``levels`` with the factors ``user`` may see for that participant."""
    seen = presenter.levels_as_seen(user=user, trial=trial, participant_ids={r.participant_id for r in rows})
    for row in rows:
        row.levels = seen.get(row.participant_id, {})


def endpoints_for_participants(*, user, trial, participant_ids) -> list[endpoints.EndpointRow]:
    """Endpoint rows of the given participants (already scoped by the caller), with visible levels."""
    rows = endpoints.compute(trial=trial, participant_ids=participant_ids)
    _attach_levels(rows, user=user, trial=trial)
    return rows


# --- the timeline follow-back calendar ------------------------------------------------------------

# A period the calendar proposes by itself stops at this many days; one the coordinator chooses, at
# the longest below (a year and a day: the page holds one input per day).
CALENDAR_DEFAULT_DAYS = 90
CALENDAR_MAX_DAYS = 366


@dataclass(frozen=True)
class Marker:
    """A day the participant may remember by: a visit, an infusion, the randomisation."""

    day: dt.date
    label: str
    kind: str  # visit, infusion, randomisation


@dataclass(frozen=True)
class RecallBounds:
    """What a recall of one participant may cover: ``anchor`` is None before randomisation (no day
    can be recorded then), ``earliest`` the first day the protocol lets a recall reach, ``today``
    the participant's site's date, ``start``-``end`` the period the calendar proposes."""

    anchor: dt.date | None
    earliest: dt.date | None
    today: dt.date
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class DrinkingCalendar:
    """What the calendar of one participant shows: its period, the days recorded from ``source`` in
    it (``records``), the other sources' days (``others``, day to records), and the marker days of
    the whole schedule (the page draws those of the period)."""

    participant: Participant
    bounds: RecallBounds
    start: dt.date
    end: dt.date
    unit: str
    units: tuple[str, ...]
    records: dict[dt.date, DrinkingRecord]
    others: dict[dt.date, list[DrinkingRecord]]
    markers: list[Marker]
    visit_codes: tuple[str, ...]

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def recall_bounds(*, participant: Participant, source: str = Source.TLFB) -> RecallBounds:
    """The bounds of a recall, and the period the calendar proposes: from the day after the last
    day recorded from ``source`` (or the protocol's first day) up to yesterday, at most
    :data:`CALENDAR_DEFAULT_DAYS` days; the 28 days up to yesterday when nothing is missing since.
    Two queries."""
    today = today_at(participant.site)
    yesterday = today - dt.timedelta(days=1)
    anchor = anchor_date(participant)
    earliest = None
    if anchor is not None:
        lookback = participant.trial.version_on().protocol.outcomes.baseline_lookback_days
        earliest = anchor - dt.timedelta(days=lookback)
    first = earliest or yesterday
    last = DrinkingRecord.objects.filter(participant=participant, source=source).aggregate(last=Max("day"))["last"]
    start = max(first, last + dt.timedelta(days=1)) if last else first
    if start > yesterday:
        start = yesterday - dt.timedelta(days=27)
    start = min(max(start, yesterday - dt.timedelta(days=CALENDAR_DEFAULT_DAYS - 1), first), yesterday)
    return RecallBounds(anchor=anchor, earliest=earliest, today=today, start=start, end=yesterday)


def drinking_calendar(
    *, participant: Participant, bounds: RecallBounds, start: dt.date, end: dt.date, source: str = Source.TLFB
) -> DrinkingCalendar:
    """The calendar of ``participant`` (already scoped by the caller) from ``start`` to ``end``: a
    fixed number of queries however long their history or schedule is. Marker days are the
    randomisation, attended visits on their actual date and booked ones on their booked date
    (infusions marked as such); missed and cancelled visits mark nothing."""
    protocol = participant.trial.version_on().protocol
    records: dict[dt.date, DrinkingRecord] = {}
    others: dict[dt.date, list[DrinkingRecord]] = {}
    for record in drinking_records(participant=participant).filter(day__gte=start, day__lte=end):
        if record.source == source:
            records[record.day] = record
        else:
            others.setdefault(record.day, []).append(record)
    markers = [Marker(day=bounds.anchor, label="Randomised", kind="randomisation")] if bounds.anchor else []
    for appointment in appointments_of(participant=participant):
        visit = getattr(appointment, "visit", None)
        if appointment.status in (AppointmentStatus.MISSED, AppointmentStatus.CANCELLED):
            continue
        day = visit.actual_date if visit is not None and visit.attended else appointment.booked_date
        kind = "infusion" if appointment.kind == "infusion" else "visit"
        booked = "" if visit is not None else " (booked)"
        markers.append(Marker(day=day, label=f"{appointment.event_code} {appointment.title}{booked}", kind=kind))
    return DrinkingCalendar(
        participant=participant,
        bounds=bounds,
        start=start,
        end=end,
        unit=protocol.outcomes.unit.code,
        units=tuple(protocol.outcomes.units_known),
        records=records,
        others=others,
        markers=sorted(markers, key=lambda m: m.day),
        visit_codes=tuple(e.code for e in protocol.schedule),
    )
