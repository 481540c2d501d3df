"""A plain Python reference for the drinking endpoints, the data it is checked on, and how that data is
recorded through the services.

:func:`reference` is written from the definitions (docs/outcomes.md, the endpoint module's docstring),
day by day in study days, with nothing shared with the SQL: every endpoint of every window, the relapse
rules and their biomarker and dropout events, the PSNHDD responder after the grace days, and the WHO
risk levels at baseline and in the window with their drop.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from hypothesis import strategies as st

from outcomes import endpoints

ANCHOR = dt.date(2024, 1, 10)
IDS = itertools.count()
SOURCES = ("tlfb", "diary")
STOPS_FOLLOW_UP = ("follow_up", "data_use")  # withdrawal scopes that end follow-up (a dropout)

# WHO risk drinking levels by mean grams per assessed day: the upper bound (inclusive) of the low,
# medium and high levels; above the last, very high; 0 g is abstinent.
WHO_UPPER = {"F": ((20, 1), (40, 2), (60, 3)), "M": ((40, 1), (60, 2), (100, 3))}

FIELDS = (
    "window",
    "window_start_day",
    "window_end_day",
    "days_in_window",
    "assessed_days",
    "abstinent_days",
    "drinking_days",
    "heavy_days",
    "total_grams",
    "pda",
    "phdd",
    "ddd",
    "grams_per_day",
    "first_drink_day",
    "first_heavy_day",
    "last_assessed_day",
    "first_positive_marker_day",
    "relapse",
    "relapse_day",
    "psnhdd_responder",
    "who_level_baseline",
    "who_level",
    "who_level_drop",
    "completeness",
    "unknown_days",
)


@dataclass
class Person:
    """A participant's data, by day offset from the anchor (0 = the anchor date, study day 1).

    ``days``: offset -> {source: grams, or None for a day recorded as not remembered};
    ``markers``: (offset, kind, value) biomarker samples;
    ``withdrawals``: scope -> offset of the withdrawal date.
    """

    sex: str
    days: dict[int, dict[str, Decimal | None]] = field(default_factory=dict)
    markers: list[tuple[int, str, Decimal | None]] = field(default_factory=list)
    withdrawals: dict[str, int] = field(default_factory=dict)


def _q(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def study_day_of(offset: int) -> int:
    """Study day of a day ``offset`` days after the anchor: the anchor is day 1, the day before -1."""
    return offset + 1 if offset >= 0 else offset


def offset_of(day: int) -> int:
    return day - 1 if day > 0 else day


def study_days(start: int, end: int) -> list[int]:
    """The study days from ``start`` to ``end``, in order; there is no day 0."""
    return [d for d in range(start, end + 1) if d != 0]


def who(mean: Fraction | None, sex: str) -> int | None:
    if mean is None:
        return None
    if mean == 0:
        return 0
    for upper, level in WHO_UPPER[sex]:
        if mean <= upper:
            return level
    return 4


def _mean(grams: list[Decimal]) -> Fraction | None:
    return sum((Fraction(g) for g in grams), Fraction(0)) / len(grams) if grams else None


def is_positive(kind: str, value: Decimal | None, markers) -> bool:
    """An objective marker of drinking: urine EtG at or above the cutoff, breath alcohol above it,
    any transdermal event."""
    if kind == "etg":
        return value >= markers.etg_cutoff_ng_ml
    if kind == "breath":
        return value > markers.breath_alcohol_cutoff
    return True


def reference(person: Person, outcomes) -> list[dict]:
    """The endpoints of ``person`` under the protocol's ``outcomes`` settings, window by window."""
    priority = [str(s) for s in outcomes.source_priority]
    chosen: dict[int, Decimal] = {}
    unknown: set[int] = set()  # days recorded, but with no amount from any counted source
    for offset, by_source in person.days.items():
        counted = [s for s in by_source if s in priority]
        known = [s for s in counted if by_source[s] is not None]
        if known:
            chosen[study_day_of(offset)] = Decimal(str(by_source[min(known, key=priority.index)]))
        elif counted:
            unknown.add(study_day_of(offset))
    heavy_at = outcomes.heavy_day_grams[person.sex]
    positive_days = sorted(
        study_day_of(offset) for offset, kind, value in person.markers if is_positive(kind, value, outcomes.biomarkers)
    )
    stopped = [study_day_of(o) for scope, o in person.withdrawals.items() if scope in STOPS_FOLLOW_UP]
    stop = min(stopped) if stopped else None

    baseline = None
    if outcomes.baseline_lookback_days > 0:
        lookback = study_days(-outcomes.baseline_lookback_days, -1)
        baseline = who(_mean([chosen[d] for d in lookback if d in chosen]), person.sex)

    out = []
    for w in outcomes.windows:
        span = study_days(w.start, w.end)
        assessed = [d for d in span if d in chosen]
        n = len(assessed)
        abstinent = [d for d in assessed if chosen[d] == 0]
        drinks = [d for d in assessed if chosen[d] > 0]
        heavy = [d for d in assessed if chosen[d] >= heavy_at]
        total = sum((chosen[d] for d in assessed), Decimal(0))
        markers = [d for d in positive_days if w.start <= d <= w.end]

        events = []
        relapse_days = drinks if outcomes.relapse.rule == "first_drinking_day" else heavy
        if relapse_days:
            events.append(relapse_days[0])
        if outcomes.relapse.biochemically_verified and markers:
            events.append(markers[0])
        if outcomes.relapse.dropout_counts_as_relapse and stop is not None and stop <= w.end:
            events.append(max(stop, w.start))

        after_grace = [d for d in span[outcomes.psnhdd_grace_days :] if d in chosen]
        level = who(_mean([chosen[d] for d in assessed]), person.sex)
        out.append(
            {
                "window": w.code,
                "window_start_day": w.start,
                "window_end_day": w.end,
                "days_in_window": len(span),
                "assessed_days": n,
                "abstinent_days": len(abstinent),
                "drinking_days": len(drinks),
                "heavy_days": len(heavy),
                "total_grams": total,
                "pda": _q(len(abstinent) * 100 / n) if n else None,
                "phdd": _q(len(heavy) * 100 / n) if n else None,
                "ddd": _q(float(total) / len(drinks) / float(outcomes.unit.grams)) if drinks else None,
                "grams_per_day": _q(float(total) / n) if n else None,
                "first_drink_day": drinks[0] if drinks else None,
                "first_heavy_day": heavy[0] if heavy else None,
                "last_assessed_day": assessed[-1] if assessed else None,
                "first_positive_marker_day": markers[0] if markers else None,
                "relapse": 1 if events else (0 if n else None),
                "relapse_day": min(events) if events else None,
                "psnhdd_responder": not any(chosen[d] >= heavy_at for d in after_grace) if after_grace else None,
                "who_level_baseline": baseline,
                "who_level": level,
                "who_level_drop": baseline - level if baseline is not None and level is not None else None,
                "completeness": _q(n * 100 / len(span)),
                "unknown_days": len([d for d in span if d in unknown]),
            }
        )
    return out


