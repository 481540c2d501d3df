"""The coding page in the browser, at a tablet's width and with the keyboard only: the search fills
its results as the name is typed, a term is chosen and the event coded; axe on each page; no drug
word in the DOM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone

from participants.safety import services as safety
from participants.safety.dictionaries import dictionary_load
from tests.browser import hidden_words_in, keyboard_problems, serious_violations
from tests.participants.visits_fixtures import Clinic

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]
MEDDRA = Path(__file__).parents[1] / "dictionaries" / "meddra"


@pytest.fixture
def clinic(web, people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


def test_a_data_manager_codes_an_event_with_the_keyboard_alone(web, clinic):
    dictionary_load(actor=clinic.user("data_manager"), kind="meddra", version="27.1", source=MEDDRA)
    data_manager = clinic.user("data_manager", sites=["exeter"])
    participant = clinic.in_arm("KT")
    ae = safety.adverse_event_record(
        actor=clinic.coordinator,
        participant=participant,
        term="woozy on standing",
        onset_date=participant.allocation.allocated_on,
        grade=1,
        drug_causality="possibly",
        therapy_causality="not_related",
        expected=True,
        aware_at=timezone.now(),
    )
    page = web.page
    web.sign_in(data_manager)
    web.open("/safety/coding/")
    page.get_by_role("heading", name="Adverse-event coding").wait_for()
    assert serious_violations(page) == []
    assert keyboard_problems(page) == []
    link = page.get_by_role("link", name="woozy on standing")
    link.focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Code an adverse event").wait_for()
    page.get_by_role("searchbox", name="Search the dictionary").focus()
    page.keyboard.type("light")
    page.get_by_role("status").filter(has_text="1 term found").wait_for()
    page.keyboard.press("Tab")  # the Search button
    page.keyboard.press("Tab")  # the first term found
    page.keyboard.press("Space")
    assert page.get_by_label(re.compile(r"Light-headed \(LLT")).is_checked()
    assert serious_violations(page) == []
    assert keyboard_problems(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_role("button", name="Code the event").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/safety/coding/$"))
    page.get_by_text("is coded to Light-headed (preferred term Dizziness)").wait_for()
    ae.refresh_from_db()
    assert (ae.term, ae.llt_name, ae.pt_name) == ("woozy on standing", "Light-headed", "Dizziness")
    assert serious_violations(page) == []
