"""The adverse-event pages in the browser: a serious event's fields appear when it is said to be
serious, a refusal is shown beside its field, the event's page shows its reporting clocks; axe on
each page; no drug word in a blinded coordinator's DOM."""

from __future__ import annotations

import re

import pytest

from participants.models import AdverseEvent
from tests.browser import hidden_words_in, serious_violations
from tests.participants.visits_fixtures import Clinic

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]


@pytest.fixture
def clinic(web, people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


def test_a_coordinator_records_a_serious_event_and_sees_its_clocks(web, clinic):
    participant = clinic.randomised()
    page = web.page
    web.sign_in(clinic.coordinator)
    web.open(f"/participants/{participant.study_id}/adverse-events/new/")
    page.get_by_role("heading", name="Record an adverse event").wait_for()
    assert serious_violations(page) == []
    page.get_by_label("Term").focus()
    page.keyboard.type("Pneumonia")
    page.get_by_label("CTCAE grade").focus()
    page.keyboard.type("3")
    page.get_by_role("group", name="Relation to the study drug").get_by_label("Unlikely related").check()
    page.get_by_role("group", name="Relation to the psychological intervention").get_by_label("Not related").check()
    page.get_by_label("Unexpected").check()
    criteria = page.get_by_role("group", name="Seriousness criteria")
    assert criteria.is_hidden()
    page.get_by_label("Serious", exact=True).check()
    criteria.wait_for(state="visible")
    page.get_by_role("button", name="Save the adverse event").press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "Choose every criterion" in page.locator("#id_seriousness_error").inner_text()
    assert criteria.is_visible()
    assert serious_violations(page) == []
    page.get_by_label("Hospitalisation or its prolongation").check()
    page.get_by_role("button", name="Save the adverse event").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    ae = AdverseEvent.objects.get(participant=participant)
    assert (ae.seriousness, ae.grade, ae.susar) == (["hospitalisation"], 3, False)
    web.open(f"/adverse-events/{ae.pk}/")
    page.get_by_role("heading", name="Adverse event: Pneumonia").wait_for()
    assert page.get_by_role("button", name="Record the report to the sponsor").is_visible()
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert serious_violations(page) == []
