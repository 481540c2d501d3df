"""The report runs the analysis plan: its estimates against an independent fit of the exported
files, the completeness verdict (refuse and warn), and no ``nan`` anywhere in what it writes."""

from __future__ import annotations

import io
import re
from html import escape

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from outcomes.analysis import factorial_estimates, write_report
from outcomes.exports import export_open
from trialtracker import simulation as simulation_module
from trialtracker.simulation import Simulation

NAN = re.compile(r"(?<![A-Za-z])nan(?![A-Za-z])", re.IGNORECASE)


def exported(user, trial, dataset: str) -> pd.DataFrame:
    export = export_open(user=user, trial=trial, format="csv", dataset=dataset, via="command")
    return pd.read_csv(io.BytesIO(b"".join(export.chunks)))


def independent_fit(frame: pd.DataFrame):
    """PDA on the effect-coded factors (+0.5 ketamine / therapy, -0.5 placebo / education), their
    product, site and sex (treatment coding: the factor contrasts do not depend on it)."""
    data = frame.dropna(subset=["pda"]).copy()
    data["xa"] = np.where(data["drug"] == "ketamine", 0.5, -0.5)
    data["xb"] = np.where(data["therapy"] == "therapy", 0.5, -0.5)
    return smf.ols("pda ~ xa * xb + C(site) + C(sex)", data=data).fit()


CONTRASTS = {  # the report's names -> weights on (xa, xb, xa:xb)
    "main:drug": (1, 0, 0),
    "main:therapy": (0, 1, 0),
    "interaction": (0, 0, 1),
    "cell:KT-PT": (1, 0, 0.5),
    "cell:KE-PE": (1, 0, -0.5),
    "cell:KT-KE": (0, 1, 0.5),
    "cell:PT-PE": (0, 1, -0.5),
    "cell:KT-PE": (1, 1, 0),
}


def assert_same(report: dict, fit) -> None:
    names = list(fit.params.index)
    assert set(report) == set(CONTRASTS)
    for name, weights in CONTRASTS.items():
        vector = np.zeros(len(names))
        for term, weight in zip(("xa", "xb", "xa:xb"), weights, strict=True):
            vector[names.index(term)] = weight
        test = fit.t_test(vector)
        low, high = test.conf_int(alpha=0.05)[0]
        mine = report[name]
        expected = (float(test.effect[0]), float(test.sd[0][0]), float(low), float(high), float(test.pvalue))
        got = (mine["estimate"], mine["se"], mine["ci_low"], mine["ci_high"], mine["p"])
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), name


@pytest.fixture
def finished_kare(kare, lock_analysis_plan, monkeypatch):
    """KARE simulated through the services, 16 participants who have all finished follow-up, under
    its shipped analysis plan, locked; and the unblinded statistician who may export it."""
    monkeypatch.setattr(simulation_module, "FOLLOW_UP_DAYS", 200)
    simulation = Simulation(trial=kare, seed=5)
    staff = simulation.add_staff()
    simulation.follow(simulation.recruit(16))
    lock_analysis_plan(kare)
    return kare, staff.statistician


def test_the_adjusted_estimates_equal_an_independent_fit_of_the_exported_files(finished_kare, tmp_path):
    trial, statistician = finished_kare
    result = factorial_estimates(trial)
    assert (result["outcome"], result["window"], result["method"]) == ("pda", "1-182", "complete case")
    assert result["adjusted_for"] == ["site", "sex"]
    assert not result["completeness"]["below"]

    endpoints = exported(statistician, trial, "endpoints")
    adsl = exported(statistician, trial, "adsl")
    frame = endpoints[endpoints["window"] == "1-182"].merge(
        adsl[["SUBJID", "ITTFL", "PPROTFL"]], left_on="study_id", right_on="SUBJID", validate="one_to_one"
    )
    assert len(frame) == 16
    assert (frame["ITTFL"] == "Y").all()
    itt = independent_fit(frame)
    assert result["n"] == int(itt.nobs)
    assert_same(result["estimates"], itt)
    per_protocol = frame[frame["PPROTFL"] == "Y"]
    assert result["populations"]["per_protocol"]["randomised"] == len(per_protocol)
    assert len(per_protocol) > 8
    assert_same(result["populations"]["per_protocol"]["estimates"], independent_fit(per_protocol))

    # beside the primary result: multiple imputation, the tipping point over the plan's four deltas
    assert set(result["multiple_imputation"]["estimates"]) == set(CONTRASTS)
    assert [p["factor"] for p in result["tipping_point"]] == ["drug", "therapy"]
    assert [r["delta"] for r in result["tipping_point"][0]["rows"]] == [0, -5, -10, -15, -20]

    html = write_report(trial=trial, out_dir=tmp_path).read_text(encoding="utf-8")
    assert "Primary endpoint: Percentage of days abstinent, window 1-182" in html
    assert "Missing data: complete case and multiple imputation" in html
    assert "Tipping point for drug" in html
    assert not NAN.search(html)
    blinded = write_report(trial=trial, out_dir=tmp_path / "blinded", blinded=True).read_text(encoding="utf-8")
    assert "Tipping point" not in blinded
    assert "(at the margins)" not in blinded
    assert not NAN.search(blinded)


def test_a_plan_that_refuses_gives_no_estimate_below_its_threshold(synthetic, lock_analysis_plan, tmp_path):
    trial = synthetic(per_arm=8, seed=3)  # 60 of the window's 182 days recorded: 33.0%
    lock_analysis_plan(trial)  # the shipped plan: 50%, refuse
    result = factorial_estimates(trial)
    sentence = (
        "Completeness of window 1-182 is 33.0% of its days assessed, below the plan's threshold of 50%: "
        "no estimate is given (the plan refuses one below the threshold)."
    )
    assert result["completeness"]["refused"]
    assert result["completeness"]["message"] == sentence
    assert result["estimates"] == {}
    assert result["multiple_imputation"] is None
    assert all(arm["mean"] is None and arm["n"] == 8 for arm in result["arms"].values())
    html = write_report(trial=trial, out_dir=tmp_path).read_text(encoding="utf-8")
    assert f"<strong>Refusal:</strong> {escape(sentence)}" in html
    assert "(at the margins)" not in html.split("id='secondary'")[0]
    assert not NAN.search(html)


def test_the_default_plan_warns_below_its_threshold_and_still_estimates(synthetic, tmp_path):
    trial = synthetic(per_arm=8, seed=3)
    result = factorial_estimates(trial)
    assert result["plan"] is None
    assert result["completeness"]["below"]
    assert not result["completeness"]["refused"]
    assert "the estimates are given with this warning" in result["completeness"]["message"]
    assert result["estimates"]["main:drug"]["ci_low"] < result["estimates"]["main:drug"]["estimate"]
    html = write_report(trial=trial, out_dir=tmp_path).read_text(encoding="utf-8")
    assert "<strong>Warning:</strong> Completeness of window 1-182 is 33.0%" in html
    assert "No statistical analysis plan is stored: the report runs the default plan" in html
    assert not NAN.search(html)
