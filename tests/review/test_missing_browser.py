"""Saying why items are empty, in the browser at a tablet's width and at the keyboard: the
coordinator goes from the infusion day to the reasons page, says the dissociation score was not
done, and the infusion day shows it; the page passes axe, fits 768 pixels and is walked by Tab.
And a day typed ``?`` in the calendar is drawn as not remembered."""

from __future__ import annotations

import re

from participants.models import InfusionSession
from tests.browser import keyboard_problems, serious_violations


def _checked(page) -> None:
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 768


def test_the_coordinator_says_why_the_dissociation_score_is_empty(web, reviewed):
    page = web.page
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    InfusionSession.objects.filter(pk=infusion.pk).update(dissociation_score=None)
    web.sign_in(reviewed.coordinator)
    web.open(f"/appointments/{infusion.visit.appointment_id}/infusion-day/")
    page.get_by_role("link", name="Say why an item is empty").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Why items are empty").wait_for()
    _checked(page)
    assert keyboard_problems(page) == []
    assert page.get_by_label("Dose given: why it is empty").count() == 0  # blind to the drug
    page.get_by_label("Dissociation score: why it is empty").select_option("not_done")
    page.get_by_label("Dissociation score: note").fill("the participant was asleep")
    page.get_by_role("button", name="Save the reasons").focus()
    page.keyboard.press("Enter")
    page.get_by_text("The reasons are saved.").wait_for()
    _checked(page)
    infusion.refresh_from_db()
    assert infusion.missing == {"dissociation_score": {"code": "not_done", "note": "the participant was asleep"}}
    web.open(f"/appointments/{infusion.visit.appointment_id}/infusion-day/")
    assert page.get_by_text(re.compile(r"Not assessed \(Not done: the participant was asleep\)")).count() == 1


def test_a_day_typed_as_a_question_mark_is_drawn_as_not_remembered(web, reviewed):
    page = web.page
    participant = reviewed.at_exeter[0]
    web.sign_in(reviewed.coordinator)
    web.open(f"/participants/{participant.study_id}/drinking/")
    day = page.locator("input.tlfb-amount:not([readonly])").last
    day.fill("")
    day.focus()
    page.keyboard.type("?")
    cell = day.locator("xpath=ancestor::td[1]")
    assert "state-unknown" in (cell.get_attribute("class") or "")
    assert page.get_by_text("Not remembered (?)").count() == 1
    _checked(page)
