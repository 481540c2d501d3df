"""TLFB entry through the API: a period of days in one request, all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.models import DrinkingRecord
from outcomes.services import biomarker_record
from participants.guards import anchor_date
from review.models import Query


def _url(participant) -> str:
    return f"/api/participants/{participant.study_id}/drinking-days/"


def _day(participant, study_day: int) -> str:
    from core.clock import date_of_study_day

    return date_of_study_day(anchor_date(participant), study_day).isoformat()


def test_a_period_is_recorded_in_grams_and_listed(as_user, coordinator, randomised):
    days = [
        {"date": _day(randomised, -3), "amount": "2", "unit": "uk_unit"},
        {"date": _day(randomised, -2), "amount": "1.5", "unit": "us_drink"},
        {"date": _day(randomised, -1), "amount": "0", "unit": "g"},
    ]
    response = as_user(coordinator).put(_url(randomised), {"days": days, "visit_code": "V1"}, format="json")
    assert response.status_code == 200, response.json()
    assert [r["grams"] for r in response.json()] == ["16.00", "21.00", "0.00"]
    listed = as_user(coordinator).get(_url(randomised)).json()
    assert listed["count"] == 3
    assert {r["visit_code"] for r in listed["results"]} == {"V1"}
    assert listed["results"][0]["entered_by"] == coordinator.username


@pytest.mark.parametrize(
    ("day", "amount", "unit", "field", "fragment"),
    [
        (1, "1", "g", "days.1.date", "future"),  # tomorrow (study day 2 of a participant randomised today)
        (-91, "1", "g", "days.1.date", "looks back 90 days"),
        (-1, "-1", "g", "days.1.amount", "negative"),
        (-1, "1001", "g", "days.1.amount", "plausible maximum"),
        (-1, "126", "uk_unit", "days.1.amount", "plausible maximum"),
        (-1, "1", "pint", "days.1.unit", "Choose one of"),
    ],
)
def test_a_bad_day_refuses_the_whole_period(as_user, coordinator, randomised, day, amount, unit, field, fragment):
    date = _day(randomised, day if day < 0 else 2)
    days = [{"date": _day(randomised, -5), "amount": "0", "unit": "g"}, {"date": date, "amount": amount, "unit": unit}]
    response = as_user(coordinator).put(_url(randomised), {"days": days}, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    assert fragment in " ".join(fields[field])
    assert not DrinkingRecord.objects.exists()


def test_a_day_given_twice_is_refused(as_user, coordinator, randomised):
    days = [{"date": _day(randomised, -2), "amount": "0", "unit": "g"}] * 2
    response = as_user(coordinator).put(_url(randomised), {"days": days}, format="json")
    assert response.status_code == 400
    assert "days.1.date" in response.json()["error"]["fields"]


def test_a_change_needs_a_reason_naming_the_day(as_user, coordinator, randomised):
    api = as_user(coordinator)
    first = [{"date": _day(randomised, -2), "amount": "10", "unit": "g"}]
    assert api.put(_url(randomised), {"days": first}, format="json").status_code == 200
    same = api.put(_url(randomised), {"days": first}, format="json")
    assert same.status_code == 200  # the same amount again changes nothing
    changed = [
        {"date": _day(randomised, -3), "amount": "0", "unit": "g"},
        {"date": _day(randomised, -2), "amount": "20", "unit": "g"},
    ]
    refused = api.put(_url(randomised), {"days": changed}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["error"]["fields"]) == ["days.1.reason"]
    assert DrinkingRecord.objects.count() == 1  # nothing written, not even the new day
    changed[1]["reason"] = "participant corrected the recall"
    accepted = api.put(_url(randomised), {"days": changed}, format="json")
    assert accepted.status_code == 200
    record = DrinkingRecord.objects.get(day=_day(randomised, -2))
    assert record.grams == Decimal("20.00")
    assert record.change_reason == "participant corrected the recall"


def test_another_site_cannot_see_or_enter(as_user, make_user, kare, randomised):
    stranger = make_user("coordinator", kare, sites=["london"])
    days = [{"date": _day(randomised, -1), "amount": "0", "unit": "g"}]
    assert as_user(stranger).put(_url(randomised), {"days": days}, format="json").status_code == 404
    assert as_user(stranger).get(_url(randomised)).status_code == 404


def test_a_read_only_role_cannot_enter(as_user, make_user, kare, randomised):
    monitor = make_user("monitor", kare)
    days = [{"date": _day(randomised, -1), "amount": "0", "unit": "g"}]
    assert as_user(monitor).put(_url(randomised), {"days": days}, format="json").status_code == 403
    assert not DrinkingRecord.objects.exists()


def test_a_positive_marker_against_an_abstinent_day_opens_a_query(as_user, coordinator, randomised):
    api = as_user(coordinator)
    days = [{"date": _day(randomised, n), "amount": "0", "unit": "g"} for n in (-4, -3, -2)]
    assert api.put(_url(randomised), {"days": days}, format="json").status_code == 200
    taken_on = dt.date.fromisoformat(_day(randomised, -2))
    sample = biomarker_record(actor=coordinator, participant=randomised, kind="etg", taken_on=taken_on, value=800)
    assert sample.positive
    # EtG looks back etg_detection_days (2): days -4 .. -2 are all covered
    assert _queried_days() == [
        taken_on - dt.timedelta(days=2),
        taken_on - dt.timedelta(days=1),
        taken_on,
    ]
    assert set(DrinkingRecord.objects.values_list("grams", flat=True)) == {Decimal("0.00")}  # never overwritten
    negative = biomarker_record(actor=coordinator, participant=randomised, kind="etg", taken_on=taken_on, value=499)
    assert not negative.positive
    assert Query.objects.count() == 3


def test_a_later_abstinent_report_under_a_positive_breath_test_opens_a_query(as_user, coordinator, randomised):
    taken_on = timezone.now().date() - dt.timedelta(days=1)
    biomarker_record(actor=coordinator, participant=randomised, kind="breath", taken_on=taken_on, value=Decimal("0.1"))
    days = [{"date": taken_on.isoformat(), "amount": "0", "unit": "g"}]
    assert as_user(coordinator).put(_url(randomised), {"days": days}, format="json").status_code == 200
    assert _queried_days(state="open") == [taken_on]


def test_locked_data_cannot_change(as_user, coordinator, make_user, kare, randomised):
    from participants.locks.services import data_lock

    data_lock(actor=make_user("data_manager", kare), trial=kare, reason="database lock for analysis")
    days = [{"date": _day(randomised, -1), "amount": "0", "unit": "g"}]
    response = as_user(coordinator).put(_url(randomised), {"days": days}, format="json")
    assert response.status_code == 409
    assert not DrinkingRecord.objects.exists()


def test_a_90_day_recall_is_written_in_a_bounded_number_of_queries(
    coordinator, randomised, django_assert_max_num_queries
):
    from outcomes.services import DayEntry, drinking_days_record

    anchor = anchor_date(randomised)
    days = [DayEntry(day=anchor - dt.timedelta(days=n), amount=Decimal(n % 3), unit="g") for n in range(1, 91)]
    # Not one INSERT per day: the checks, the lock, one INSERT and the data-query scan.
    with django_assert_max_num_queries(20):
        drinking_days_record(actor=coordinator, participant=randomised, days=days, source="tlfb", visit_code="V1")
    assert DrinkingRecord.objects.filter(participant=randomised).count() == 90


def _queried_days(state=None) -> list:
    """The days the biomarker check has raised a data query on (in ``state`` when given)."""
    found = Query.objects.filter(kind="drinking_day", check_code="biomarker_contradiction")
    if state:
        found = found.filter(state=state)
    return sorted(DrinkingRecord.objects.filter(pk__in=found.values("record_id")).values_list("day", flat=True))
