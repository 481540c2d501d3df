"""The diary in the browser at a phone's width (390 pixels): a day saved before is shown read-only,
axe finds nothing serious and Tab reaches every control with its focus seen; a refused form puts
the focus on its error summary and ties each error to its inputs; the answers sent again with one
day not remembered are saved, and that day is stored as unknown."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from outcomes.models import DrinkingRecord
from outcomes.services import DayEntry, drinking_days_record
from participants.randomisation import services as randomisation
from reminders.models import Kind
from tests.browser import keyboard_problems, serious_violations
from tests.participants.conftest import People
from tests.reminders.conftest import Contacts, link_path, pending

PHONE = {"width": 390, "height": 844}
LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def recent(clock, more_kare, staff):
    """A MORE-KARE participant randomised three days ago (at this moment's real date: the browser's
    cookies and the link's signature live in real time), with diary prompts by SMS."""
    clock.go(timezone.now() - dt.timedelta(days=3))
    contacts = Contacts(People(more_kare, staff), staff)
    participant = contacts.enrolled(sex="F")
    contacts.prefer(participant, preferred_time=dt.time(20, 30), email_consent=False)
    randomisation.participant_randomise(actor=staff, participant=participant)
    clock.traveller.stop()
    clock.traveller = None
    call_command("replan_reminders", "--trial", "MORE-KARE", "--system", stdout=StringIO())
    return participant


def _label(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _checked(page, shots, name: str) -> None:
    assert serious_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_a_participant_finishes_the_diary_on_a_phone(web, recent, staff, tmp_path):
    page = web.page
    page.set_viewport_size(PHONE)
    today = timezone.now().astimezone(LONDON).date()
    first, second, third = (today - dt.timedelta(days=n) for n in (3, 2, 1))
    [link, later] = pending(recent).filter(kind=Kind.DIARY)[:2]
    # A paper diary transcribed by staff: the first day is saved already.
    drinking_days_record(
        actor=staff, participant=recent, days=[DayEntry(day=first, amount=Decimal(2), unit="uk_unit")], source="diary"
    )
    assert web.open(link_path(link)).status == 200
    _checked(page, tmp_path, "1-diary")
    pint = page.get_by_role("rowheader", name="A pint of beer, lager or cider 568 ml at 4%")
    assert not pint.is_visible()  # folded away once days are saved: the participant has seen it
    page.locator("summary", has_text="UK units in common drinks").click()
    assert pint.is_visible()
    _checked(page, tmp_path, "1-units")
    assert keyboard_problems(page) == []
    saved_first = page.get_by_role("row", name=_label(first))
    assert saved_first.get_by_role("cell").inner_text() == "2"
    assert page.get_by_label(f"UK units on {_label(first)}").count() == 0

    page.get_by_label(f"UK units on {_label(second)}").fill("3")
    page.get_by_label(f"I don’t remember {_label(second)}").check()
    page.get_by_role("button", name="Send").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.title().startswith("Error: ")
    assert page.evaluate("document.activeElement.className") == "error-summary"
    _checked(page, tmp_path, "2-refused")
    for day, problem in ((second, "not both"), (third, "or tick")):
        amount = page.get_by_label(f"UK units on {_label(day)}")
        assert amount.get_attribute("aria-invalid") == "true"
        message = page.locator(f"#{amount.get_attribute('aria-describedby')}")
        assert problem in message.inner_text()
    page.get_by_role("link", name=f"{_label(third)}: Enter a number").click()
    assert page.evaluate("document.activeElement.id") == f"day_{third.isoformat()}"
    page.keyboard.type("0")
    page.get_by_label(f"UK units on {_label(second)}").fill("")
    assert page.get_by_label(f"I don’t remember {_label(second)}").is_checked()  # kept as sent
    page.get_by_role("button", name="Send").click()
    page.get_by_text("Your answers are saved.").wait_for()
    _checked(page, tmp_path, "3-saved")
    saved = {r.day: (r.amount, r.missing) for r in DrinkingRecord.objects.filter(participant=recent)}
    assert saved[second] == (None, {"amount": {"code": "unknown", "note": ""}})
    assert saved[third][0] == 0

    web.open(link_path(later))
    assert page.get_by_text("You are up to date").count() == 1  # every day of the period is saved


def test_a_spanish_speakers_diary_names_the_unit_in_spanish_and_passes_axe(web, recent, staff, tmp_path):
    from reminders.services import contact_preferences_set

    contact_preferences_set(actor=staff, participant=recent, email_consent=False, sms_consent=True, language="es")
    page = web.page
    page.set_viewport_size(PHONE)
    link = pending(recent).filter(kind=Kind.DIARY).first()
    assert web.open(link_path(link)).status == 200
    _checked(page, tmp_path, "diario")
    assert page.get_by_role("heading", level=1).inner_text() != ""
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_text("¿Cuántas unidades británicas bebió cada día?").is_visible()
    assert page.get_by_label("unidades británicas el", exact=False).count() >= 1
    assert "UK unit" not in page.inner_text("body")
