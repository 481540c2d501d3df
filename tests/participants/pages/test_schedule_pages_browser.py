"""The schedule pages in the browser: the infusion day typed at the keyboard with a reading past its
threshold, the warning that appears while typing, the prompt that leads to the adverse event; the
visit and session pages; axe on each page; no drug word or dose in a blinded coordinator's DOM."""

from __future__ import annotations

import re

import pytest

from participants.models import AdverseEvent, InfusionSession, TherapySession, Visit
from tests.browser import hidden_words_in, serious_violations
from tests.participants.visits_fixtures import Clinic, client_for

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]


@pytest.fixture
def clinic(web, people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


def type_into(page, label: str, text: str, *, exact: bool = False) -> None:
    field = page.get_by_label(label, exact=exact)
    field.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_coordinator_types_an_infusion_day_with_a_breach_and_records_its_adverse_event(web, clinic):
    participant = clinic.in_arm("KT", ago=7)  # infusion 1 is due today
    appointment = clinic.appointment(participant, "V2")
    page = web.page
    web.sign_in(clinic.coordinator)
    web.open(f"/appointments/{appointment.pk}/infusion-day/")
    page.get_by_role("heading", name="Infusion 1 and session 1: infusion day").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    type_into(page, "Weight (kg)", "80.0")
    page.keyboard.press("Tab")
    page.keyboard.type("0.00")
    type_into(page, "Volume infused (ml)", "50")
    # A time field's segments follow the browser's locale: filled whole rather than typed.
    page.get_by_label("Infusion started").fill("10:00")
    page.get_by_label("Infusion stopped").fill("10:40")
    warning = page.locator("#id_vitals-1-systolic_warning")
    page.get_by_label("Row 1: Systolic (mmHg)").focus()
    for row, readings in enumerate((["122", "78", "70", "98"], ["19"])):
        for i, value in enumerate(readings):
            page.keyboard.type(value)
            if i < len(readings) - 1:
                page.keyboard.press("Tab")
        if row == 0:
            page.keyboard.press("Tab")  # the next row's phase
            page.keyboard.press("Tab")  # and its minute
            page.keyboard.press("Tab")
    assert warning.is_hidden()  # 19 is not past 180: nothing said too early
    page.keyboard.type("5")
    warning.wait_for(state="visible")
    assert "Above the threshold of 180 mmHg" in warning.inner_text()
    assert page.locator("#breach-prompt").is_visible()
    for value in ("95", "80", "97"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    assert serious_violations(page) == []
    type_into(page, "Length (minutes)", "90")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Readings past the safety threshold").wait_for()
    infusion = InfusionSession.objects.get(visit__appointment=appointment)
    assert infusion.safety_flags == ["systolic 195 > 180 mmHg during (minute 15)"]
    assert TherapySession.objects.filter(visit=infusion.visit).exists()
    assert hidden_words_in(page, [*DRUG_WORDS, str(infusion.dose_mg)]) == []
    assert serious_violations(page) == []
    page.get_by_role("link", name="Record the adverse event").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Record an adverse event").wait_for()
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert serious_violations(page) == []
    type_into(page, "Term", "Hypertension")
    type_into(page, "CTCAE grade", "2")
    page.get_by_role("group", name="Relation to the study drug").get_by_label("Possibly related").check()
    page.get_by_role("group", name="Relation to the psychological intervention").get_by_label("Not related").check()
    page.get_by_label("Expected", exact=True).check()
    page.get_by_label("Not serious").check()
    assert page.get_by_text("Seriousness criteria").is_hidden()
    page.get_by_role("button", name="Save the adverse event").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    ae = AdverseEvent.objects.get(participant=participant)
    assert (ae.term, ae.infusion_id, ae.serious) == ("Hypertension", infusion.pk, False)


def test_a_pharmacist_sees_the_dose_follow_the_weight(web, clinic):
    participant = clinic.in_arm("KT", ago=7)
    appointment = clinic.appointment(participant, "V2")
    page = web.page
    web.sign_in(clinic.user("pharmacist"))
    web.open(f"/appointments/{appointment.pk}/infusion-day/")
    type_into(page, "Weight (kg)", "80.0")
    page.get_by_text("Dose: 64.00 mg").wait_for()
    type_into(page, "Weight (kg)", "150")
    page.get_by_text("Dose: 100.00 mg").wait_for()
    assert serious_violations(page) == []


def test_a_coordinator_records_a_visit_and_a_session_at_the_keyboard(web, clinic):
    participant = clinic.randomised(ago=14)
    api = client_for(clinic.coordinator)
    clinic.attend(api, participant, "V2", 7)
    appointment = clinic.appointment(participant, "V3")  # session 2, due a week after V2
    page = web.page
    web.sign_in(clinic.coordinator)
    web.open(f"/appointments/{appointment.pk}/visit/")
    page.get_by_role("heading", name="Session 2: visit").wait_for()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert page.get_by_label("Why was the visit missed?").is_hidden()
    page.get_by_label("Did not attend").check()
    assert page.get_by_label("Why was the visit missed?").is_visible()
    page.get_by_label("Attended", exact=True).check()
    page.get_by_role("button", name="Save the visit").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    assert Visit.objects.get(appointment=appointment).attended
    web.open(f"/appointments/{appointment.pk}/visit/")
    page.get_by_role("heading", name="Correct the visit").wait_for()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Save the correction").press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.locator("#id_reason_error").inner_text().strip().endswith("This field is required.")
    assert serious_violations(page) == []
    web.open(f"/appointments/{appointment.pk}/session/")
    page.get_by_role("heading", name="Session 2: session").wait_for()
    assert (
        page.get_by_text("Mindfulness-based relapse prevention").count() + page.get_by_text("Alcohol education").count()
        >= 1
    )
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert serious_violations(page) == []
    page.get_by_label("Attended", exact=True).check()
    type_into(page, "Length (minutes)", "85")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.session_number, session.minutes) == (1, 85)  # the first session recorded
