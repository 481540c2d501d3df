"""The participant pages in Chromium: a coordinator screens, enrols, records the baseline and
randomises with the keyboard alone; every page is free of serious accessibility problems, and a
coordinator blind to the drug finds no word of it anywhere in any page's DOM."""

from __future__ import annotations

from tests.browser import hidden_words_in, serious_violations
from tests.participants.conftest import days_ago, eligible_answers

# KARE's drug levels, the arm codes naming them, the regimen's drugs and the dose's unit.
DRUG_WORDS = ["ketamine", "placebo", "KT", "KE", "PT", "PE", "hydrochloride", "sodium chloride", "mg/kg"]


def press(page, locator, key: str = "Enter") -> None:
    locator.focus()
    page.keyboard.press(key)


def checked_page(page) -> None:
    """The page a blinded coordinator is on: nothing serious for axe, nothing of the drug."""
    assert serious_violations(page) == [], page.url
    assert hidden_words_in(page, DRUG_WORDS) == [], page.url


def test_a_coordinator_screens_enrols_and_randomises_with_the_keyboard(web, kare, coordinator, lists):
    page = web.page
    web.sign_in(coordinator)
    day = days_ago(1).isoformat()

    web.open("/screenings/new/")
    page.get_by_label("Site").select_option("exeter")
    page.get_by_label("Date of screening").fill(day)
    for index, (code, included) in enumerate(eligible_answers(kare).items()):
        press(page, page.locator(f"#id_answer_{code}_{0 if included else 1}"), "Space")
        if index == 0:
            checked_page(page)
    press(page, page.get_by_role("button", name="Record the screening"))
    page.get_by_role("heading", name="Screening S00001").wait_for()
    checked_page(page)

    press(page, page.get_by_role("link", name="Enrol this person"))
    page.get_by_role("heading", name="Enrol from screening S00001").wait_for()
    press(page, page.locator("#id_sex_1"), "Space")
    page.get_by_label("Date of consent").fill(day)
    page.get_by_label("First name").fill("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("Lovelace")
    page.keyboard.press("Tab")
    page.keyboard.type("36")
    page.get_by_label("Mobile phone").fill("+447700900123")
    page.keyboard.press("Enter")
    page.get_by_text("enrolled.").wait_for()
    checked_page(page)

    press(page, page.get_by_role("link", name="Record the baseline"))
    page.get_by_label("Date of the baseline assessment").fill(day)
    page.get_by_label("Weight (kg)").fill("71.5")
    page.keyboard.press("Enter")
    page.get_by_text("Baseline recorded.").wait_for()

    press(page, page.get_by_role("link", name="Randomise"))
    page.get_by_text("cannot be undone").wait_for()
    checked_page(page)
    press(page, page.get_by_role("button", name="Confirm: randomise"))
    page.get_by_text("is randomised on").wait_for()
    assert page.get_by_role("heading", name="Schedule").is_visible()
    assert page.get_by_text("Today,").count() == 1
    checked_page(page)


def test_a_refused_form_shows_its_errors_accessibly(web, people, coordinator):
    participant = people.enrol()
    page = web.page
    web.sign_in(coordinator)
    web.open(f"/participants/{participant.study_id}/baseline/")
    page.get_by_label("Weight (kg)").fill("400")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator(".error-summary").evaluate("el => el === document.activeElement")
    assert page.locator("#id_weight_kg_error").inner_text().endswith("The protocol accepts 30 to 250 kg.")
    checked_page(page)


def test_every_participant_page_is_accessible_and_blind_to_the_drug(web, people, coordinator, lists):
    randomised = people.randomised()
    ready = people.ready()
    screening = people.screen()
    web.sign_in(coordinator)
    paths = [
        "/participants/",
        "/participants/?status=randomised&therapy=therapy",
        f"/participants/{randomised.study_id}/",
        f"/participants/{ready.study_id}/",
        "/screenings/new/",
        f"/screenings/{screening.pk}/",
        f"/screenings/{screening.pk}/enrol/",
        f"/participants/{ready.study_id}/consent/",
        f"/participants/{ready.study_id}/baseline/",
        f"/participants/{ready.study_id}/randomise/",
        f"/participants/{randomised.study_id}/randomise/",
        f"/participants/{randomised.study_id}/withdraw/",
        f"/participants/{randomised.study_id}/contact/",
    ]
    for path in paths:
        response = web.open(path)
        assert response.status == 200, path
        checked_page(web.page)


def test_the_list_filters_as_the_coordinator_types(web, people, coordinator):
    wanted, other = people.enrol(), people.enrol()
    page = web.page
    web.sign_in(coordinator)
    web.open("/participants/")
    page.get_by_text("2 participants.").wait_for()
    page.get_by_label("Study id").focus()
    page.keyboard.type(wanted.study_id)
    page.get_by_text("1 participant.").wait_for()
    assert page.get_by_role("link", name=wanted.study_id).is_visible()
    assert page.get_by_role("link", name=other.study_id).count() == 0
    assert f"search={wanted.study_id}" in page.url  # the filtered list has an address of its own
    assert page.evaluate("document.activeElement.id") == "id_search"  # typing goes on where it was
    page.get_by_label("Status").select_option("randomised")
    page.get_by_text("0 participants.").wait_for()
    checked_page(page)
