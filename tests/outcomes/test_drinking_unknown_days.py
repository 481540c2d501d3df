"""A drinking day the participant cannot remember: recorded with a reason instead of an amount,
counted apart from assessed days (never abstinent), changed later only with a reason, and imported
or reported in the diary the same way."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Invalid
from outcomes import endpoints
from outcomes.models import DrinkingRecord, Source
from outcomes.services import DayEntry, diary_days_record, drinking_days_import
from participants.guards import anchor_date
from participants.randomisation import services as randomisation
from tests.participants.conftest import LIST_SEED, People
from tests.participants.visits_fixtures import Clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def randomised(kare, coordinator, make_user):
    """Randomised 30 days ago, so days 1 to 30 of the first outcome window are in the past."""
    statistician = make_user("unblinded_statistician", kare)
    randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=2, seed=LIST_SEED)
    return Clinic(People(kare, coordinator), make_user).randomised(ago=30)


def _url(participant) -> str:
    return f"/api/participants/{participant.study_id}/drinking-days/"


def _day(participant, study_day: int) -> dt.date:
    from core.clock import date_of_study_day

    return date_of_study_day(anchor_date(participant), study_day)


def _primary(participant):
    rows = endpoints.compute(trial=participant.trial, participant_ids=[participant.pk])
    window = participant.trial.version_on().protocol.outcomes.primary_window
    return next(r for r in rows if r.window == window)


def test_a_day_not_remembered_is_recorded_without_an_amount_and_counted_apart(as_user, coordinator, randomised):
    days = [
        {"date": _day(randomised, 1).isoformat(), "amount": "0", "unit": "g"},
        {"date": _day(randomised, 2).isoformat(), "unit": "g", "missing": "unknown", "note": "cannot recall"},
    ]
    response = as_user(coordinator).put(_url(randomised), {"days": days}, format="json")
    assert response.status_code == 200, response.json()
    unknown = response.json()[1]
    assert (unknown["amount"], unknown["grams"]) == (None, None)
    assert unknown["missing"] == {"amount": {"code": "unknown", "note": "cannot recall"}}
    row = _primary(randomised)
    assert (row.assessed_days, row.abstinent_days, row.unknown_days) == (1, 1, 1)
    assert row.pda == 100  # of the one assessed day: the unknown day is not abstinent


@pytest.mark.parametrize(
    ("day", "field", "fragment"),
    [
        ({"amount": "2", "unit": "g", "missing": "unknown"}, "days.0.amount", "not both"),
        ({"unit": "g"}, "days.0.amount", "reason there is none"),
        ({"unit": "g", "missing": "forgot"}, "days.0.missing", "not a valid choice"),
    ],
)
def test_an_amount_and_a_reason_together_or_neither_is_refused(as_user, coordinator, randomised, day, field, fragment):
    response = as_user(coordinator).put(
        _url(randomised), {"days": [{"date": _day(randomised, 1).isoformat(), **day}]}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fragment in " ".join(fields[field]), fields
    assert not DrinkingRecord.objects.filter(participant=randomised).exists()


def test_a_remembered_amount_replaces_an_unknown_day_only_with_a_reason(as_user, coordinator, randomised):
    day = _day(randomised, 3).isoformat()
    client = as_user(coordinator)
    client.put(_url(randomised), {"days": [{"date": day, "unit": "g", "missing": "unknown"}]}, format="json")
    refused = client.put(_url(randomised), {"days": [{"date": day, "amount": "16", "unit": "g"}]}, format="json")
    assert refused.status_code == 400
    assert "not known" in " ".join(refused.json()["error"]["fields"]["days.0.reason"])
    again = client.put(
        _url(randomised),
        {"days": [{"date": day, "amount": "16", "unit": "g"}], "reason": "remembered at the next visit"},
        format="json",
    )
    assert again.status_code == 200, again.json()
    record = DrinkingRecord.objects.get(participant=randomised, day=day)
    assert (record.grams, record.missing, record.change_reason) == (16, {}, "remembered at the next visit")
    assert _primary(randomised).unknown_days == 0


def test_the_same_unknown_day_again_changes_nothing(as_user, coordinator, randomised):
    day = {"date": _day(randomised, 4).isoformat(), "unit": "g", "missing": "unknown"}
    client = as_user(coordinator)
    first = client.put(_url(randomised), {"days": [day]}, format="json").json()[0]
    second = client.put(_url(randomised), {"days": [day]}, format="json")
    assert second.status_code == 200
    assert second.json()[0]["updated_at"] == first["updated_at"]


def test_a_known_amount_from_another_source_wins_over_an_unknown_one(coordinator, randomised):
    from outcomes.services import drinking_days_record

    day = _day(randomised, 5)
    drinking_days_record(
        actor=coordinator, participant=randomised, days=[DayEntry(day=day, amount=None, unit="g", missing="unknown")]
    )
    drinking_days_record(
        actor=coordinator,
        participant=randomised,
        source=Source.DIARY,
        days=[DayEntry(day=day, amount="24", unit="g")],
    )
    row = _primary(randomised)
    assert (row.assessed_days, row.unknown_days, row.total_grams) == (1, 0, 24)


def test_the_database_refuses_a_day_with_neither_an_amount_nor_a_reason(coordinator, randomised):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DrinkingRecord.objects.create(
            participant=randomised, day=_day(randomised, 1), source=Source.TLFB, unit="g", amount=None, grams=None
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        DrinkingRecord.objects.create(
            participant=randomised,
            day=_day(randomised, 1),
            source=Source.TLFB,
            unit="g",
            amount=1,
            grams=8,
            missing={"amount": {"code": "unknown", "note": ""}},
        )


def test_an_imported_day_may_be_unknown(admin_user, randomised):
    rows = [
        {"line": 2, "study_id": randomised.study_id, "date": str(_day(randomised, 1)), "amount": "", "unit": "g",
         "source": "tlfb", "missing": "unknown", "note": "not asked then"},
        {"line": 3, "study_id": randomised.study_id, "date": str(_day(randomised, 2)), "amount": "", "unit": "g",
         "source": "tlfb", "missing": "sometime"},
    ]  # fmt: skip
    with pytest.raises(Invalid) as refused:
        drinking_days_import(actor=admin_user, trial=randomised.trial, rows=rows)
    assert "line 3.missing" in refused.value.fields
    drinking_days_import(actor=admin_user, trial=randomised.trial, rows=rows[:1])
    record = DrinkingRecord.objects.get(participant=randomised)
    assert (record.grams, record.missing["amount"]["code"]) == (None, "unknown")


def test_a_participant_may_report_a_diary_day_as_not_remembered(randomised):
    day = _day(randomised, 1)
    saved = diary_days_record(
        participant=randomised,
        days=[DayEntry(day=day, amount="", unit="g", missing="unknown")],
        today=day + dt.timedelta(days=2),
    )
    assert (saved[0].grams, saved[0].entered_by_participant, saved[0].missing["amount"]["code"]) == (
        None,
        True,
        "unknown",
    )
