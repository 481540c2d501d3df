"""The report's files, its time-to-relapse analysis, and what a blinded report must not say."""

from __future__ import annotations

import re

import pytest

from outcomes.analysis import dataset, stats, write_report
from outcomes.analysis.labels import Labels, group_letters
from participants.locks import services as locks

PICTURES = ("consort", "primary", "time_to_relapse")


def _mentions(text: str, word: str) -> bool:
    """``word`` in ``text`` as a whole word, ignoring case (``KT`` is not found in ``AKT3``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])", text, re.IGNORECASE) is not None


@pytest.fixture
def kare_trial(synthetic):
    return synthetic(per_arm=8, seed=3)


def test_the_report_is_html_with_its_pictures_as_png_and_svg(kare_trial, tmp_path):
    path = write_report(trial=kare_trial, out_dir=tmp_path / "report")
    assert path == tmp_path / "report" / "report.html"
    html = path.read_text(encoding="utf-8")
    for name in PICTURES:
        png = path.parent / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (path.parent / f"{name}.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert f"src='{name}.png'" in html
    assert "http://" not in html.replace("http://www.w3.org", "")  # nothing loaded from elsewhere
    assert "https://" not in html
    for section in ("consort", "baseline", "primary", "secondary", "relapse", "adverse-events", "completeness"):
        assert f"id='{section}'" in html
    assert "Ketamine + therapy" in html
    assert "(at the margins)" in html
    assert "(corner)" in html


def test_time_to_relapse_runs_kaplan_meier_log_rank_and_cox(kare_trial):
    data = dataset.load(kare_trial)
    frame = stats.survival_frame(data.primary())
    assert len(frame) == 32
    assert frame["time"].between(1, 182).all()
    relapsed = frame[frame["event"] == 1]
    assert (relapsed["time"] == relapsed["relapse_day"]).all()  # the window starts on day 1
    result = stats.survival(frame, data.protocol)
    assert result.events > 0
    assert result.logrank_df == 3
    assert 0 <= result.logrank_p <= 1
    assert [hr.name for hr in result.hazard_ratios] == ["hr:drug", "hr:therapy"]
    drug = result.hazard_ratios[0]
    assert drug.ci_low < drug.estimate < drug.ci_high
    assert drug.estimate < 1  # ketamine made heavy days rarer in the synthetic data


def test_a_blinded_report_names_no_level_arm_or_title(kare_trial, tmp_path):
    path = write_report(trial=kare_trial, out_dir=tmp_path, blinded=True)
    labels = Labels(protocol=kare_trial.version_on().protocol, trial_code="KARE", blinded=True)
    forbidden = labels.forbidden()
    assert {"ketamine", "placebo", "therapy", "education", "KT", "PE", "Ketamine + therapy"} <= set(forbidden)
    texts = {"report.html": path.read_text(encoding="utf-8")}
    for name in PICTURES:
        texts[f"{name}.svg"] = (tmp_path / f"{name}.svg").read_text(encoding="utf-8")
    for name, text in texts.items():
        leaks = [word for word in forbidden if _mentions(text, word)]
        assert leaks == [], f"{name} names {leaks}"
    html = texts["report.html"]
    for letter in "ABCD":
        assert f"Group {letter}" in html
        assert f"Group {letter}" in texts["consort.svg"]  # SVG text is searchable text
    assert "(at the margins)" not in html


def test_group_letters_are_a_fixed_shuffle_of_the_arms():
    arms = ["KT", "KE", "PT", "PE"]
    first = group_letters(trial_code="KARE", arms=arms)
    assert first == group_letters(trial_code="KARE", arms=arms)
    assert sorted(first.values()) == ["A", "B", "C", "D"]
    shuffles = set()
    for i in range(20):
        letters = group_letters(trial_code=f"T{i}", arms=arms)
        shuffles.add(tuple(letters[arm] for arm in arms))
    assert len(shuffles) > 1  # not simply the protocol's order


def test_a_one_factor_trial_gets_a_report_with_the_two_arm_comparison(more_kare_synthetic, tmp_path):
    path = write_report(trial=more_kare_synthetic, out_dir=tmp_path)
    html = path.read_text(encoding="utf-8")
    assert "Comparison of the two arms" in html
    assert "ketamine_therapy − low_dose_education" in html
    assert "Primary endpoint: Heavy drinking days, window 1-182" in html
    # 60 of 182 days recorded: the default plan warns below 50% and still estimates.
    assert "<strong>Warning:</strong> Completeness of window 1-182 is 33.0% of its days assessed" in html
    assert (tmp_path / "consort.png").exists()
    assert (tmp_path / "time_to_relapse.svg").exists()


def test_the_report_says_whether_the_database_was_locked_and_unblinded(
    kare_trial, make_user, tmp_path, lock_analysis_plan
):
    lock_analysis_plan(kare_trial)
    manager = make_user("data_manager", kare_trial, username="dm")
    assert "database not locked." in write_report(trial=kare_trial, out_dir=tmp_path / "a").read_text()
    locks.data_lock(actor=manager, trial=kare_trial, reason="final analysis")
    locks.trial_unblind_for_analysis(
        actor=manager, trial=kare_trial, reason="final analysis", password="correct-horse-battery-staple"
    )
    html = write_report(trial=kare_trial, out_dir=tmp_path / "b").read_text()
    assert "database locked, unblinded for analysis." in html


def test_the_report_names_the_analysis_plan_it_ran_under(kare_trial, tmp_path, lock_analysis_plan):
    from outcomes.plan.document import load_file
    from outcomes.plan.services import analysis_plan_load
    from tests.conftest import ROOT

    none = write_report(trial=kare_trial, out_dir=tmp_path / "a").read_text()
    assert "No statistical analysis plan is stored" in none
    plan = load_file(ROOT / "protocols" / "kare.sap.yaml", protocol=kare_trial.version_on().protocol)
    version, _ = analysis_plan_load(trial=kare_trial, plan=plan)
    draft = write_report(trial=kare_trial, out_dir=tmp_path / "b").read_text()
    assert f"plan version 1 (1.0), fingerprint {version.sha256}, not locked" in draft
    lock_analysis_plan(kare_trial)
    locked = write_report(trial=kare_trial, out_dir=tmp_path / "c").read_text()
    assert f"fingerprint {version.sha256}, locked on " in locked
