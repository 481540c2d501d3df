"""The Kaplan–Meier picture's time axis, bands, curves and legend, and how the report names a
screening criterion; built from small frames and the KARE protocol file, without a database."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection

from outcomes.analysis import figures
from outcomes.analysis.labels import Labels
from trials.protocol import load_file

KARE = Path(__file__).resolve().parents[3] / "protocols" / "kare.yaml"
WINDOW_DAYS = 182


@pytest.fixture(scope="module")
def protocol():
    return load_file(KARE)


@pytest.fixture
def labels(protocol):
    return Labels(protocol=protocol, trial_code="KARE", blinded=False)


def follow_up(last: float = 44) -> pd.DataFrame:
    """Six people per arm of KARE, relapsing from day 2 on; the last of each arm is censored,
    the longest at ``last``."""
    rows = []
    for i, arm in enumerate(["KT", "KE", "PT", "PE"]):
        rows += [{"arm": arm, "time": 2 + 3 * k + i, "event": 1} for k in range(5)]
        rows.append({"arm": arm, "time": last - i, "event": 0})
    return pd.DataFrame(rows)


def curves(ax) -> list:
    """The Kaplan–Meier step lines (the ones the legend names)."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_the_time_axis_ends_a_little_after_follow_up_that_ends_early(labels):
    fig = figures.kaplan_meier(follow_up(last=44), labels, window_days=WINDOW_DAYS)
    ax = fig.axes[0]
    low, high = ax.get_xlim()
    assert low == 0
    assert 44 + 2 <= high < 180
    for line in ax.get_lines():  # no curve's last step, nor censoring mark, is cut off
        assert max(line.get_xdata()) < high
    assert max(ax.get_xticks()) <= high


@pytest.mark.parametrize("last", [WINDOW_DAYS, WINDOW_DAYS - 4])
def test_the_time_axis_reaches_the_windows_end_when_follow_up_does(labels, last):
    fig = figures.kaplan_meier(follow_up(last=last), labels, window_days=WINDOW_DAYS)
    assert fig.axes[0].get_xlim() == (0, WINDOW_DAYS)


def test_the_bands_are_light_and_the_curves_and_censorings_drawn_over_them(labels):
    ax = figures.kaplan_meier(follow_up(), labels, window_days=WINDOW_DAYS).axes[0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 4
    assert all(band.get_alpha() <= 0.1 for band in bands)
    assert len(curves(ax)) == 4
    assert min(line.get_zorder() for line in ax.get_lines()) > max(band.get_zorder() for band in bands)
    censorings = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert sum(len(line.get_xdata()) for line in censorings) == 4


def test_each_arm_has_its_own_dash_pattern_for_greyscale(labels):
    ax = figures.kaplan_meier(follow_up(), labels, window_days=WINDOW_DAYS).axes[0]
    # Line2D reports any custom pattern as "--"; the pattern itself tells them apart
    patterns = {(line.get_linestyle(), str(line._unscaled_dash_pattern)) for line in curves(ax)}
    assert len(patterns) == 4


def test_the_legend_stands_beside_the_plot_not_over_the_curves(labels):
    fig = figures.kaplan_meier(follow_up(), labels, window_days=WINDOW_DAYS)
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    legend = ax.get_legend()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    names = [text.get_text() for text in legend.get_texts()]
    assert names[-2:] == ["censored", "95% confidence band"]
    assert "Ketamine + therapy (n = 6)" in names


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
