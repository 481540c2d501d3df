"""The timeline follow-back calendar in the browser: 28 days typed at the keyboard and saved with at
most two keystrokes a day (counted), undo before saving, axe, blinding and the 768-pixel tablet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from core.clock import today_at
from outcomes.models import DrinkingRecord
from tests.browser import Keys, hidden_words_in, serious_violations

HIDDEN_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE", "mg"]


def _period(participant, days: int) -> list[dt.date]:
    today = today_at(participant.site)
    return [today - dt.timedelta(days=n) for n in range(days, 0, -1)]


def _open(web, participant, days, markers=()) -> None:
    query = [("start", days[0].isoformat()), ("end", days[-1].isoformat())] + [("marker", m) for m in markers]
    response = web.open(f"/participants/{participant.study_id}/drinking/?{urlencode(query)}")
    assert response.status == 200


def _focused_day(page) -> str:
    return page.evaluate("document.activeElement.dataset.day || document.activeElement.id")


def test_28_days_are_typed_and_saved_with_at_most_two_keys_a_day(web, coordinator, randomised):
    days = _period(randomised, 28)
    wedding = 20
    web.sign_in(coordinator)
    _open(web, randomised, days, markers=[f"{days[wedding].isoformat()} Wedding"])
    page = web.page
    assert serious_violations(page) == []
    assert hidden_words_in(page, HIDDEN_WORDS) == []
    assert _focused_day(page) == days[0].isoformat()  # the first empty day waits for the first key
    keys = Keys(page)
    expected: dict[int, tuple[str, str]] = {}

    def end_of_week(i: int) -> int:
        return min(27, i + 7 - days[i].isoweekday())

    keys.type("4")  # day 0: four UK units, then Enter
    keys.press("Enter")
    expected[0] = ("4", "uk_unit")
    keys.press("w")  # the rest of the week abstinent
    expected.update(dict.fromkeys(range(1, end_of_week(1) + 1), ("0", "uk_unit")))
    monday = end_of_week(1) + 1
    assert _focused_day(page) == days[monday].isoformat()
    keys.type("24g")  # grams this time
    keys.press("Enter")
    expected[monday] = ("24", "g")
    keys.type("2")
    keys.press("Enter")
    expected[monday + 1] = ("2", "uk_unit")
    keys.press("m")  # abstinent up to the wedding
    expected.update(dict.fromkeys(range(monday + 2, wedding), ("0", "uk_unit")))
    assert _focused_day(page) == days[wedding].isoformat()
    keys.type("8")
    keys.press("Enter")
    expected[wedding] = ("8", "uk_unit")
    keys.press("m")  # no marker left: abstinent to the end, then the Save button
    expected.update(dict.fromkeys(range(wedding + 1, 28), ("0", "uk_unit")))
    assert page.get_by_text("28 of 28 days entered").is_visible()
    assert _focused_day(page) == "tlfb-save"
    with page.expect_navigation():
        keys.press("Enter")
    page.get_by_text("28 days saved").wait_for()

    assert keys.count <= 2 * 28, keys.count
    print(f"\n28 days typed and saved with {keys.count} keystrokes")
    saved = {r.day: r for r in DrinkingRecord.objects.filter(participant=randomised)}
    assert sorted(saved) == days
    assert {days[i]: (Decimal(amount), unit) for i, (amount, unit) in expected.items()} == {
        day: (r.amount, r.unit) for day, r in saved.items()
    }
    assert {r.source for r in saved.values()} == {"tlfb"}
    assert serious_violations(page) == []


def test_every_day_typed_one_by_one_still_costs_two_keys_a_day(web, coordinator, randomised):
    """The worst case of a busy month: an amount and Enter each day, Control+Enter saving on the last."""
    days = _period(randomised, 28)
    web.sign_in(coordinator)
    _open(web, randomised, days)
    keys = Keys(web.page)
    for i in range(28):
        keys.type(str(i % 10))
        if i < 27:
            keys.press("Enter")
    with web.page.expect_navigation():
        keys.press("Control+Enter")
    web.page.get_by_text("28 days saved").wait_for()
    assert keys.count == 56
    saved = {r.day: r.amount for r in DrinkingRecord.objects.filter(participant=randomised)}
    assert saved == {day: Decimal(i % 10) for i, day in enumerate(days)}


def test_undo_takes_back_entries_and_fills_before_saving(web, coordinator, randomised):
    days = _period(randomised, 14)
    web.sign_in(coordinator)
    _open(web, randomised, days)
    page = web.page
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    page.keyboard.press("w")
    filled = page.evaluate("[...document.querySelectorAll('input[data-day]')].filter(i => i.value === '0').length")
    assert filled >= 1
    assert page.get_by_text(f"{1 + filled} of 14 days entered").is_visible()
    page.keyboard.press("Control+z")  # the fill goes
    assert page.get_by_text("1 of 14 days entered").is_visible()
    assert page.get_by_label(f"{days[0]:%A} {days[0].day} {days[0]:%B %Y}").input_value() == "5"
    page.get_by_role("button", name="Undo").click()  # then the first entry
    assert page.get_by_text("0 of 14 days entered").is_visible()
    assert page.get_by_label(f"{days[0]:%A} {days[0].day} {days[0]:%B %Y}").input_value() == ""
    assert not DrinkingRecord.objects.exists()


def test_a_refused_day_is_shown_at_the_day_and_the_page_fits_a_tablet(web, coordinator, randomised):
    days = _period(randomised, 28)
    web.sign_in(coordinator)
    _open(web, randomised, days)
    page = web.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    page.keyboard.type("1001g")
    page.keyboard.press("Enter")
    page.keyboard.press("m")
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    summary = page.locator(".error-summary")
    assert "plausible maximum" in summary.inner_text()
    day = page.get_by_label(f"{days[0]:%A} {days[0].day} {days[0]:%B %Y}")
    assert day.get_attribute("aria-invalid") == "true"
    assert "plausible maximum" in page.locator(f"#id_day-{days[0].isoformat()}_error").inner_text()
    assert not DrinkingRecord.objects.exists()
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_changing_a_recorded_day_asks_for_the_reason_before_it_is_saved(web, coordinator, randomised):
    from outcomes import services

    days = _period(randomised, 7)
    services.drinking_days_record(
        actor=coordinator,
        participant=randomised,
        days=[services.DayEntry(day=d, amount=Decimal(0), unit="uk_unit") for d in days],
    )
    web.sign_in(coordinator)
    _open(web, randomised, days)
    page = web.page
    assert page.get_by_text("7 of 7 days entered").is_visible()
    day = page.get_by_label(f"{days[2]:%A} {days[2].day} {days[2]:%B %Y}")
    assert day.input_value() == "0"
    day.focus()
    page.keyboard.type("6")  # the 0 is selected on focus: typing replaces it
    page.keyboard.press("Enter")
    assert "1 recorded day changes" in page.locator(".tlfb-status").inner_text()
    with page.expect_navigation():
        page.keyboard.press("Control+Enter")
    assert page.get_by_label(f"{days[2]:%A} {days[2].day} {days[2]:%B %Y}").get_attribute("aria-invalid") == "true"
    assert "say why it changes" in page.locator(".error-summary").inner_text()
    assert DrinkingRecord.objects.get(participant=randomised, day=days[2]).grams == 0
    assert serious_violations(page) == []
    page.get_by_label("Reason for changing recorded days").fill("recalled a wedding")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the period").click()
    page.get_by_text("7 days saved").wait_for()
    record = DrinkingRecord.objects.get(participant=randomised, day=days[2])
    assert (record.grams, record.change_reason) == (Decimal(48), "recalled a wedding")
