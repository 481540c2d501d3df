"""The diary form as a participant meets it: "I don't remember" per day stored as unknown (missing
in the endpoints, never abstinent), an amount and "I don't remember" together or neither refused
beside the day, errors tied to their inputs and summarised, the days already saved shown, and what
a unit is in the protocol's own figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import lxml.html
import pytest

from outcomes import endpoints
from outcomes.models import DrinkingRecord, Source
from outcomes.services import DayEntry, drinking_days_record
from reminders import selectors, units
from reminders import services as reminder_services
from reminders.models import ParticipantResponse, ResponseKind
from tests.reminders.conftest import MARCH_20, MARCH_21, MARCH_22, diary_answers, link_path, pending
from trials.protocol.outcomes import UnitSpec

pytestmark = pytest.mark.django_db

SUNDAY = dt.date(2025, 3, 23)


def _nothing_written(link) -> None:
    assert not DrinkingRecord.objects.exists()
    assert not ParticipantResponse.objects.filter(kind=ResponseKind.DIARY).exists()
    link.refresh_from_db()
    assert link.link_used_at is None


def _first_window(participant):
    rows = endpoints.compute(trial=participant.trial, participant_ids=[participant.pk])
    [first] = [r for r in rows if r.window == "1-91"]
    return first


def test_a_day_not_remembered_is_stored_as_unknown_and_counted_missing_not_abstinent(client, diarist, link):
    page = client.post(link_path(link), {**diary_answers(d20="0", d22="8"), "unknown_2025-03-21": "1"})
    assert page.status_code == 200, page.content
    forgotten = DrinkingRecord.objects.get(participant=diarist, day=MARCH_21)
    assert (forgotten.source, forgotten.amount, forgotten.grams) == (Source.DIARY, None, None)
    assert forgotten.missing == {"amount": {"code": "unknown", "note": ""}}
    assert forgotten.entered_by_participant is True
    report = ParticipantResponse.objects.get(kind=ResponseKind.DIARY)
    assert report.payload["amounts"]["2025-03-21"] is None
    first = _first_window(diarist)
    assert (first.assessed_days, first.unknown_days, first.abstinent_days) == (2, 1, 1)
    assert first.total_grams == Decimal("64.00")


def test_an_amount_and_i_dont_remember_together_refuse_that_day_and_write_nothing(client, link):
    page = client.post(link_path(link), {**diary_answers(d20="0", d21="3", d22="1"), "unknown_2025-03-21": "1"})
    assert page.status_code == 400
    html = lxml.html.fromstring(page.content)
    [message] = html.xpath('//*[@id="day_2025-03-21-error"]//p')
    assert "not both" in message.text_content()
    assert html.xpath('//*[@id="day_2025-03-20-error"]') == []
    assert html.get_element_by_id("unknown_2025-03-21").get("checked") is not None  # as sent
    assert html.get_element_by_id("day_2025-03-21").get("value") == "3"
    _nothing_written(link)


def test_a_day_with_neither_an_amount_nor_i_dont_remember_is_refused_and_nothing_is_written(client, link):
    page = client.post(link_path(link), diary_answers(d20="0", d21="", d22="1"))
    assert page.status_code == 400
    [message] = lxml.html.fromstring(page.content).xpath('//*[@id="day_2025-03-21-error"]//p')
    assert "or tick" in message.text_content()
    _nothing_written(link)


def test_each_error_is_tied_to_its_inputs_and_summarised_under_an_error_title(client, link):
    page = client.post(link_path(link), {**diary_answers(d20="x", d21="2", d22=""), "unknown_2025-03-21": "1"})
    assert page.status_code == 400
    html = lxml.html.fromstring(page.content)
    assert html.findtext(".//title").startswith("Error: ")
    for bad in ("day_2025-03-20", "day_2025-03-21", "day_2025-03-22"):
        amount = html.get_element_by_id(bad)
        assert amount.get("aria-invalid") == "true"
        assert amount.get("aria-describedby") == f"{bad}-error"
        assert html.get_element_by_id(f"{bad}-error").text_content().strip()
        assert html.get_element_by_id(bad.replace("day_", "unknown_")).get("aria-describedby") == f"{bad}-error"
    summary = html.find_class("error-summary")[0]
    assert summary.get("tabindex") == "-1"
    assert summary.get("autofocus") is not None
    assert [a.get("href") for a in summary.iter("a")] == ["#day_2025-03-20", "#day_2025-03-21", "#day_2025-03-22"]
    assert summary.xpath(".//a")[0].text_content().startswith("Thursday 20 March: Enter a number")


def test_a_page_without_errors_has_no_summary_and_no_invalid_input(client, link):
    html = lxml.html.fromstring(client.get(link_path(link)).content)
    assert not html.findtext(".//title").startswith("Error")
    assert html.find_class("error-summary") == []
    assert html.xpath("//*[@aria-invalid]") == []
    for day in ("2025-03-20", "2025-03-21", "2025-03-22"):
        assert html.xpath(f'//label[@for="unknown_{day}"]')[0].text_content().split() == [
            "I",
            "don’t",
            "remember",
            *dt.date.fromisoformat(day).strftime("%A %-d %B").split(),
        ]


def test_days_already_saved_are_shown_read_only_and_not_asked_again(client, diarist, link):
    earlier = reminder_services.diary_days_due(diarist, MARCH_22)
    assert earlier == [MARCH_20, MARCH_21]
    reminder_services.diary_report(
        notification=link, amounts={MARCH_20: "1.5"}, not_remembered={MARCH_21}, today=MARCH_22
    )
    another = pending(diarist).exclude(pk=link.pk).first()
    page = client.get(link_path(another))
    html = lxml.html.fromstring(page.content)
    saved = [[c.text_content().strip() for c in row] for row in html.xpath('//table[@class="reported"]/tbody/tr')]
    assert saved == [["Thursday 20 March", "1.5"], ["Friday 21 March", "Didn’t remember"]]
    assert html.xpath("//form//input[@inputmode]/@name") == ["day_2025-03-22"]
    assert html.xpath('//details[@class="drinks"]/@open') == []  # seen before: folded
    # Sent anyway (a page opened before the others were saved), a saved day is refused, not overwritten.
    refused = client.post(link_path(another), diary_answers(d20="4", d22="1"))
    assert refused.status_code == 400
    assert (
        "Thursday 20 March is already saved"
        in lxml.html.fromstring(refused.content).find_class("error-summary")[0].text_content()
    )
    assert DrinkingRecord.objects.get(day=MARCH_20).amount == Decimal("1.50")


def test_a_day_saved_by_staff_in_grams_is_shown_in_the_protocols_unit(diarist, link, staff):
    drinking_days_record(
        actor=staff, participant=diarist, days=[DayEntry(day=MARCH_21, amount=Decimal(20), unit="g")], source="diary"
    )
    unit = diarist.trial.version_on(SUNDAY).protocol.outcomes.unit
    [shown] = selectors.diary_days_reported(participant=diarist, today=SUNDAY, unit=unit)
    assert (shown.day, shown.amount, shown.not_remembered) == (MARCH_21, Decimal(20) / unit.grams, False)


def test_a_unit_is_explained_by_the_protocols_grams():
    uk = units.guide_for(UnitSpec(code="uk_unit", name="UK unit", grams=Decimal(8)))
    # The UK's published figures (units = ml x ABV / 1000): a unit is 10 ml of pure alcohol.
    assert uk.ml == Decimal(10)
    assert uk.units == {
        "pint": Decimal("2.3"),
        "bottle": Decimal("1.7"),
        "glass": Decimal("2.1"),
        "wine": Decimal("9.0"),
        "single": Decimal("1.0"),
    }
    us = units.guide_for(UnitSpec(code="us_drink", name="standard drink", grams=Decimal(14)))
    assert us.ml == units.two_figures(Decimal(14) / units.ETHANOL_G_PER_ML) == Decimal(18)
    for drink in us.drinks:
        assert drink.units == (Decimal(drink.ml) * drink.abv / 100 / us.ml).quantize(Decimal("0.1"))
        assert drink.units < uk.units[drink.key]


def test_the_page_explains_the_protocols_unit_with_common_drinks(client, diarist, link):
    html = lxml.html.fromstring(client.get(link_path(link)).content)
    unit = diarist.trial.version_on(SUNDAY).protocol.outcomes.unit
    guide = units.guide_for(unit)
    text = " ".join(html.text_content().split())
    assert f"One {unit.name} is {unit.grams:f} g of pure alcohol, about {guide.ml:f} ml." in text
    table = html.find_class("drinks")[0]
    assert table.get("open") is not None  # nothing saved yet: open
    rows = [[" ".join(" ".join(c.itertext()).split()) for c in row] for row in table.xpath(".//tbody/tr")]
    assert [row[2] for row in rows] == [f"{d.units.normalize():f}" for d in guide.drinks]
    assert rows[0][1] == "A pint of beer, lager or cider 568 ml at 4%"
    pictures = list(table.iter("svg"))
    assert len(pictures) == len(guide.drinks)
    assert {svg.get("aria-hidden") for svg in pictures} == {"true"}
    assert "KARE" not in text
    assert "ketamine" not in text.lower()


def test_a_spanish_speaker_is_asked_in_the_protocols_spanish_name_of_the_unit(client, diarist, link, staff):
    reminder_services.contact_preferences_set(
        actor=staff, participant=diarist, email_consent=False, sms_consent=True, language="es"
    )
    text = " ".join(lxml.html.fromstring(client.get(link_path(link)).content).text_content().split())
    assert "Una unidad británica son 8 g" in text  # protocols/more-kare.yaml's name_translations
    assert "¿Cuántas unidades británicas bebió cada día?" in text  # and plural_translations
    assert "UK unit" not in text


def test_a_translation_falls_back_to_the_language_then_to_the_protocols_own():
    unit = UnitSpec(code="uk_unit", name="UK unit", grams=Decimal(8), name_translations={"pt": "unidade"})
    assert [unit.name_in(lang) for lang in ("pt", "pt-br", "PT-BR", "es", "", None)] == [
        "unidade",
        "unidade",
        "unidade",
        "UK unit",
        "UK unit",
        "UK unit",
    ]


def test_a_plural_is_the_protocols_or_the_translated_names_never_an_english_s_on_another_word():
    unit = UnitSpec(
        code="us_drink",
        name="standard drink",
        grams=Decimal(14),
        name_translations={"es": "bebida estándar", "cy": "diod safonol"},
        plural_translations={"es": "bebidas estándar"},
    )
    assert [unit.plural_in(lang) for lang in ("en", "es", "cy", None)] == [
        "standard drinks",
        "bebidas estándar",
        "diod safonol",
        "standard drinks",
    ]
    assert UnitSpec(code="g", name="gram", plural="grams of alcohol", grams=Decimal(1)).plural_in("es") == (
        "grams of alcohol"
    )
