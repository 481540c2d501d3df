"""The protocol's ``monitoring`` section: the shipped files declare the default plan, a file without
the section gets it, and a wrong value is named with its path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.trials.test_protocol_validation import KARE_FILE, MORE_KARE_FILE, kare_document, problem_named
from trials.protocol import ProtocolInvalid, load_file, validate


@pytest.mark.parametrize("path", [KARE_FILE, MORE_KARE_FILE])
def test_the_shipped_protocols_verify_the_critical_records_in_full_and_sample_a_fifth(path):
    spec = load_file(path).monitoring
    assert set(spec.verify_in_full) == {
        "consent",
        "screening",
        "randomisation",
        "infusion",
        "adverse_event",
        "drinking_day",
    }
    assert (spec.adverse_events, spec.drinking_days, spec.sample_fraction) == (
        "serious",
        "primary_window",
        Decimal("0.2"),
    )


def test_a_protocol_without_the_section_gets_the_default_plan():
    doc = kare_document()
    doc.pop("monitoring")
    assert validate(doc).monitoring == load_file(KARE_FILE).monitoring


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"sample_fraction": 1.5}, "monitoring.sample_fraction", "less than or equal to 1"),
        ({"verify_in_full": ["consent", "consent"]}, "monitoring.verify_in_full", "once"),
        ({"verify_in_full": ["lab_result"]}, "monitoring.verify_in_full.0", "Input should be"),
        ({"adverse_events": "some"}, "monitoring.adverse_events", "Input should be"),
    ],
)
def test_a_wrong_monitoring_value_is_named_with_its_path(change, path, fragment):
    doc = kare_document()
    doc["monitoring"] = {**doc["monitoring"], **change}
    with pytest.raises(ProtocolInvalid) as refused:
        validate(doc)
    assert problem_named(refused.value.problems, path, fragment), refused.value.problems
