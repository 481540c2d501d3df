"""The database's endpoints against the plain Python reference under KARE's shipped settings, on random data
with gaps, biomarker samples and withdrawals (every other setting: test_endpoint_variants)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import date_of_study_day
from outcomes import endpoints
from tests.outcomes.endpoint_reference import ANCHOR, Person, drinker, load, observed, person, reference


@pytest.fixture
def staff(kare, make_user):
    return make_user("data_manager", kare)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(person, min_size=1, max_size=4))
def test_the_database_agrees_with_the_reference(kare, admin_user, staff, people):
    """KARE's shipped settings: relapse on the first heavy day, biomarkers and dropout not counted."""
    made = load(kare, admin=admin_user, staff=staff, people=people)
    outcomes = kare.version_on().protocol.outcomes
    rows = endpoints.compute(trial=kare, participant_ids=[p.pk for p in made])
    for participant, data in zip(made, people, strict=True):
        assert observed(rows, participant) == reference(data, outcomes)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(drinker, min_size=1, max_size=3))
def test_pda_and_percentage_of_drinking_days_make_100(kare, admin_user, staff, people):
    made = load(kare, admin=admin_user, staff=staff, people=people)
    for row in endpoints.compute(trial=kare, participant_ids=[p.pk for p in made]):
        if row.assessed_days == 0:
            assert (row.pda, row.phdd, row.ddd, row.grams_per_day, row.relapse) == (None,) * 5
            continue
        drinking = row.drinking_days * 100 / row.assessed_days
        assert abs(float(row.pda) + drinking - 100) <= 0.005 + 1e-9
        assert row.abstinent_days + row.drinking_days == row.assessed_days


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=drinker, removed=st.sets(st.integers(0, 59), max_size=30))
def test_missing_days_never_count_as_abstinent(kare, admin_user, staff, data, removed):
    """Dropping records makes days missing: the abstinent count can only fall with them."""
    fewer = {o: r for i, (o, r) in enumerate(sorted(data.days.items())) if i not in removed}
    full, partial = load(kare, admin=admin_user, staff=staff, people=[data, Person(data.sex, fewer)])
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


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=drinker, forgotten=st.sets(st.integers(0, 59), min_size=1, max_size=30))
def test_days_not_remembered_count_as_missing_and_apart(kare, admin_user, staff, data, forgotten):
    """A day recorded as not remembered weighs in every endpoint exactly as a day without a record
    (missing, never abstinent), and is counted in ``unknown_days``."""
    days = sorted(data.days.items())
    left_out = {o: r for i, (o, r) in enumerate(days) if i not in forgotten}
    unknown = {o: (dict.fromkeys(r) if i in forgotten else r) for i, (o, r) in enumerate(days)}
    gappy, not_known = load(
        kare, admin=admin_user, staff=staff, people=[Person(data.sex, left_out), Person(data.sex, unknown)]
    )
    rows = endpoints.compute(trial=kare, participant_ids=[gappy.pk, not_known.pk])
    a = observed(rows, gappy)
    b = observed(rows, not_known)
    assert [{**r, "unknown_days": 0} for r in a] == [{**r, "unknown_days": 0} for r in b]
    assert all(y["unknown_days"] >= x["unknown_days"] for x, y in zip(a, b, strict=True))
    assert b == reference(Person(data.sex, unknown), kare.version_on().protocol.outcomes)
