"""Multiple imputation, Rubin's rules, the tipping point and the multiplicity rule, on small frames
built here and the shipped protocol files (no database)."""

from __future__ import annotations

import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from outcomes.analysis import imputation, planned, stats
from tests.conftest import ROOT
from trials.protocol import load_file

KARE_OPTIONS = {"factors": ["drug", "therapy"], "interaction": True, "covariates": ("site", "sex")}


@pytest.fixture(scope="module")
def kare_protocol():
    return load_file(ROOT / "protocols" / "kare.yaml")


@pytest.fixture(scope="module")
def more_kare_protocol():
    return load_file(ROOT / "protocols" / "more-kare.yaml")


def kare_frame(protocol, *, per_arm: int = 20, seed: int = 4, missing_share: float = 0.25) -> pd.DataFrame:
    """One row per participant of KARE: PDA with a drug effect of 10, a baseline, site, sex; a share
    of the outcomes missing at random."""
    rng = random.Random(seed)
    rows = []
    for arm in protocol.arms:
        for i in range(per_arm):
            baseline = rng.uniform(20, 120)
            pda = 60 + 10 * (arm.levels["drug"] == "ketamine") - 0.1 * baseline + rng.gauss(0, 6)
            rows.append(
                {
                    "pda": None if rng.random() < missing_share else pda,
                    "baseline_grams_per_day": baseline,
                    "site": "exeter" if i % 2 else "london",
                    "sex": "M" if i % 3 else "F",
                    **arm.levels,
                }
            )
    return pd.DataFrame(rows).astype({"pda": float})


def impute(frame, protocol, seed: int, imputations: int = 5) -> imputation.Imputed:
    factors = stats.modelled_factors(protocol, KARE_OPTIONS["factors"])
    return imputation.impute(
        frame,
        outcome="pda",
        factors=factors,
        covariates=KARE_OPTIONS["covariates"],
        interaction=True,
        imputations=imputations,
        seed=seed,
    )


def numbers(model: stats.ModelResult) -> list[tuple]:
    return [(e.name, e.estimate, e.se, e.ci_low, e.ci_high, e.p) for e in model.estimates]


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(kare_protocol):
    frame = kare_frame(kare_protocol)
    state = np.random.get_state()[1].copy()
    first = imputation.pool(impute(frame, kare_protocol, seed=7), kare_protocol, **KARE_OPTIONS)
    again = imputation.pool(impute(frame, kare_protocol, seed=7), kare_protocol, **KARE_OPTIONS)
    other = imputation.pool(impute(frame, kare_protocol, seed=8), kare_protocol, **KARE_OPTIONS)
    assert first.estimates
    assert numbers(first) == numbers(again)
    assert numbers(first) != numbers(other)
    assert (np.random.get_state()[1] == state).all()  # numpy's global generator is left alone
    assert first.n == len(frame)  # every participant analysed, observed or imputed


def test_the_same_data_in_another_order_give_the_same_numbers(kare_protocol):
    """The rows are taken in the participants' order, not the order they arrive in (a study id
    drawn at random must not change the draws)."""
    frame = kare_frame(kare_protocol)
    frame.insert(0, "participant_id", range(1000, 1000 + len(frame)))
    shuffled = frame.sample(frac=1, random_state=11)
    assert list(shuffled["participant_id"]) != list(frame["participant_id"])
    first = imputation.pool(impute(frame, kare_protocol, seed=7), kare_protocol, **KARE_OPTIONS)
    again = imputation.pool(impute(shuffled, kare_protocol, seed=7), kare_protocol, **KARE_OPTIONS)
    assert numbers(first) == numbers(again)


def test_an_imputation_model_that_cannot_be_fitted_gives_a_note_not_a_failure(kare_protocol, monkeypatch):
    from statsmodels.imputation import mice

    def diverge(self, n_iter=1):
        raise np.linalg.LinAlgError("SVD did not converge")

    monkeypatch.setattr(mice.MICEData, "update_all", diverge)
    imputed = impute(kare_frame(kare_protocol), kare_protocol, seed=7)
    assert imputed.frames == []
    assert imputed.note == (
        "the imputation model could not be fitted to these data (LinAlgError: SVD did not converge)"
    )
    pooled = imputation.pool(imputed, kare_protocol, **KARE_OPTIONS)
    assert pooled.estimates == []
    assert "could not be fitted" in pooled.note
    assert imputation.tipping_point(imputed, kare_protocol, [-5], **KARE_OPTIONS) == []


def test_imputation_with_no_missing_outcome_equals_the_complete_case_analysis(kare_protocol):
    frame = kare_frame(kare_protocol, missing_share=0)
    pooled = imputation.pool(impute(frame, kare_protocol, seed=1), kare_protocol, **KARE_OPTIONS)
    complete = stats.factorial_model(frame, kare_protocol, "pda", **KARE_OPTIONS)
    assert len(pooled.estimates) == 8
    for mine, theirs in zip(numbers(pooled), numbers(complete), strict=True):
        assert mine[0] == theirs[0]
        assert mine[1:] == pytest.approx(theirs[1:], rel=1e-9, abs=1e-12)


