"""The calendar's forms and grid: the period, the marker days the coordinator adds, and one input
per day of the period, laid out as month grids (Monday first).

An amount is typed as a number in the protocol's own unit (a UK unit in KARE), or with a letter
after it for another unit the protocol knows: ``24g`` is 24 grams of ethanol, ``2d`` two US
standard drinks. The drinking days service checks the amounts themselves; this module only reads
the letter.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms

from core.web import DateInput, ManyTextInput, ReasonField
from outcomes.selectors import CALENDAR_MAX_DAYS, DrinkingCalendar, Marker

# The letter typed after an amount for each unit; a unit without a letter here is typed by its code.
UNIT_LETTERS = {"g": "g", "uk_unit": "u", "us_drink": "d"}
UNIT_NAMES = {"g": "grams of ethanol", "uk_unit": "UK units (8 g)", "us_drink": "US standard drinks (14 g)"}
_AMOUNT = re.compile(r"^\s*(?P<number>[^a-zA-Z\s]*)\s*(?P<unit>[a-zA-Z_]*)\s*$")
FIELD_PREFIX = "day-"


def unit_letter(unit: str) -> str:
    return UNIT_LETTERS.get(unit, unit)


def unit_for_letter(letter: str, *, default: str, units: tuple[str, ...]) -> str | None:
    """The unit a typed letter names (no letter: the protocol's own), or None for an unknown one."""
    letter = letter.strip().lower()
    if not letter:
        return default
    for unit in units:
        if letter in (unit.lower(), unit_letter(unit)):
            return unit
    return None


# What the calendar shows and takes for a day the participant cannot remember (recorded as unknown).
NOT_REMEMBERED = "?"


def amount_text(amount: Decimal | None, unit: str, *, default: str) -> str:
    """An amount as the calendar shows and takes it back: ``3``, ``1.5``, ``24g``; ``?`` for a day
    recorded without an amount (not remembered)."""
    if amount is None:
        return NOT_REMEMBERED
    number = format(amount.normalize(), "f")
    return number if unit == default else f"{number}{unit_letter(unit)}"


def units_hint(calendar_: DrinkingCalendar) -> str:
    """How to type each unit, e.g. ``3 = 3 UK units (8 g); 24g = grams of ethanol``."""
    parts = [f"a number alone is in {UNIT_NAMES.get(calendar_.unit, calendar_.unit)}"]
    for unit in calendar_.units:
        if unit != calendar_.unit:
            parts.append(f"add {unit_letter(unit)} for {UNIT_NAMES.get(unit, unit)}")
    return "; ".join(parts)


def day_field_name(day: dt.date) -> str:
    return f"{FIELD_PREFIX}{day.isoformat()}"


def long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


class PeriodForm(forms.Form):
    """The recall period; checked against what the protocol lets a recall reach."""

    start = forms.DateField(label="First day", widget=DateInput)
    end = forms.DateField(label="Last day", widget=DateInput)

    def __init__(self, *args, earliest: dt.date | None, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.earliest, self.today = earliest, today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "The last day comes before the first.")
            elif (end - start).days + 1 > CALENDAR_MAX_DAYS:
                self.add_error("start", f"Choose at most {CALENDAR_MAX_DAYS} days.")
        if end and end > self.today:
            self.add_error("end", "The last day cannot be in the future.")
        if start and self.earliest and start < self.earliest:
            self.add_error("start", f"The protocol's recall reaches back to {self.earliest:%-d %B %Y}.")
        return data


class MarkerForm(forms.Form):
    """A marker day the coordinator adds for this interview (a holiday, a birthday): kept in the
    page's address, never saved."""

    marker_date = forms.DateField(label="Date", widget=DateInput)
    marker_label = forms.CharField(label="What happened", max_length=60)


def markers_from(values: list[str]) -> list[Marker]:
    """The coordinator's markers from the page's address (``YYYY-MM-DD label``); bad ones are dropped."""
    out = []
    for value in values[:50]:
        day, _, label = value.partition(" ")
        try:
            out.append(Marker(day=dt.date.fromisoformat(day), label=label.strip()[:60] or "Marker", kind="holiday"))
        except ValueError:
            continue
    return out


def marker_value(marker: Marker) -> str:
    return f"{marker.day.isoformat()} {marker.label}"


class DaysForm(forms.Form):
    """One text input per day of the period (labelled with its date), the visit the recall belongs
    to, and the reason recorded days change (asked only when one does)."""

    visit_code = forms.ChoiceField(label="Recall taken at", required=False)
    reason = ReasonField(
        required=False,
        label="Reason for changing recorded days",
        help_text="Needed only when you change a day already recorded: kept in the audit trail with your name.",
    )

    def __init__(self, *args, calendar_: DrinkingCalendar, markers: list[Marker], readonly: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar_
        self.fields["visit_code"].choices = [("", "No particular visit")] + [(c, c) for c in calendar_.visit_codes]
        by_day: dict[dt.date, list[str]] = {}
        for marker in markers:
            by_day.setdefault(marker.day, []).append(marker.label)
        for day in calendar_.days:
            record = calendar_.records.get(day)
            saved = amount_text(record.amount, record.unit, default=calendar_.unit) if record else ""
            notes = list(by_day.get(day, []))
            notes += [
                f"{r.get_source_display()}: {amount_text(r.amount, r.unit, default=calendar_.unit)}"
                for r in calendar_.others.get(day, [])
            ]
            self.fields[day_field_name(day)] = forms.CharField(
                label=long_date(day),
                required=False,
                max_length=20,
                initial=saved,
                help_text="; ".join(notes),
                widget=ManyTextInput(
                    attrs={
                        "class": "tlfb-amount",
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "data-day": day.isoformat(),
                        "data-saved": saved,
                        "data-weekday": day.isoweekday(),
                        **({"data-marker": "true"} if day in by_day else {}),
                        **({"readonly": True} if readonly else {}),
                    }
                ),
            )

    def entries(self) -> list[tuple[dt.date, str, str]]:
        """The days typed, in date order, as (day, amount as typed or ``?``, unit); adds an error on each day
        whose letter names no unit. The recorded days that were emptied go to ``cleared``: the
        service clears them back to missing, with the reason a change needs."""
        out = []
        self.cleared: list[dt.date] = []
        cal = self.calendar
        for day in cal.days:
            name = day_field_name(day)
            text = (self.cleaned_data.get(name) or "").strip()
            if not text:
                if day in cal.records:
                    self.cleared.append(day)
                continue
            if text == NOT_REMEMBERED:
                out.append((day, NOT_REMEMBERED, cal.unit))
                continue
            match = _AMOUNT.match(text)
            unit = unit_for_letter(match["unit"], default=cal.unit, units=cal.units) if match else None
            if unit is None:
                self.add_error(name, f"Type a number, then nothing or one of: {units_hint(cal)}.")
                continue
            out.append((day, match["number"].replace(",", "."), unit))
        return out


@dataclass
class Cell:
    day: dt.date | None
    field: forms.BoundField | None = None
    markers: list[Marker] = dataclasses.field(default_factory=list)
    state: str = "outside"  # outside, missing, unknown, abstinent, drinking, future


@dataclass
class Month:
    title: str
    weeks: list[list[Cell]]


def month_grids(form: DaysForm, markers: list[Marker]) -> list[Month]:
    """Every month the period touches, as its weeks that hold a day of the period, seven cells each
    (Monday first); days outside the period have no input."""
    cal = form.calendar
    by_day: dict[dt.date, list[Marker]] = {}
    for marker in markers:
        by_day.setdefault(marker.day, []).append(marker)
    months = []
    year, month = cal.start.year, cal.start.month
    while (year, month) <= (cal.end.year, cal.end.month):
        weeks = []
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            if week[-1] < cal.start or week[0] > cal.end:
                continue  # a week wholly outside the period
            row = []
            for day in week:
                if day.month != month:
                    row.append(Cell(day=None))
                elif cal.start <= day <= cal.end:
                    bound = form[day_field_name(day)]
                    row.append(Cell(day=day, field=bound, markers=by_day.get(day, []), state=_state(bound.value())))
                else:
                    row.append(Cell(day=day, markers=by_day.get(day, [])))
            weeks.append(row)
        months.append(Month(title=f"{dt.date(year, month, 1):%B %Y}", weeks=weeks))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _state(value) -> str:
    text = (value or "").strip()
    if not text:
        return "missing"
    if text == NOT_REMEMBERED:
        return "unknown"
    match = _AMOUNT.match(text)
    try:
        return "abstinent" if match and Decimal(match["number"]) == 0 else "drinking"
    except ArithmeticError:
        return "drinking"
