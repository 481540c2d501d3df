"""A data query worked in the browser at a tablet's width: a monitor raises a query on a drinking
day from the casebook, the coordinator corrects the day with a reason in the calendar (which answers
the query), and the monitor closes it. Each page is axe clean, kept to the keyboard where it is
typed, and shows the blinded coordinator no word of the drug."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from core.clock import today_at
from outcomes import services
from outcomes.models import DrinkingRecord
from review.models import Query
from tests.browser import hidden_words_in, serious_violations

pytestmark = pytest.mark.browser

HIDDEN_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE", "mg"]


def _label(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_monitor_raises_a_query_the_coordinator_corrects_the_day_and_the_monitor_closes(
    web, coordinator, randomised, make_user, kare
):
    today = today_at(randomised.site)
    days = [today - dt.timedelta(days=n) for n in range(7, 0, -1)]
    services.drinking_days_record(
        actor=coordinator,
        participant=randomised,
        days=[services.DayEntry(day=d, amount=Decimal(0), unit="uk_unit") for d in days],
    )
    queried = DrinkingRecord.objects.get(participant=randomised, day=days[2])
    monitor = make_user("monitor", kare)
    page = web.page

    # The monitor raises the query from the casebook, at the keyboard.
    web.sign_in(monitor)
    assert web.open(f"/participants/{randomised.study_id}/").status == 200
    page.locator("summary", has_text="Raise a query on a record").click()
    page.get_by_role("link", name=f"Drinking on {queried.day:%-d %b %Y}").click()
    page.get_by_role("heading", name="Raise a query").wait_for()
    assert serious_violations(page) == []
    assert _fits(page)
    page.get_by_label("What is queried").select_option("grams")
    page.get_by_label("The question").focus()
    page.keyboard.type("The diary on file says 2 units that day.")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = Query.objects.get()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    assert page.get_by_text("Open", exact=True).is_visible()
    assert serious_violations(page) == []

    # The coordinator sees it, and corrects the day with a reason in the calendar.
    web.sign_in(coordinator)
    web.open("/")
    page.get_by_role("link", name=f"{randomised.study_id}: Drinking day, grams of alcohol").click()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, HIDDEN_WORDS) == []
    assert _fits(page)
    calendar = urlencode({"start": days[0].isoformat(), "end": days[-1].isoformat()})
    web.open(f"/participants/{randomised.study_id}/drinking/?{calendar}")
    day = page.get_by_label(_label(days[2]))
    day.focus()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    page.get_by_label("Reason for changing recorded days").fill("the diary says 2 units")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the period").click()
    page.get_by_text("7 days saved").wait_for()
    query.refresh_from_db()
    assert query.state == "answered"
    assert query.messages.last().text == "the diary says 2 units"

    # Only the monitor may close it: the coordinator is offered no such action.
    web.open(f"/queries/{query.pk}/")
    assert page.get_by_role("button", name="Close the query").count() == 0
    web.sign_in(monitor)
    web.open(f"/queries/{query.pk}/")
    assert page.get_by_text("Answered by a correction").is_visible()
    page.get_by_label("A note on closing (optional)").focus()
    page.keyboard.type("Matches the diary now.")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_text(f"Query {query.pk} closed.").wait_for()
    assert Query.objects.get(pk=query.pk).state == "closed"
    assert serious_violations(page) == []
