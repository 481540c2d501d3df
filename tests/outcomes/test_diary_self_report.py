"""The participant's own diary report through the outcomes service: no staff actor, the checks of
staff entry, and the participant's own conditions (lock, withdrawal, consent)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import today_at
from core.errors import Conflict, Invalid
from outcomes import endpoints
from outcomes.models import DrinkingRecord, Source
from outcomes.services import DayEntry, biomarker_record, diary_days_record, drinking_days_record
from participants.enrolment import services as enrolment
from participants.locks.services import data_lock
from review.models import Query

pytestmark = pytest.mark.django_db


def _days_back(participant, *amounts: str, unit: str = "uk_unit") -> list[DayEntry]:
    """One entry per amount, the last one yesterday (the participant's date)."""
    today = today_at(participant.site)
    n = len(amounts)
    return [DayEntry(day=today - dt.timedelta(days=n - i), amount=a, unit=unit) for i, a in enumerate(amounts)]


def _report(participant, days: list[DayEntry]) -> list[DrinkingRecord]:
    return diary_days_record(participant=participant, days=days, today=today_at(participant.site))


def test_a_diary_report_is_stored_without_a_staff_actor_in_grams_of_the_protocols_unit(randomised):
    saved = _report(randomised, _days_back(randomised, "0", "2.5", "10"))
    records = DrinkingRecord.objects.filter(participant=randomised).order_by("day")
    assert [r.pk for r in records] == [r.pk for r in saved]
    assert [r.grams for r in records] == [Decimal("0.00"), Decimal("20.00"), Decimal("80.00")]  # KARE: 8 g a unit
    assert {(r.source, r.unit, r.entered_by_id, r.entered_by_participant) for r in records} == {
        (Source.DIARY, "uk_unit", None, True)
    }


def test_staff_see_which_days_the_participant_reported(randomised, coordinator, as_user):
    _report(randomised, _days_back(randomised, "1"))
    [listed] = as_user(coordinator).get(f"/api/participants/{randomised.study_id}/drinking-days/").json()["results"]
    assert (listed["source"], listed["entered_by"], listed["entered_by_participant"]) == ("diary", None, True)


@pytest.mark.parametrize(
    ("day", "amount", "field", "fragment"),
    [
        (0, "1", "days.1.date", "not over"),  # today
        (1, "1", "days.1.date", "future"),
        (-91, "1", "days.1.date", "looks back 90 days"),  # randomised today: the look-back starts 90 days ago
        (-1, "-1", "days.1.amount", "negative"),
        (-1, "1.125", "days.1.amount", "2 decimals"),
        (-1, "126", "days.1.amount", "plausible maximum"),  # 1008 g
        (-1, "many", "days.1.amount", "number"),
    ],
)
def test_a_bad_day_refuses_the_whole_diary_report(randomised, day, amount, field, fragment):
    today = today_at(randomised.site)
    days = [
        DayEntry(day=today - dt.timedelta(days=2), amount="0", unit="uk_unit"),
        DayEntry(day=today + dt.timedelta(days=day), amount=amount, unit="uk_unit"),
    ]
    with pytest.raises(Invalid) as refused:
        _report(randomised, days)
    assert fragment in " ".join(refused.value.fields[field])
    assert not DrinkingRecord.objects.exists()


def test_a_day_already_in_the_diary_is_refused_whoever_entered_it(randomised, coordinator):
    [yesterday] = _days_back(randomised, "1")
    drinking_days_record(actor=coordinator, participant=randomised, days=[yesterday], source=Source.DIARY)
    with pytest.raises(Invalid) as refused:
        _report(randomised, [*_days_back(randomised, "0", "3")])
    assert "already reported" in " ".join(refused.value.fields["days.1.date"])
    assert DrinkingRecord.objects.get().entered_by == coordinator  # the staff entry stands, nothing added


def test_a_tlfb_record_of_the_same_day_does_not_stop_the_diary(randomised, coordinator):
    days = _days_back(randomised, "1")
    drinking_days_record(actor=coordinator, participant=randomised, days=days, source=Source.TLFB)
    _report(randomised, days)
    assert sorted(DrinkingRecord.objects.values_list("source", flat=True)) == ["diary", "tlfb"]


def test_staff_change_a_self_reported_day_only_with_a_reason(randomised, coordinator):
    [day] = _days_back(randomised, "2")
    _report(randomised, [day])
    changed = DayEntry(day=day.day, amount="3", unit="uk_unit")
    with pytest.raises(Invalid) as refused:
        drinking_days_record(actor=coordinator, participant=randomised, days=[changed], source=Source.DIARY)
    assert "days.0.reason" in refused.value.fields
    reason = "the participant phoned: three units, not two"
    drinking_days_record(actor=coordinator, participant=randomised, days=[changed], source=Source.DIARY, reason=reason)
    record = DrinkingRecord.objects.get()
    assert (record.grams, record.change_reason) == (Decimal("24.00"), reason)
    assert (record.entered_by, record.entered_by_participant) == (coordinator, False)


def test_the_database_keeps_participant_entries_to_the_diary_without_staff(randomised, coordinator):
    today = today_at(randomised.site)
    with pytest.raises(IntegrityError, match="drinking_participant_entry_is_diary"), transaction.atomic():
        DrinkingRecord.objects.create(
            participant=randomised,
            day=today,
            source=Source.TLFB,
            amount=0,
            unit="g",
            grams=0,
            entered_by_participant=True,
        )
    with pytest.raises(IntegrityError, match="drinking_participant_entry_is_diary"), transaction.atomic():
        DrinkingRecord.objects.create(
            participant=randomised,
            day=today,
            source=Source.DIARY,
            amount=0,
            unit="g",
            grams=0,
            entered_by=coordinator,
            entered_by_participant=True,
        )


def test_an_abstinent_diary_day_under_a_positive_marker_opens_a_query(randomised, coordinator):
    days = _days_back(randomised, "0", "0")
    biomarker_record(actor=coordinator, participant=randomised, kind="etg", taken_on=days[-1].day, value=800)
    assert not Query.objects.exists()
    _report(randomised, days)
    assert _queried_days() == [d.day for d in days]


def _lock(participant, make_user, kare):
    data_lock(actor=make_user("data_manager", kare), trial=kare, participant=participant, reason="queries resolved")


def _withdraw(scope):
    def withdraw(participant, make_user, kare):
        enrolment.withdrawal_record(
            actor=make_user("coordinator", kare),
            participant=participant,
            scope=scope,
            withdrawn_on=today_at(participant.site),
            reason="asked to stop",
        )

    return withdraw


def _new_consent_form(participant, make_user, kare):
    from tests.participants.test_screening_enrolment import _amend_with_consent_form_2

    _amend_with_consent_form_2(kare)


@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (_lock, "locked"),
        (_withdraw("data_use"), "withdrawn"),
        (_withdraw("follow_up"), "withdrawn"),
        (_new_consent_form, "reconsent_required"),
    ],
)
def test_a_participant_whose_data_may_not_be_taken_cannot_report(randomised, make_user, kare, stop, code):
    stop(randomised, make_user, kare)
    with pytest.raises(Conflict) as refused:
        _report(randomised, _days_back(randomised, "0"))
    assert refused.value.code == code
    assert not DrinkingRecord.objects.exists()


