"""The correction forms in the browser, at the keyboard: a recorded infusion's volume and a recorded
session's attendance corrected with a reason, a correction without one refused at its field; axe on
each page; no drug word or dose in a blinded coordinator's DOM."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from participants.models import InfusionSession, TherapySession
from tests.browser import hidden_words_in, serious_violations
from tests.participants.pages.test_schedule_pages_browser import DRUG_WORDS, type_into
from tests.participants.visits_fixtures import Clinic, client_for


@pytest.fixture
def clinic(web, people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


def _recorded_day(clinic):
    """A participant whose first infusion day (the visit, the infusion, its session) is recorded."""
    participant = clinic.in_arm("KT")
    api = client_for(clinic.coordinator)
    clinic.attend(api, participant, "V2", 7)
    assert clinic.infuse(api, participant, "V2", 7, weight="80.0").status_code == 201
    appointment = clinic.appointment(participant, "V2")
    body = {"session_number": 1, "attended": True, "minutes": 90}
    assert api.post(f"/api/appointments/{appointment.pk}/session/", body, format="json").status_code == 201
    return participant, appointment


def test_a_coordinator_corrects_an_infusions_volume_and_a_sessions_attendance_at_the_keyboard(web, clinic):
    participant, appointment = _recorded_day(clinic)
    dose = str(InfusionSession.objects.get(visit__appointment=appointment).dose_mg)
    page = web.page
    web.sign_in(clinic.coordinator)
    web.open(f"/appointments/{appointment.pk}/infusion-day/")
    page.get_by_role("heading", name="Correct the infusion").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, [*DRUG_WORDS, dose]) == []
    type_into(page, "Volume infused (ml)", "45.5")
    page.get_by_role("button", name="Save the correction").press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator("#id_reason_error").inner_text().strip().endswith("This field is required.")
    assert serious_violations(page) == []
    assert InfusionSession.objects.get(visit__appointment=appointment).volume_ml == Decimal("50.0")
    type_into(page, "Reason for the change", "the pump log shows 45.5 ml")
    page.keyboard.press("Tab")  # from the reason to the button that saves
    page.keyboard.press("Enter")
    page.get_by_text("the infusion is corrected").wait_for()
    assert InfusionSession.objects.get(visit__appointment=appointment).volume_ml == Decimal("45.5")
    assert hidden_words_in(page, [*DRUG_WORDS, dose]) == []

    web.open(f"/appointments/{appointment.pk}/session/")
    page.get_by_role("heading", name="Correct the session").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_label("Attended", exact=True).focus()
    page.keyboard.press("ArrowDown")  # the radio group's next choice: did not attend
    assert page.get_by_label("Did not attend").is_checked()
    type_into(page, "Length (minutes)", "0")
    type_into(page, "Reason for the change", "the participant left before the session")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.attended, session.minutes) == (False, 0)
