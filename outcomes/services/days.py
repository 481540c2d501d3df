"""A day of drinking as entered, and the checks every way of recording one shares.

Staff entry (:func:`outcomes.services.drinking_days_record`), the participant's own diary
(:func:`outcomes.services.diary_days_record`) and the import of earlier days
(:func:`outcomes.services.drinking_days_import`) all turn an amount in a unit into grams of ethanol
and refuse a day through :func:`check_day`. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core import missing as reasons
from core.clock import study_day
from core.errors import Conflict
from outcomes.models import Source, Unit
from participants.guards import anchor_date
from participants.models import Participant

UNIT_GRAMS = {Unit.GRAMS: Decimal(1), Unit.UK_UNIT: Decimal(8), Unit.US_DRINK: Decimal(14)}
SELF_REPORT = (Source.TLFB, Source.DIARY)
CENT = Decimal("0.01")

# check_day's wording of a bad amount, for a caller that words it again for participants.
NOT_A_NUMBER = "Give a number."
NEGATIVE = "The amount cannot be negative."
TOO_PRECISE = "Give at most 2 decimals."
AMOUNT_AND_REASON = "Give an amount or a reason there is none, not both."


def unit_grams(unit: str, protocol) -> Decimal | None:
    """Grams of ethanol in one ``unit``: the protocol's own unit by its factor, else the standard."""
    if unit == protocol.outcomes.unit.code:
        return protocol.outcomes.unit.grams
    return UNIT_GRAMS.get(unit)


@dataclass(frozen=True)
class DayEntry:
    """One day of drinking as entered: an amount in a unit, or none and ``missing``, the reason
    there is none (:class:`core.missing.MissingCode`: ``unknown`` for a day the participant cannot
    remember), with a ``note``. ``reason`` is why a recorded day changes."""

    day: dt.date
    amount: Decimal | None
    unit: str
    reason: str = ""
    missing: str = ""
    note: str = ""

    def missing_entry(self) -> dict:
        """What the record keeps in its ``missing`` column for this entry."""
        return {"amount": reasons.entry(self.missing, self.note)} if self.missing else {}


def randomisation_anchor(participant: Participant) -> dt.date:
    """The date drinking days are counted from; refuses (409, ``no_anchor``) a participant who is
    not randomised."""
    anchor = anchor_date(participant)
    if anchor is None:
        raise Conflict(
            "the participant is not randomised: drinking days are counted from randomisation", code="no_anchor"
        )
    return anchor


def check_day(
    *,
    participant: Participant,
    protocol,
    anchor: dt.date,
    today: dt.date,
    day,
    amount,
    unit,
    source: str,
    missing: str = "",
    note: str = "",
) -> tuple[Decimal | None, dict[str, list[str]]]:
    """Grams for one day as entered, and its problems by field (``day``, ``amount``, ``unit``,
    ``source``, ``missing``; ``date`` for the day). Refused: a future day, a day before the
    protocol's look-back, an amount that is negative or not a number, a unit the protocol does not
    know, more than the plausible maximum, a reason for no amount that is not one of
    :class:`core.missing.MissingCode` or comes with an amount.

    A day given with ``missing`` instead of an amount has no grams: ``(None, {})`` when it is valid,
    so a caller tells it from a refused day by the problems, not by the grams."""
    outcomes = protocol.outcomes
    problems: dict[str, list[str]] = {}
    if source not in Source.values:
        problems["source"] = [f"Choose one of: {', '.join(Source.values)}."]
    if not isinstance(day, dt.date):
        problems["date"] = ["Give a date as YYYY-MM-DD."]
    elif day > today:
        problems["date"] = ["The date cannot be in the future."]
    elif study_day(anchor, day) < -outcomes.baseline_lookback_days:
        first = anchor - dt.timedelta(days=outcomes.baseline_lookback_days)
        problems["date"] = [
            f"The protocol looks back {outcomes.baseline_lookback_days} days before randomisation: "
            f"the first day is {first}."
        ]
    if unit not in outcomes.units_known or unit_grams(unit, protocol) is None:
        problems["unit"] = [f"Choose one of: {', '.join(outcomes.units_known)}."]
    if missing:
        if amount is not None and str(amount).strip() != "":
            problems["amount"] = [AMOUNT_AND_REASON]
        if wrong := reasons.entry_problems(missing, note):
            problems["missing"] = wrong
        return None, problems
    try:
        value = Decimal(str(amount).strip())
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems["amount"] = [NOT_A_NUMBER]
        return None, problems
    if value < 0:
        problems["amount"] = [NEGATIVE]
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        problems.setdefault("amount", []).append(TOO_PRECISE)
    if "unit" in problems or "amount" in problems:
        return None, problems
    grams = (value * unit_grams(unit, protocol)).quantize(CENT, rounding=ROUND_HALF_UP)
    if grams > outcomes.max_grams_per_day:
        limit = outcomes.max_grams_per_day
        problems["amount"] = [f"{grams} g is more than the protocol's plausible maximum ({limit} g)."]
        return None, problems
    return grams, problems


def check_days(
    *, participant: Participant, protocol, anchor: dt.date, today: dt.date, days: list[DayEntry], source: str
) -> tuple[list[tuple[int, DayEntry, Decimal | None]], dict[str, list[str]]]:
    """Each day through :func:`check_day`, plus: at least one day, no date twice. Returns the good
    days (their index, the entry, its grams: None for a day given with a reason instead of an
    amount) and the problems by ``days.<i>.<field>``."""
    problems: dict[str, list[str]] = {}
    if not days:
        problems["days"] = ["Give at least one day."]
    checked: list[tuple[int, DayEntry, Decimal | None]] = []
    seen: dict[dt.date, int] = {}
    for i, entry in enumerate(days):
        grams, day_problems = check_day(
            participant=participant,
            protocol=protocol,
            anchor=anchor,
            today=today,
            day=entry.day,
            amount=entry.amount,
            unit=entry.unit,
            source=source,
            missing=entry.missing,
            note=entry.note,
        )
        if "source" in day_problems:
            problems["source"] = day_problems.pop("source")
        if entry.day in seen:
            day_problems.setdefault("date", []).append(f"{entry.day} is also given as day {seen[entry.day]}.")
        seen.setdefault(entry.day, i)
        for name, messages in day_problems.items():
            problems[f"days.{i}.{name}"] = messages
        if not day_problems:
            checked.append((i, entry, grams))
    return checked, problems
