"""The database's endpoints against a plain Python reference, on random data with gaps."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import date_of_study_day, study_day
from outcomes import endpoints
from outcomes.services import drinking_days_import

ANCHOR = dt.date(2024, 1, 10)
IDS = itertools.count()
SOURCES = ("tlfb", "diary")

# A participant: sex and a map day offset (from the anchor) -> {source: grams}. Offsets cover the
# 90-day look-back, the window edges (days 1, 91, 92, 182) and beyond the last window.
grams = st.sampled_from([0, 0, 0, 1, 8, 40, 47.99, 48, 63.99, 64, 100, 200])
day_records = st.dictionaries(st.sampled_from(SOURCES), grams, min_size=1, max_size=2)
offsets = st.one_of(st.integers(-90, 200), st.sampled_from([-90, -1, 0, 1, 89, 90, 91, 92, 180, 181, 182]))
person = st.tuples(st.sampled_from("MF"), st.dictionaries(offsets, day_records, max_size=60))


def _q(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def reference(sex: str, days: dict[int, dict[str, float]], outcomes) -> list[dict]:
    """The endpoints, written plainly from the definitions (study days, no day 0)."""
    priority = [str(s) for s in outcomes.source_priority]
    chosen = {}
    for offset, by_source in days.items():
        source = min(by_source, key=priority.index)
        chosen[study_day(ANCHOR, ANCHOR + dt.timedelta(days=offset))] = Decimal(str(by_source[source]))
    heavy_at = outcomes.heavy_day_grams[sex]
    out = []
    for w in outcomes.windows:
        in_window = {d: g for d, g in chosen.items() if w.start <= d <= w.end}
        n = len(in_window)
        abstinent = sum(1 for g in in_window.values() if g == 0)
        heavy = sorted(d for d, g in in_window.items() if g >= heavy_at)
        drinks = sorted(d for d, g in in_window.items() if g > 0)
        total = sum(in_window.values(), Decimal(0))
        span = len([d for d in range(w.start, w.end + 1) if d != 0])
        late = [d for d in in_window if d >= w.start + outcomes.psnhdd_grace_days]
        out.append(
            {
                "assessed_days": n,
                "abstinent_days": abstinent,
                "drinking_days": n - abstinent,
                "heavy_days": len(heavy),
                "pda": _q(abstinent * 100 / n) if n else None,
                "phdd": _q(len(heavy) * 100 / n) if n else None,
                "ddd": _q(float(total) / len(drinks) / float(outcomes.unit.grams)) if drinks else None,
                "grams_per_day": _q(float(total) / n) if n else None,
                "first_drink_day": drinks[0] if drinks else None,
                "first_heavy_day": heavy[0] if heavy else None,
                "relapse": (1 if heavy else 0) if n else None,
                "relapse_day": heavy[0] if heavy else None,
                "psnhdd_responder": (not any(d in heavy for d in late)) if late else None,
                "completeness": _q(n * 100 / span),
            }
        )
    return out


def _load(trial, admin_user, people) -> list:
    from participants.randomisation.services import participant_import

    made = []
    rows = []
    for sex, days in people:
        study_id = f"H{next(IDS):05d}"
        made.append(
            participant_import(
                actor=admin_user,
                trial=trial,
                study_id=study_id,
                site_code="exeter",
                sex=sex,
                randomised_on=ANCHOR,
                levels={"drug": "placebo", "therapy": "education"},
            )
        )
        for offset, by_source in days.items():
            for source, amount in by_source.items():
                day = ANCHOR + dt.timedelta(days=offset)
                rows.append({"study_id": study_id, "date": day, "amount": str(amount), "unit": "g", "source": source})
    if rows:
        drinking_days_import(actor=admin_user, trial=trial, rows=rows)
    return made


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=4))
def test_the_database_agrees_with_the_reference(kare, admin_user, people):
    made = _load(kare, admin_user, people)
    outcomes = kare.version_on().protocol.outcomes
    rows = endpoints.compute(trial=kare, participant_ids=[p.pk for p in made])
    by_participant = {}
    for row in rows:
        by_participant.setdefault(row.participant_id, []).append(row)
    for participant, (sex, days) in zip(made, people, strict=True):
        got = [{k: getattr(r, k) for k in reference(sex, {}, outcomes)[0]} for r in by_participant[participant.pk]]
        assert got == reference(sex, days, outcomes)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=3))
def test_pda_and_percentage_of_drinking_days_make_100(kare, admin_user, people):
    made = _load(kare, admin_user, people)
    for row in endpoints.compute(trial=kare, participant_ids=[p.pk for p in made]):
        if row.assessed_days == 0:
            assert (row.pda, row.phdd, row.ddd, row.grams_per_day, row.relapse) == (None,) * 5
            continue
        drinking = row.drinking_days * 100 / row.assessed_days
        assert abs(float(row.pda) + drinking - 100) <= 0.005 + 1e-9
        assert row.abstinent_days + row.drinking_days == row.assessed_days


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(person=person, removed=st.sets(st.integers(0, 59), max_size=30))
def test_missing_days_never_count_as_abstinent(kare, admin_user, person, removed):
    """Dropping records makes days missing: the abstinent count can only fall with them."""
    sex, days = person
    fewer = {o: r for i, (o, r) in enumerate(sorted(days.items())) if i not in removed}
    full, partial = _load(kare, admin_user, [(sex, days), (sex, fewer)])
    rows = endpoints.compute(trial=kare, participant_ids=[full.pk, partial.pk])
    a = [r for r in rows if r.participant_id == full.pk]
    b = [r for r in rows if r.participant_id == partial.pk]
    for whole, gappy in zip(a, b, strict=True):
        missing = whole.assessed_days - gappy.assessed_days
        assert gappy.abstinent_days <= whole.abstinent_days
        assert whole.abstinent_days - gappy.abstinent_days <= missing
        assert gappy.days_in_window == whole.days_in_window


def test_study_days_skip_zero():
    assert date_of_study_day(ANCHOR, 1) == ANCHOR
    assert date_of_study_day(ANCHOR, -1) == ANCHOR - dt.timedelta(days=1)
    window = endpoints.windows_of(type("O", (), {"baseline_lookback_days": 0, "psnhdd_grace_days": 0, "windows": []})())
    assert window == []
