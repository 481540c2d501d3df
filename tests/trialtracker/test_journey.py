"""The whole of a coordinator's work on one participant, in the browser, at a tablet, as the issue
that asked for the pages describes it: screening, consent and enrolment, the baseline, randomisation,
the infusion day with a reading past its threshold and the adverse event it prompts, a session, 28
days of timeline follow-back typed at the keyboard (counted), a follow-up visit and a correction with
a reason; then an investigator downloads an export and opens the report. The calendar moves on with
the trial (the server's clock travels; the person signs in again, as they would days later).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine

from core.clock import today_at
from outcomes.models import DrinkingRecord
from participants.models import AdverseEvent, InfusionSession, Participant, TherapySession, Visit
from tests.browser import Keys, hidden_words_in, serious_violations
from tests.participants.conftest import eligible_answers

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE"]


def checked(page) -> None:
    assert serious_violations(page) == [], page.url
    assert hidden_words_in(page, DRUG_WORDS) == [], page.url


def enter(page, locator, key: str = "Enter") -> None:
    locator.focus()
    page.keyboard.press(key)


def retype(page, label: str, text: str, *, exact: bool = False) -> None:
    page.get_by_label(label, exact=exact).focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


@pytest.fixture
def trial_with_history(kare):
    """KARE with eight participants already through follow-up (so the report has something to say)."""
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=11)
    simulation.add_staff()
    simulation.follow(simulation.recruit(8))
    return kare


def enrol_and_randomise(web, trial) -> Participant:
    page = web.page
    day = (today_at(trial.sites.get(code="exeter")) - dt.timedelta(days=1)).isoformat()
    web.open("/")
    enter(page, page.get_by_role("link", name="Screen someone new"))
    page.get_by_label("Site").select_option("exeter")
    page.get_by_label("Date of screening").fill(day)
    for code, included in eligible_answers(trial).items():
        enter(page, page.locator(f"#id_answer_{code}_{0 if included else 1}"), "Space")
    enter(page, page.get_by_role("button", name="Record the screening"))
    page.get_by_role("heading", name=re.compile(r"^Screening S\d+")).wait_for()
    checked(page)
    enter(page, page.get_by_role("link", name="Enrol this person"))
    enter(page, page.locator("#id_sex_1"), "Space")
    page.get_by_label("Date of consent").fill(day)
    page.get_by_label("First name").fill("Ada")
    page.keyboard.press("Tab")
    page.keyboard.type("Lovelace")
    page.keyboard.press("Tab")
    page.keyboard.type("36")
    page.get_by_label("Mobile phone").fill("+447700900123")
    page.keyboard.press("Enter")
    page.get_by_text("enrolled.").wait_for()
    enter(page, page.get_by_role("link", name="Record the baseline"))
    page.get_by_label("Date of the baseline assessment").fill(day)
    page.get_by_label("Weight (kg)").fill("80.0")
    page.keyboard.press("Enter")
    page.get_by_text("Baseline recorded.").wait_for()
    enter(page, page.get_by_role("link", name="Randomise"))
    page.get_by_text("cannot be undone").wait_for()
    checked(page)
    enter(page, page.get_by_role("button", name="Confirm: randomise"))
    page.get_by_text("is randomised on").wait_for()
    checked(page)
    return Participant.objects.select_related("site").get(
        identity__isnull=False, study_id=page.url.rstrip("/").rsplit("/", 1)[-1]
    )


def infusion_day_with_a_breach(web, participant) -> InfusionSession:
    page = web.page
    web.open(f"/participants/{participant.study_id}/")
    enter(page, page.get_by_role("link", name="Record V2"))
    page.get_by_role("heading", name="Infusion 1 and session 1: infusion day").wait_for()
    checked(page)
    retype(page, "Weight (kg)", "80.0")
    page.keyboard.press("Tab")
    page.keyboard.type("0.00")
    retype(page, "Volume infused (ml)", "50")
    page.get_by_label("Infusion started").fill("10:00")
    page.get_by_label("Infusion stopped").fill("10:40")
    page.get_by_label("Row 1: Systolic (mmHg)").focus()
    for value in ("122", "78", "70", "98"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("195")
    page.locator("#id_vitals-1-systolic_warning").wait_for(state="visible")
    for value in ("95", "80", "97"):
        page.keyboard.press("Tab")
        page.keyboard.type(value)
    retype(page, "Length (minutes)", "90")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Readings past the safety threshold").wait_for()
    infusion = InfusionSession.objects.get(visit__appointment__participant=participant)
    # the dose in milligrams, and the bare number where it cannot be mistaken (a placebo's 0.00 is
    # also the breath alcohol shown on the same page)
    dose_words = [f"{infusion.dose_mg} mg", *([str(infusion.dose_mg)] if infusion.dose_mg else [])]
    assert hidden_words_in(page, [*DRUG_WORDS, *dose_words]) == []
    enter(page, page.get_by_role("link", name="Record the adverse event"))
    page.get_by_role("heading", name="Record an adverse event").wait_for()
    checked(page)
    retype(page, "Term", "Hypertension")
    retype(page, "CTCAE grade", "2")
    page.get_by_role("group", name="Relation to the study drug").get_by_label("Possibly related").check()
    page.get_by_role("group", name="Relation to the psychological intervention").get_by_label("Not related").check()
    page.get_by_label("Expected", exact=True).check()
    page.get_by_label("Not serious").check()
    page.get_by_role("button", name="Save the adverse event").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    return infusion


def a_session(web, participant) -> None:
    page = web.page
    appointment = participant.appointments.get(event_code="V3")
    web.open(f"/appointments/{appointment.pk}/visit/")
    page.get_by_label("Attended", exact=True).check()
    page.get_by_role("button", name="Save the visit").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    web.open(f"/appointments/{appointment.pk}/session/")
    checked(page)
    page.get_by_label("Attended", exact=True).check()
    retype(page, "Length (minutes)", "85")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))


def twenty_eight_days(web, participant) -> int:
    """Types 28 days at the keyboard; returns the keys it took."""
    page = web.page
    today = today_at(participant.site)
    first, last = today - dt.timedelta(days=28), today - dt.timedelta(days=1)
    web.open(f"/participants/{participant.study_id}/drinking/?start={first.isoformat()}&end={last.isoformat()}")
    checked(page)
    keys = Keys(page)
    keys.type("4")  # four units on the first day
    keys.press("Enter")
    keys.press("w")  # the rest of that week abstinent
    keys.type("24g")  # grams on the Monday
    keys.press("Enter")
    keys.press("m")  # abstinent up to the next marker day (or the end), then on
    while not page.get_by_text("28 of 28 days entered").is_visible():
        keys.press("m")
    focused = page.evaluate("document.activeElement.id")
    if focused != "tlfb-save":
        keys.press("Control+Enter")
    else:
        with page.expect_navigation():
            keys.press("Enter")
    page.get_by_text("28 days saved").wait_for()
    return keys.count


def follow_up_and_correct(web, participant) -> Visit:
    page = web.page
    appointment = participant.appointments.get(event_code="V9")
    web.open(f"/appointments/{appointment.pk}/visit/")
    checked(page)
    page.get_by_label("Attended", exact=True).check()
    page.get_by_role("button", name="Save the visit").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    visit = Visit.objects.get(appointment=appointment)
    web.open(f"/appointments/{appointment.pk}/visit/")
    page.get_by_role("heading", name="Correct the visit").wait_for()
    page.get_by_label("Date of the visit").fill((visit.actual_date - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Save the correction").press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()  # no reason given: refused
    checked(page)
    page.get_by_label("Reason for the change").fill("Seen the day before; the date was typed wrong")
    page.get_by_role("button", name="Save the correction").press("Enter")
    page.wait_for_url(re.compile(rf"/participants/{participant.study_id}/$"))
    return visit


def test_a_coordinator_takes_a_participant_from_screening_to_follow_up_and_an_investigator_reads_the_results(
    web, trial_with_history, make_user, tmp_path
):
    trial = trial_with_history
    coordinator = make_user("coordinator", trial, sites=["exeter"])
    now = dt.datetime.now(dt.UTC)
    web.sign_in(coordinator)
    participant = enrol_and_randomise(web, trial)

    with time_machine.travel(now + dt.timedelta(days=7), tick=True):
        web.sign_in(coordinator)
        infusion = infusion_day_with_a_breach(web, participant)
        assert infusion.safety_flags == ["systolic 195 > 180 mmHg during (minute 15)"]
        ae = AdverseEvent.objects.get(participant=participant)
        assert (ae.term, ae.infusion_id) == ("Hypertension", infusion.pk)

    with time_machine.travel(now + dt.timedelta(days=14), tick=True):
        web.sign_in(coordinator)
        a_session(web, participant)
        assert TherapySession.objects.filter(visit__appointment__participant=participant).count() == 2

    with time_machine.travel(now + dt.timedelta(days=91), tick=True):
        web.sign_in(coordinator)
        keys = twenty_eight_days(web, participant)
        assert keys <= 2 * 28, keys
        print(f"\n28 days of timeline follow-back typed and saved with {keys} keystrokes")
        saved = DrinkingRecord.objects.filter(participant=participant, source="tlfb")
        assert saved.count() == 28
        assert {(r.amount, r.unit) for r in saved if r.amount} == {(Decimal(4), "uk_unit"), (Decimal(24), "g")}
        visit = follow_up_and_correct(web, participant)
        corrected = Visit.objects.get(pk=visit.pk)
        assert corrected.actual_date == visit.actual_date - dt.timedelta(days=1)
        web.open(f"/participants/{participant.study_id}/")
        assert web.page.get_by_text("Seen the day before; the date was typed wrong").count() >= 1

    investigator = make_user("investigator", trial)
    web.sign_in(investigator)
    page = web.page
    web.open(f"/trials/{trial.code}/")
    checked(page)
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV file of Drinking endpoints, per participant and window").click()
    saved_file = tmp_path / info.value.suggested_filename
    info.value.save_as(saved_file)
    assert participant.study_id in saved_file.read_text()
    page.get_by_role("link", name="Open the analysis report").click()
    page.get_by_role("heading", name=f"Analysis report of {trial.code}").wait_for()
    checked(page)
