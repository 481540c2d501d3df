"""The committee's reports in the browser at a tablet's width: a blinded investigator opens the open
report from the trial's page, sees no word of the drug factor and no closed report to choose, and
a cut-off in the future is refused beside its field; the unblinded statistician chooses the closed
report. Every page is scanned by axe."""

from __future__ import annotations

import os

import pytest

from tests.browser import hidden_words_in, serious_violations

pytestmark = pytest.mark.browser

DRUG_WORDS = ["ketamine", "placebo", "KT", "KE", "PT", "PE", "Saline", "mg/kg"]
SHOTS = os.environ.get("TRIALTRACKER_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_blinded_investigator_reads_the_open_report_and_a_future_cutoff_is_refused(web, imported, make_user):
    page = web.page
    web.sign_in(make_user("investigator", imported))
    web.open("/trials/KARE/")
    page.get_by_role("link", name="Open the data monitoring committee's reports").click()
    page.get_by_role("heading", name="Data monitoring committee reports of KARE", level=1).wait_for()
    assert page.get_by_role("radio", name="Closed: by arm").count() == 0
    page.get_by_role("button", name="Show the report").click()
    page.get_by_role("heading", name="Recruitment").wait_for()
    assert page.get_by_text("The open report: every figure is pooled over the arms.").is_visible()
    assert page.get_by_role("link", name="Download this report as PDF").is_visible()
    assert page.get_by_role("img", name="Cumulative recruitment against the target").is_visible()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    _shot(page, "committee-open")

    page.get_by_label("Data cut-off").fill("2999-01-01")
    page.get_by_role("button", name="Show the report").click()
    page.get_by_text("is after today").first.wait_for()
    assert page.title().startswith("Error: ")
    assert page.locator("#id_cutoff_error").is_visible()
    assert "id_cutoff_error" in (page.get_by_label("Data cut-off").get_attribute("aria-describedby") or "")
    assert serious_violations(page) == []
    _shot(page, "committee-error")


def test_the_unblinded_statistician_chooses_the_closed_report(web, imported, make_user):
    page = web.page
    web.sign_in(make_user("unblinded_statistician", imported))
    web.open("/trials/KARE/committee/")
    page.get_by_role("radio", name="Closed: by arm").check()
    page.get_by_role("button", name="Show the report").click()
    page.get_by_text("The closed report: every figure by arm.").wait_for()
    assert page.get_by_role("heading", name="Adverse events", exact=True).is_visible()
    assert serious_violations(page) == []
    _shot(page, "committee-closed")