def test_withdrawing_from_the_intervention_only_does_not_stop_the_diary(randomised, make_user, kare):
    _withdraw("intervention")(randomised, make_user, kare)
    assert len(_report(randomised, _days_back(randomised, "0"))) == 1


# --- the conversion from the protocol's unit, on any amounts ---------------------------------------------

UNIT_GRAMS = Decimal(8)  # KARE's unit (uk_unit)
MAX_GRAMS = Decimal(1000)


def _grams(amount: Decimal) -> Decimal:
    return (amount * UNIT_GRAMS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _q(value: float) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.decimals(min_value=0, max_value=130, places=2), min_size=1, max_size=6))
def test_a_diary_report_is_all_or_nothing_and_counted_in_protocol_units(import_one, amounts):
    """Units become grams (8 g each, half up to the cent); a report with a day above the plausible
    maximum stores nothing; a stored report is what the endpoints count (grams per day, abstinence)."""
    with transaction.atomic():
        participant = import_one("D0001", randomised_on=dt.date(2024, 1, 10))
        today = dt.date(2024, 1, 10) + dt.timedelta(days=len(amounts))
        days = [
            DayEntry(day=dt.date(2024, 1, 10) + dt.timedelta(days=i), amount=str(a), unit="uk_unit")
            for i, a in enumerate(amounts)
        ]  # study days 1 … n, the window 1-91
        if any(_grams(a) > MAX_GRAMS for a in amounts):
            with pytest.raises(Invalid, match="more than the protocol's plausible maximum"):
                diary_days_record(participant=participant, days=days, today=today)
            assert not DrinkingRecord.objects.filter(participant=participant).exists()
        else:
            diary_days_record(participant=participant, days=days, today=today)
            stored = list(DrinkingRecord.objects.filter(participant=participant).order_by("day"))
            assert [r.grams for r in stored] == [_grams(a) for a in amounts]
            [row] = [
                r
                for r in endpoints.compute(trial=participant.trial, participant_ids=[participant.pk])
                if r.window == "1-91"
            ]
            grams = [_grams(a) for a in amounts]
            assert row.assessed_days == len(amounts)
            assert row.abstinent_days == sum(1 for g in grams if g == 0)
            assert row.grams_per_day == _q(float(sum(grams)) / len(grams))
        transaction.set_rollback(True)


def _queried_days(state=None) -> list:
    """The days the biomarker check has raised a data query on (in ``state`` when given)."""
    found = Query.objects.filter(kind="drinking_day", check_code="biomarker_contradiction")
    if state:
        found = found.filter(state=state)
    return sorted(DrinkingRecord.objects.filter(pk__in=found.values("record_id")).values_list("day", flat=True))