def observed(rows: list[endpoints.EndpointRow], participant) -> list[dict]:
    """The engine's rows of one participant, as the reference writes them."""
    return [{name: getattr(r, name) for name in FIELDS} for r in rows if r.participant_id == participant.pk]


# --- recording the data through the services ------------------------------------------------------


def load(trial, *, admin, staff, people: list[Person]) -> list:
    """Import the people (randomised on ANCHOR at the trial's first site, in its first arm) and their
    drinking days, then record their biomarker samples and withdrawals, all through the services."""
    from outcomes.services import biomarker_record, drinking_days_import
    from participants.enrolment.services import withdrawal_record
    from participants.randomisation.services import participant_import

    protocol = trial.version_on().protocol
    made, rows = [], []
    for person in people:
        study_id = f"H{next(IDS):05d}"
        made.append(
            participant_import(
                actor=admin,
                trial=trial,
                study_id=study_id,
                site_code=protocol.sites[0].code,
                sex=person.sex,
                randomised_on=ANCHOR,
                levels=protocol.arms[0].levels,
            )
        )
        for offset, by_source in person.days.items():
            day = ANCHOR + dt.timedelta(days=offset)
            for source, amount in by_source.items():
                row = {"study_id": study_id, "date": day, "unit": "g", "source": source}
                rows.append(
                    {**row, "amount": "", "missing": "unknown"} if amount is None else {**row, "amount": str(amount)}
                )
    if rows:
        drinking_days_import(actor=admin, trial=trial, rows=rows)
    for participant, person in zip(made, people, strict=True):
        for offset, kind, value in person.markers:
            taken_on = ANCHOR + dt.timedelta(days=offset)
            biomarker_record(actor=staff, participant=participant, kind=kind, taken_on=taken_on, value=value)
        for scope, offset in person.withdrawals.items():
            withdrawal_record(
                actor=staff,
                participant=participant,
                scope=scope,
                withdrawn_on=ANCHOR + dt.timedelta(days=offset),
                reason="left the study",
            )
    return made


def with_outcomes(protocol, **changes):
    """A copy of ``protocol`` whose outcome settings differ by ``changes`` (``relapse`` merged into the
    protocol's own), validated as a protocol file would be."""
    from trials.protocol import validate

    document = protocol.canonical()
    outcomes = dict(document["outcomes"])
    if "relapse" in changes:
        changes["relapse"] = {**outcomes["relapse"], **changes["relapse"]}
    outcomes.update(changes)
    return validate({**document, "outcomes": outcomes})


# --- strategies -----------------------------------------------------------------------------------

grams = st.sampled_from(["0", "0", "0", "1", "8", "40", "47.99", "48", "63.99", "64", "100", "200"]).map(Decimal)
# A day the participant could not remember: recorded, with no amount.
grams_or_unknown = st.one_of(grams, grams, grams, st.none())
day_records = st.dictionaries(st.sampled_from(SOURCES), grams_or_unknown, min_size=1, max_size=2)
# Offsets from the anchor: the 90-day look-back, the windows' edges (study days 1, 91, 92, 182) and beyond.
offsets = st.one_of(st.integers(-90, 200), st.sampled_from([-90, -1, 0, 1, 89, 90, 91, 92, 180, 181, 182]))
marker = st.one_of(
    st.tuples(st.just("etg"), st.sampled_from(["0", "99", "100", "499", "500", "1500"]).map(Decimal)),
    st.tuples(st.just("breath"), st.sampled_from(["0.00", "0.01", "0.35"]).map(Decimal)),
    st.tuples(st.just("transdermal"), st.none()),
)
markers = st.lists(st.tuples(offsets, marker).map(lambda m: (m[0], *m[1])), max_size=3)
# Withdrawals are dated on or after the anchor (the enrolment date of an imported participant).
withdrawal_offsets = st.one_of(st.integers(0, 200), st.sampled_from([0, 90, 91, 92, 181, 182, 183]))
withdrawals = st.dictionaries(st.sampled_from(["intervention", "follow_up", "data_use"]), withdrawal_offsets)
person = st.builds(
    Person,
    sex=st.sampled_from("MF"),
    days=st.dictionaries(offsets, day_records, max_size=60),
    markers=markers,
    withdrawals=withdrawals,
)
# Drinking days only: no biomarker sample, no withdrawal.
drinker = st.builds(Person, sex=st.sampled_from("MF"), days=st.dictionaries(offsets, day_records, max_size=60))
