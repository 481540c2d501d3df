"""What the committee reports say: recruitment against the target, adverse events by SOC, term,
grade and relatedness, the SAE listing; the open report shows nothing by arm; the PDF has the cut-off
on every page."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from outcomes.analysis.committee import write_committee_report
from outcomes.analysis.committee.groups import WITHHELD
from tests.outcomes.analysis.committee.conftest import column, row, tables, text_of, whole_words

GROUP_LETTERS = re.compile(r"\bGroups? [A-H]\b")


def _closed(small, tmp_path):
    return tables(
        text_of(write_committee_report(trial=small.trial, out_dir=tmp_path, closed=True, cutoff=small.cutoff).html)
    )


def _open(small, tmp_path):
    return tables(
        text_of(write_committee_report(trial=small.trial, out_dir=tmp_path, closed=False, cutoff=small.cutoff).html)
    )


def test_recruitment_is_counted_against_the_target_by_site_and_month(small, tmp_path):
    written = write_committee_report(trial=small.trial, out_dir=tmp_path, closed=False, cutoff=small.cutoff)
    page = text_of(written.html)
    assert "3 randomised of a target of 96 (3%) by the data cut-off" in page
    found = tables(page)
    by_site = found["Screened and randomised by site"]
    assert by_site[0] == ["Site", "Screened", "Randomised"]
    assert row(by_site, "Exeter") == ["Exeter", "2", "2"]
    assert row(by_site, "London") == ["London", "2", "1"]  # the late participant screened, not yet randomised
    by_month = found["Screened and randomised by month"]
    month = small.a.allocation.allocated_on.strftime("%B %Y")
    assert row(by_month, month)[2:] == ["3", "3", "3%"]
    assert by_month[-1][0] == small.cutoff.strftime("%B %Y")  # every month up to the cut-off's
    assert {"dmc-open-recruitment.png", "dmc-open-recruitment.svg"} <= {p.name for p in tmp_path.iterdir()}
    assert "src='dmc-open-recruitment.png'" in page


def test_adverse_events_are_counted_by_soc_and_preferred_term_per_arm(small, tmp_path):
    found = _closed(small, tmp_path)
    terms = found["Adverse events by system organ class and preferred term"]
    a, b, c = (column(terms, small.arm_title(p)) for p in (small.a, small.b, small.c))
    total = column(terms, "Total")
    assert row(terms, "All system organ classes")[total] == "4 (3)"  # the late headache is after the cut-off
    assert row(terms, "Gut disorders")[a] == "2 (1)"
    assert row(terms, "Nausea")[a] == "2 (1)"  # queasy and nausea share the preferred term
    assert row(terms, "Nerve disorders")[b] == "1 (1)"
    assert row(terms, "Seizure")[total] == "1 (1)"
    assert row(terms, "Not yet coded")[c] == "1 (1)"
    assert row(terms, "odd feeling after the ketamine")[total] == "1 (1)"  # by its verbatim term


def test_adverse_events_are_counted_by_grade_seriousness_and_relatedness(small, tmp_path):
    overview = _closed(small, tmp_path)["events (participants with at least one), by CTCAE grade"]
    total = column(overview, "Total")
    assert row(overview, "Grade 1 (mild)")[total] == "2 (2)"
    assert row(overview, "Grade 2 (moderate)")[total] == "1 (1)"
    assert row(overview, "Grade 3 (severe)")[column(overview, small.arm_title(small.b))] == "1 (1)"
    assert row(overview, "Grade 4 (life-threatening)")[total] == "0 (0)"
    assert row(overview, "Serious adverse events")[total] == "1 (1)"
    assert row(overview, "Related to the study drug (possibly, probably or definitely)")[total] == "2 (2)"
    assert (
        row(overview, "Related to the psychological intervention (possibly, probably or definitely)")[total] == "1 (1)"
    )
    assert row(overview, "Suspected unexpected serious adverse reactions")[total] == "1 (1)"


def test_the_sae_listing_gives_each_serious_event(small, tmp_path):
    listing = _closed(small, tmp_path)[
        "Serious adverse events with onset on or before the cut-off; relatedness to each intervention"
    ]
    assert len(listing) == 2
    assert listing[1] == [
        small.b.study_id,
        small.arm_title(small.b),
        "fit at home",
        "Seizure",
        "Nerve disorders",
        (small.b.allocation.allocated_on + dt.timedelta(days=10)).isoformat(),
        "3",
        "Hospitalisation or its prolongation",
        "Probably related",
        "Not related",
        "unexpected",
        "recovered",
    ]


def test_the_closed_report_lists_withdrawals_with_their_reasons_by_arm(small, tmp_path):
    listing = _closed(small, tmp_path)["Withdrawals, by arm"]
    assert listing[1:] == [
        [
            small.c.study_id,
            small.arm_title(small.c),
            "Stop the intervention and follow-up",
            (small.c.allocation.allocated_on + dt.timedelta(days=30)).isoformat(),
            "fears the ketamine",
        ]
    ]


def _forbidden(trial) -> list[str]:
    """Every name of an arm or a level, and the trial's title (which names the drug)."""
    protocol = trial.version_on().protocol
    words = {protocol.trial.title}
    for arm in protocol.arms:
        words |= {arm.code, arm.title}
    for factor in protocol.factors:
        for level in factor.levels:
            words |= {level.code, level.title}
    return sorted(words)


def _assert_pooled(text: str, trial) -> None:
    assert whole_words(text, _forbidden(trial)) == []
    assert GROUP_LETTERS.search(text) is None


def test_the_open_report_names_no_arm_and_has_no_per_arm_table(small, tmp_path):
    written = write_committee_report(trial=small.trial, out_dir=tmp_path, closed=False, cutoff=small.cutoff)
    page = text_of(written.html)
    _assert_pooled(page, small.trial)
    assert "ketamine" not in page.lower()  # the reason and the verbatim term that name it are withheld
    assert WITHHELD in page
    # the tables that could be split by arm have one pooled column instead
    pooled = [rows[0] for rows in tables(page).values() if "All participants" in rows[0]]
    assert len(pooled) >= 6
    assert all(header[1:] == ["All participants"] for header in pooled)


def test_the_open_report_of_a_one_factor_trial_names_no_arm(more_kare_synthetic, tmp_path):
    written = write_committee_report(trial=more_kare_synthetic, out_dir=tmp_path, closed=False)
    _assert_pooled(text_of(written.html), more_kare_synthetic)


def test_the_closed_report_names_the_arms_and_is_readable_by_its_owner_only(small, tmp_path):
    written = write_committee_report(trial=small.trial, out_dir=tmp_path / "closed", closed=True, cutoff=small.cutoff)
    page = text_of(written.html)
    assert all(arm.title in page for arm in small.trial.version_on().protocol.arms)
    assert (tmp_path / "closed").stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / "closed").iterdir()} == {0o600}


def _pages(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


@pytest.mark.weasyprint
@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_the_pdf_has_the_cutoff_on_every_page(small, tmp_path, closed):
    written = write_committee_report(trial=small.trial, out_dir=tmp_path, closed=closed, cutoff=small.cutoff, pdf=True)
    pages = _pages(written.pdf)
    assert len(pages) >= 3
    stamp = f"Data cut-off {small.cutoff.isoformat()}"
    assert [i for i, text in enumerate(pages, start=1) if stamp not in text] == []
    assert [i for i, text in enumerate(pages, start=1) if f"Page {i} of {len(pages)}" not in text] == []
    if not closed:
        _assert_pooled("\n".join(pages), small.trial)
    else:
        assert "fit at home" in "\n".join(pages)  # the SAE listing
