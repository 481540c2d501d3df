"""How the report names a screening criterion, from the KARE protocol file, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.analysis.labels import Labels
from trials.protocol import load_file

KARE = Path(__file__).resolve().parents[3] / "protocols" / "kare.yaml"


@pytest.fixture(scope="module")
def protocol():
    return load_file(KARE)


@pytest.fixture
def labels(protocol):
    return Labels(protocol=protocol, trial_code="KARE", blinded=False)


def test_a_criterion_is_named_by_the_protocols_words(labels):
    assert labels.criterion("EX_PREGNANT") == "Pregnant or breast-feeding"
    assert labels.criterion("EX_GONE") == "EX_GONE"  # dropped by an amendment: only its code is left


def test_a_blinded_report_names_a_criterion_by_its_place_when_its_words_name_a_level(protocol):
    criteria = [
        c.model_copy(update={"text": "Known allergy to Ketamine"}) if c.code == "EX_SEIZURE" else c
        for c in protocol.eligibility.criteria
    ]
    eligibility = protocol.eligibility.model_copy(update={"criteria": criteria})
    amended = protocol.model_copy(update={"eligibility": eligibility})
    blinded = Labels(protocol=amended, trial_code="KARE", blinded=True)
    assert blinded.criterion("EX_SEIZURE") == "Exclusion criterion 5"  # after BP, BMI, psychosis, substance
    assert blinded.criterion("EX_PREGNANT") == "Pregnant or breast-feeding"
    assert blinded.criterion("EX_GONE") == "Unnamed criterion"
    unblinded = Labels(protocol=amended, trial_code="KARE", blinded=False)
    assert unblinded.criterion("EX_SEIZURE") == "Known allergy to Ketamine"


def test_failed_criteria_are_grouped_inclusion_then_exclusion(labels):
    assert labels.failed_criteria({"EX_BP": 2, "IN_BDI": 1, "EX_GONE": 1, "EX_SEIZURE": 1}) == [
        ("Inclusion criteria not met", [("BDI-II score above 14", 1)]),
        (
            "Exclusion criteria met",
            [("Uncontrolled blood pressure of 140/90 mmHg or more", 2), ("History of seizures", 1)],
        ),
        ("Criteria no longer in the protocol", [("EX_GONE", 1)]),
    ]
