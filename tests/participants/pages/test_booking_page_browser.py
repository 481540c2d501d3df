"""The booking page in the browser: opened from the dashboard, typed at the keyboard (Tab, type,
Enter), back on the dashboard with the time and place in today's list; axe on each page at a
tablet's width; no drug word in a blinded coordinator's DOM."""

from __future__ import annotations

import pytest

from tests.browser import TABLET, hidden_words_in, serious_violations
from tests.participants.visits_fixtures import Clinic

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]


@pytest.fixture
def clinic(web, people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


def test_a_coordinator_books_at_the_keyboard_and_sees_the_booking_on_the_dashboard(web, clinic):
    participant = clinic.randomised(ago=7)  # infusion 1 is booked for today, with no time yet
    v2 = clinic.appointment(participant, "V2")
    page = web.page
    assert page.viewport_size == TABLET
    web.sign_in(clinic.coordinator)
    web.open("/")
    today = page.locator("section", has=page.get_by_role("heading", name="Today"))
    book = today.get_by_role("link", name=f"Book {participant.study_id} V2")
    book.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Infusion 1 and session 1: booking").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_label("Date", exact=True).focus()
    # the date booked stays: Tab through its parts (as many as the browser's locale gives it)
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") != "id_booked_date":
            break
    assert page.evaluate("document.activeElement.id") == "id_booked_time"
    page.keyboard.type("09:30")
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("Exeter, room 4")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()
    row = today.get_by_role("row").filter(has_text=participant.study_id)
    assert "09:30" in row.inner_text()
    assert "Exeter, room 4" in row.inner_text()
    assert row.get_by_role("link", name=f"Rebook {participant.study_id} V2").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert serious_violations(page) == []
    v2.refresh_from_db()
    assert (v2.booked_time.strftime("%H:%M"), v2.place) == ("09:30", "Exeter, room 4")
    # the casebook's schedule shows the booking; the page still fits the tablet
    web.open(f"/participants/{participant.study_id}/")
    schedule = page.locator(".table-scroll[aria-labelledby=schedule-title]")
    assert "09:30" in schedule.inner_text()
    assert "Exeter, room 4" in schedule.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert serious_violations(page) == []


def test_a_refused_booking_says_why_next_to_the_field_and_passes_axe(web, clinic):
    v9 = clinic.appointment(clinic.randomised(), "V9")
    page = web.page
    web.sign_in(clinic.coordinator)
    web.open(f"/appointments/{v9.pk}/booking/")
    page.get_by_label("Time").focus()
    page.keyboard.type("25:61")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator("#id_booked_time_error").inner_text().strip() != ""
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
