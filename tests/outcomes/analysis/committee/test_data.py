"""The committee reports read the trial as known at the data cut-off, and refuse a cut-off that cannot be."""

from __future__ import annotations

import datetime as dt

import pytest

from core.clock import today_at
from core.errors import Invalid
from outcomes.analysis.committee import NothingRandomised, cutoff_check
from outcomes.analysis.committee.data import load
from tests.outcomes.analysis.conftest import days_ago


def test_a_participant_randomised_after_the_cutoff_is_absent(small):
    data = load(small.trial, small.cutoff)
    assert set(data.participants["study_id"]) == {small.a.study_id, small.b.study_id, small.c.study_id}
    assert small.late.study_id in set(load(small.trial, days_ago(1)).participants["study_id"])


def test_an_adverse_event_after_the_cutoff_is_absent(small):
    terms = set(load(small.trial, small.cutoff).adverse_events["term"])
    assert "late headache" not in terms
    assert "queasy" in terms
    assert "late headache" in set(load(small.trial, days_ago(1)).adverse_events["term"])


def test_a_withdrawal_after_the_cutoff_is_absent(small):
    reasons = set(load(small.trial, small.cutoff).withdrawals["reason"])
    assert reasons == {"fears the ketamine"}


def test_a_screening_after_the_cutoff_is_absent(small):
    data = load(small.trial, small.cutoff)
    # every screening, the late participant's too, was made 250 days ago: before the cut-off
    assert len(data.screenings) == 4
    assert len(load(small.trial, data.participants["allocated_on"].min() - dt.timedelta(days=31)).screenings) == 0


def _today(trial) -> dt.date:
    return max(today_at(site) for site in trial.sites.all())


def test_the_cutoff_defaults_to_today(small):
    assert cutoff_check(small.trial, None) == _today(small.trial)


def test_a_cutoff_in_the_future_is_refused(small):
    with pytest.raises(Invalid, match="future") as caught:
        cutoff_check(small.trial, _today(small.trial) + dt.timedelta(days=1))
    assert "cutoff" in caught.value.fields


def test_a_cutoff_before_the_first_randomisation_is_refused(small):
    first = small.a.allocation.allocated_on
    with pytest.raises(Invalid, match="before the trial's first randomisation"):
        cutoff_check(small.trial, first - dt.timedelta(days=1))
    assert cutoff_check(small.trial, first) == first


def test_a_trial_nobody_was_randomised_in_has_no_cutoff(kare):
    with pytest.raises(NothingRandomised, match="no randomised participants"):
        cutoff_check(kare, None)


def test_a_day_counts_as_the_endpoint_engine_counts_it_a_known_amount_winning_over_an_unknown(small):
    """KARE's priority puts the interview first; its day "not remembered" still counts as assessed
    when the diary gives an amount, as the endpoint engine counts it."""
    from outcomes import endpoints
    from outcomes.services import DayEntry, drinking_days_record

    first = small.a.allocation.allocated_on + dt.timedelta(days=1)
    days = [first + dt.timedelta(days=k) for k in range(3)]
    drinking_days_record(
        actor=small.coordinator,
        participant=small.a,
        days=[DayEntry(day=d, amount=None, unit="g", missing="unknown") for d in days],
        source="tlfb",
    )
    drinking_days_record(
        actor=small.coordinator, participant=small.a, days=[DayEntry(day=days[0], amount="0", unit="g")], source="diary"
    )
    data = load(small.trial, small.cutoff)
    mine = data.completeness[
        (data.completeness["participant_id"] == small.a.pk) & (data.completeness["window"] == "1-91")
    ]
    [engine] = [r for r in endpoints.compute(trial=small.trial, participant_ids=[small.a.pk]) if r.window == "1-91"]
    assert (engine.assessed_days, engine.unknown_days) == (1, 2)
    assert int(mine["assessed_days"].iloc[0]) == engine.assessed_days