def test_imputed_values_are_observed_values_and_only_the_missing_are_filled(kare_protocol):
    frame = kare_frame(kare_protocol)
    imputed = impute(frame, kare_protocol, seed=3)
    observed = set(frame["pda"].dropna())
    assert imputed.n_missing == frame["pda"].isna().sum() > 0
    for completed in imputed.frames:
        assert completed["pda"].notna().all()
        assert (completed.loc[frame["pda"].notna(), "pda"] == frame["pda"].dropna()).all()
        assert set(completed.loc[imputed.missing, "pda"]) <= observed  # predictive mean matching


def one_factor_frame(protocol) -> pd.DataFrame:
    """MORE-KARE, 10 per arm, no covariate; 4 outcomes of the first arm and 2 of the second missing."""
    rows = []
    for a, arm in enumerate(protocol.arms):
        for i in range(10):
            value = 20 - 5 * (a == 0) + i
            rows.append({"heavy_days": None if i < (4 if a == 0 else 2) else float(value), **arm.levels})
    return pd.DataFrame(rows).astype({"heavy_days": float})


def test_a_delta_shifts_the_pooled_difference_by_delta_times_the_share_imputed_in_the_first_level(
    more_kare_protocol,
):
    frame = one_factor_frame(more_kare_protocol)
    factors = stats.modelled_factors(more_kare_protocol)
    imputed = imputation.impute(frame, outcome="heavy_days", factors=factors, imputations=6, seed=5)
    options = {"covariates": (), "interaction": False}
    (point,) = imputation.tipping_point(imputed, more_kare_protocol, [2, -3, 40], **options)
    assert (point.factor, point.contrast, point.shifted) == ("treatment", "difference", 4)
    unshifted = imputation.pool(imputed, more_kare_protocol, **options).get("difference")
    assert point.rows[0].estimate == unshifted  # delta 0 is the analysis under MAR
    for row in point.rows[1:]:
        # the difference of means: 4 of the first arm's 10 values moved by delta in every imputation
        assert row.estimate.estimate - unshifted.estimate == pytest.approx(row.delta * 4 / 10)
    assert point.rows[0].excludes_zero
    assert not point.rows[-1].excludes_zero
    assert point.changes_at == next(r.delta for r in point.rows[1:] if not r.excludes_zero)


finite = st.floats(min_value=-100, max_value=100, allow_nan=False)
positive = st.floats(min_value=0.01, max_value=100, allow_nan=False)


@given(st.lists(st.tuples(finite, positive), min_size=2, max_size=30), st.integers(min_value=3, max_value=500))
def test_rubins_total_variance_is_at_least_the_within_variance(draws, df):
    pooled = imputation.rubin([q for q, _ in draws], [u for _, u in draws], df)
    assert pooled["total"] >= pooled["within"] - 1e-9
    assert pooled["between"] >= 0
    assert 0 < pooled["df"] <= df + 1e-9
    assert pooled["ci_low"] <= pooled["estimate"] <= pooled["ci_high"]


@given(finite, st.lists(positive, min_size=2, max_size=30), st.integers(min_value=3, max_value=500))
def test_equal_imputations_have_no_between_variance(estimate, variances, df):
    pooled = imputation.rubin([estimate] * len(variances), variances, df)
    assert pooled["between"] == 0
    assert pooled["estimate"] == pytest.approx(estimate)
    assert pooled["se"] == pytest.approx(math.sqrt(np.mean(variances)))
    assert pooled["df"] == df  # nothing imputed differs: the complete data's degrees of freedom


def test_holm_adjusts_the_main_effects_together(kare_protocol):
    plan = planned.default_plan(kare_protocol)
    plan = plan.model_copy(update={"multiplicity": plan.multiplicity.model_copy(update={"method": "holm"})})
    model = stats.ModelResult("pda", 40, [], "")
    model.estimates = [
        stats.Estimate("main:drug", "", 1, 1, 0, 2, 0.01),
        stats.Estimate("main:therapy", "", 1, 1, 0, 2, 0.04),
        stats.Estimate("interaction", "", 1, 1, 0, 2, 0.02),
    ]
    assert planned._multiplicity(model, plan) == pytest.approx({"main:drug": 0.02, "main:therapy": 0.04})
    assert planned._multiplicity(model, planned.default_plan(kare_protocol)) == {}  # method none


def test_the_completeness_verdict_names_the_completeness_and_the_threshold():
    refuse = planned.Verdict("1-182", 33.04, 50.0, "refuse")
    assert refuse.refused
    assert refuse.message == (
        "Completeness of window 1-182 is 33.0% of its days assessed, below the plan's threshold of 50%: "
        "no estimate is given (the plan refuses one below the threshold)."
    )
    warn = planned.Verdict("1-365", 20.7, 50.0, "warn")
    assert warn.below
    assert not warn.refused
    assert "the estimates are given with this warning" in warn.message
    assert planned.Verdict("1-182", 50.0, 50.0, "refuse").message == ""
