"""The factorial model recovers effects that were put into the data."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from outcomes.analysis import factorial_estimates, stats
from tests.conftest import ROOT
from tests.outcomes.analysis.conftest import DRUG_EFFECT, THERAPY_EFFECT
from trials.protocol import load_file

INTERACTION = -2.0


def _cells(protocol, *, per_arm: int, seed: int, interaction: float = 0.0) -> pd.DataFrame:
    """One row per participant: PDA = 60 + drug + therapy + interaction in the KT cell + noise."""
    rng = random.Random(seed)
    rows = []
    for arm in protocol.arms:
        ketamine = arm.levels["drug"] == "ketamine"
        therapy = arm.levels["therapy"] == "therapy"
        mean = 60 + DRUG_EFFECT * ketamine + THERAPY_EFFECT * therapy + interaction * (ketamine and therapy)
        for i in range(per_arm):
            rows.append({"pda": mean + rng.gauss(0, 5), "site": "exeter" if i % 2 else "london", **arm.levels})
    return pd.DataFrame(rows)


@pytest.fixture
def kare_protocol():
    return load_file(ROOT / "protocols" / "kare.yaml")


def test_main_effects_at_the_margins_and_the_interaction_are_recovered(kare_protocol):
    frame = _cells(kare_protocol, per_arm=400, seed=11, interaction=INTERACTION)
    model = stats.factorial_model(frame, kare_protocol)
    # With the interaction in the KT cell only, the margins average it over the other factor.
    assert model.get("main:drug").estimate == pytest.approx(DRUG_EFFECT + INTERACTION / 2, abs=1.0)
    assert model.get("main:therapy").estimate == pytest.approx(THERAPY_EFFECT + INTERACTION / 2, abs=1.0)
    assert model.get("interaction").estimate == pytest.approx(INTERACTION, abs=2.0)
    corner = model.get("cell:KT-PE")
    assert corner.estimate == pytest.approx(DRUG_EFFECT + THERAPY_EFFECT + INTERACTION, abs=1.5)
    assert corner.ci_low < corner.estimate < corner.ci_high
    assert model.get("cell:KT-KE").estimate == pytest.approx(THERAPY_EFFECT + INTERACTION, abs=1.5)
    assert model.adjusted_for_site


def test_the_confidence_interval_covers_the_true_effect(kare_protocol):
    frame = _cells(kare_protocol, per_arm=30, seed=5)
    drug = stats.factorial_model(frame, kare_protocol).get("main:drug")
    assert drug.ci_low < DRUG_EFFECT < drug.ci_high
    assert drug.p < 0.001


def test_an_empty_arm_gives_a_note_instead_of_estimates(kare_protocol):
    frame = _cells(kare_protocol, per_arm=5, seed=1)
    model = stats.factorial_model(frame[frame["drug"] == "ketamine"], kare_protocol)
    assert model.estimates == []
    assert "too few" in model.note


def test_estimates_from_the_database_recover_the_known_effects(synthetic):
    trial = synthetic(per_arm=16, seed=7)
    result = factorial_estimates(trial)
    assert result["n"] == 64
    assert result["window"] == "1-182"
    estimates = result["estimates"]
    assert estimates["main:drug"]["estimate"] == pytest.approx(DRUG_EFFECT, abs=3.0)
    assert estimates["main:therapy"]["estimate"] == pytest.approx(THERAPY_EFFECT, abs=3.0)
    assert estimates["interaction"]["estimate"] == pytest.approx(0, abs=5.0)
    assert estimates["main:drug"]["ci_low"] > 0  # a 10-point effect with little noise is found
    assert set(result["arms"]) == {"KT", "KE", "PT", "PE"}
    assert all(a["n"] == 16 for a in result["arms"].values())


def test_a_one_factor_trial_gives_the_two_arm_difference_in_its_primary_endpoint(more_kare_synthetic):
    result = factorial_estimates(more_kare_synthetic)
    # No plan stored: the protocol's primary endpoint and window, adjusted for what minimisation balanced.
    assert (result["outcome"], result["window"], result["plan"]) == ("heavy_days", "1-182", None)
    assert list(result["estimates"]) == ["difference"]
    # 12 points more abstinent days of 60 assessed, half the drinking days heavy: 3.6 heavy days fewer.
    assert result["estimates"]["difference"]["estimate"] == pytest.approx(-0.12 * 60 * 0.5, abs=3.0)
    assert "C(site, Sum)" in result["formula"]
    assert "C(sex, Sum)" in result["formula"]
