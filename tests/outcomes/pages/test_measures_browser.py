"""The biomarker and questionnaire pages in the browser: keyboard entry, the running total, axe, the
768-pixel tablet, and no word of the drug for a blinded coordinator."""

from __future__ import annotations

import datetime as dt

from core.clock import today_at
from outcomes.models import BiomarkerSample, QuestionnaireResponse
from tests.browser import hidden_words_in, serious_violations

HIDDEN_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE", "mg"]


def _fits_a_tablet(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 768


def test_a_sample_is_recorded_at_the_keyboard(web, coordinator, randomised):
    web.sign_in(coordinator)
    assert web.open(f"/participants/{randomised.study_id}/biomarkers/").status == 200
    page = web.page
    assert serious_violations(page) == []
    assert _fits_a_tablet(page)
    page.get_by_label("Marker").select_option("breath")
    page.get_by_label("Date taken").fill((today_at(randomised.site) - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Value").fill("-1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "cannot be negative" in page.locator(".error-summary").inner_text()
    assert serious_violations(page) == []
    page.get_by_label("Value").fill("0.12")
    with page.expect_navigation():
        page.get_by_label("Value").press("Enter")
    page.get_by_text("saved: positive").wait_for()
    assert BiomarkerSample.objects.get(participant=randomised).positive
    assert serious_violations(page) == []
    assert _fits_a_tablet(page)
    assert hidden_words_in(page, HIDDEN_WORDS) == []


def test_the_item_grid_keeps_a_running_total(web, coordinator, randomised):
    web.sign_in(coordinator)
    assert web.open(f"/participants/{randomised.study_id}/questionnaires/").status == 200
    page = web.page
    assert serious_violations(page) == []
    page.get_by_role("link", name="Penn Alcohol Craving Scale").click()
    page.get_by_role("heading", name="Penn Alcohol Craving Scale").wait_for()
    assert serious_violations(page) == []
    assert _fits_a_tablet(page)
    total = page.locator("#q-total")
    assert "none yet" in total.inner_text()
    for item, score in ((1, 2), (2, 3), (3, 0), (4, 6)):
        page.get_by_label(f"Item {item}: score {score}", exact=True).focus()
        page.keyboard.press("Space")
    assert "13.75" in total.inner_text()  # 11 x 5 / 4, prorated with one item unanswered
    assert "prorated" in total.inner_text()
    page.get_by_label("Item 5: score 1", exact=True).focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")  # the arrow moves the answer to score 2
    assert "Total: 13" in total.inner_text()
    page.get_by_label("Date given").fill((today_at(randomised.site) - dt.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.get_by_label("Date given").press("Enter")
    page.get_by_text("saved: total 13").wait_for()
    saved = QuestionnaireResponse.objects.get(participant=randomised)
    assert saved.items == {"1": 2, "2": 3, "3": 0, "4": 6, "5": 2}
    assert serious_violations(page) == []
    assert hidden_words_in(page, HIDDEN_WORDS) == []
