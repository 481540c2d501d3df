"""Verification and signing in the browser, at the keyboard on a tablet: the monitor verifies an
infusion from the participant's verification page (htmx swaps its row), the investigator signs the
casebook, a coordinator's correction of a visit makes the signature invalid, and the investigator
signs again. Each page passes axe, fits 768 pixels, and shows the monitor no word of the drug."""

from __future__ import annotations

import datetime as dt
import re

from participants.models import InfusionSession, Visit
from review.models import Signature, VerificationMark
from tests.browser import hidden_words_in, keyboard_problems, serious_violations
from tests.conftest import PASSWORD
from tests.core.conftest import code_for

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 768


def _checked(page) -> None:
    assert serious_violations(page) == []
    assert _fits(page)


def _sign(web, reviewed, participant, meaning: str) -> None:
    page = web.page
    web.open(f"/participants/{participant.study_id}/")
    page.get_by_role("link", name="Sign this casebook or a visit").focus()
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"Sign for {participant.study_id}").wait_for()
    _checked(page)
    page.get_by_role("radio", name=re.compile(meaning)).focus()
    page.keyboard.press("Space")
    page.get_by_label("Your password").focus()
    page.keyboard.type(PASSWORD)
    page.get_by_label("Code from your authenticator app").focus()
    page.keyboard.type(code_for(reviewed.device))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))


def test_verify_sign_invalidate_and_sign_again(web, reviewed):
    page = web.page
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    participant = infusion.visit.appointment.participant

    web.sign_in(reviewed.monitor)
    web.open(f"/participants/{participant.study_id}/monitoring/")
    page.get_by_role("heading", name=f"Source data verification of {participant.study_id}").wait_for()
    _checked(page)
    assert keyboard_problems(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.locator(f"#verify-infusion-{infusion.pk}").focus()
    page.keyboard.press("Enter")
    page.locator(f"#record-infusion-{infusion.pk}").get_by_text("Verified", exact=True).wait_for()
    assert VerificationMark.objects.filter(kind="infusion", record_id=infusion.pk).exists()
    assert hidden_words_in(page, DRUG_WORDS) == []

    web.sign_in(reviewed.investigator)
    _sign(web, reviewed, participant, "Approval")
    signatures = page.get_by_role("region", name="Signatures")
    signatures.get_by_text("Valid", exact=True).wait_for()
    assert "Ada Lovelace" in signatures.inner_text()
    _checked(page)

    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    web.sign_in(reviewed.coordinator)
    web.open(f"/appointments/{visit.appointment.pk}/visit/")
    page.get_by_label("Date of the visit").fill((visit.actual_date - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Reason for the change").focus()
    page.keyboard.type("the date was copied from the wrong sheet")
    page.get_by_role("button", name="Save the correction").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    page.get_by_role("region", name="Signatures").get_by_text("Invalid: changed since signed").wait_for()

    web.sign_in(reviewed.investigator)
    web.open("/signing/")
    page.get_by_role("cell", name=re.compile("Invalid")).first.wait_for()
    _checked(page)
    _sign(web, reviewed, participant, "Responsibility")
    signatures = page.get_by_role("region", name="Signatures")
    signatures.get_by_text("Valid", exact=True).wait_for()
    assert signatures.get_by_text("Invalid: changed since signed").count() == 1
    assert list(Signature.objects.values_list("meaning", flat=True)) == ["approval", "responsibility"]
