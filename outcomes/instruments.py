"""Questionnaire instruments: their items, the scores each item allows, and how a total is made.

Totals are the sum of the item scores. When at most :data:`MAX_MISSING` items are unanswered the
total is prorated (sum × items / answered, rounded half up to 2 decimals); with more missing items
there is no total.

* ``bdi2``: Beck Depression Inventory-II, 21 items scored 0–3 (total 0–63).
* ``pacs``: Penn Alcohol Craving Scale, 5 items scored 0–6 (total 0–30).
* ``audit``: AUDIT, 10 items; items 1–8 scored 0–4, items 9 and 10 scored 0, 2 or 4 (total 0–40).
* ``cadss6``: the six-item Clinician-Administered Dissociative States Scale (CADSS-6), used at
  infusions, 6 items scored 0–4 (total 0–24).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

MAX_MISSING = 2


@dataclass(frozen=True)
class Instrument:
    code: str
    title: str
    scores: tuple[frozenset[int], ...]  # allowed scores of item 1, 2, ...

    @property
    def n_items(self) -> int:
        return len(self.scores)


def _same(n: int, low: int, high: int) -> tuple[frozenset[int], ...]:
    return tuple(frozenset(range(low, high + 1)) for _ in range(n))


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        Instrument("bdi2", "Beck Depression Inventory-II", _same(21, 0, 3)),
        Instrument("pacs", "Penn Alcohol Craving Scale", _same(5, 0, 6)),
        Instrument("audit", "Alcohol Use Disorders Identification Test", _same(8, 0, 4) + (frozenset({0, 2, 4}),) * 2),
        Instrument("cadss6", "Clinician-Administered Dissociative States Scale, 6 items", _same(6, 0, 4)),
    )
}


def check_items(instrument: Instrument, items: dict) -> tuple[dict[str, int | None], dict[str, list[str]]]:
    """Normalise ``{item number: score or None}`` (keys as text or numbers) and list every problem
    by path ``items.<n>``. Every item must be present; None means not answered."""
    problems: dict[str, list[str]] = {}
    clean: dict[str, int | None] = {}
    given = {str(k).strip(): v for k, v in (items or {}).items()}
    for key in sorted(set(given) - {str(n) for n in range(1, instrument.n_items + 1)}):
        problems[f"items.{key}"] = [f"{instrument.code} has items 1 to {instrument.n_items}."]
    for n, allowed in enumerate(instrument.scores, start=1):
        key = str(n)
        if key not in given:
            problems[f"items.{key}"] = ["Give a score, or null when the item was not answered."]
            continue
        value = given[key]
        if value is None:
            clean[key] = None
        elif isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
            problems[f"items.{key}"] = [f"Score one of {', '.join(str(s) for s in sorted(allowed))}."]
        else:
            clean[key] = value
    return clean, problems


def total(instrument: Instrument, items: dict[str, int | None]) -> tuple[Decimal | None, int, bool]:
    """``(total, missing items, prorated)``; the total is None with more than MAX_MISSING missing."""
    answered = [v for v in items.values() if v is not None]
    missing = instrument.n_items - len(answered)
    if missing > MAX_MISSING or not answered:
        return None, missing, False
    raw = Decimal(sum(answered))
    if missing == 0:
        return raw.quantize(Decimal("0.01")), 0, False
    prorated = raw * instrument.n_items / len(answered)
    return prorated.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), missing, True
