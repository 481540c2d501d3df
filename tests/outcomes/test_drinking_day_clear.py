"""A recorded drinking day cleared back to missing: only with a reason, audited, all or nothing, and
counted by the endpoints as missing, never abstinent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from core import history
from outcomes import endpoints
from outcomes.models import DrinkingRecord
from participants.locks import services as locks
from participants.randomisation import services as randomisation
from tests.participants.conftest import LIST_SEED, People
from tests.participants.visits_fixtures import Clinic

pytestmark = pytest.mark.django_db

REASON = "the participant mixed up the weeks"


@pytest.fixture
def participant(kare, coordinator, make_user):
    """Randomised 30 days ago, so days 1 to 30 of the first outcome window are in the past."""
    statistician = make_user("unblinded_statistician", kare)
    randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=2, seed=LIST_SEED)
    return Clinic(People(kare, coordinator), make_user).randomised(ago=30)


def _url(participant) -> str:
    return f"/api/participants/{participant.study_id}/drinking-days/"


def _days(participant, n: int) -> list[dt.date]:
    """Study days 1 to ``n``."""
    return [participant.allocation.allocated_on + dt.timedelta(days=i) for i in range(n)]


def _record_abstinent(client, participant, days):
    body = {"days": [{"date": d.isoformat(), "amount": "0", "unit": "g"} for d in days]}
    response = client.put(_url(participant), body, format="json")
    assert response.status_code == 200, response.json()


def _first_window(participant):
    [row] = [
        r for r in endpoints.compute(trial=participant.trial, participant_ids=[participant.pk]) if r.window == "1-91"
    ]
    return row


def test_a_cleared_day_counts_as_missing_not_abstinent(as_user, coordinator, participant):
    client = as_user(coordinator)
    days = _days(participant, 10)
    _record_abstinent(client, participant, days)
    before = _first_window(participant)
    assert (before.assessed_days, before.abstinent_days) == (10, 10)
    response = client.put(_url(participant), {"clear": [days[3].isoformat()], "reason": REASON}, format="json")
    assert response.status_code == 200, response.json()
    after = _first_window(participant)
    assert (after.assessed_days, after.abstinent_days) == (9, 9)
    assert after.completeness < before.completeness
    assert not DrinkingRecord.objects.filter(participant=participant, day=days[3]).exists()


def test_clearing_a_day_needs_a_reason_and_writes_nothing_without_one(as_user, coordinator, participant):
    client = as_user(coordinator)
    days = _days(participant, 3)
    _record_abstinent(client, participant, days)
    body = {"days": [{"date": days[0].isoformat(), "amount": "2", "unit": "g"}], "clear": [days[1].isoformat()]}
    response = client.put(_url(participant), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert [r.grams for r in DrinkingRecord.objects.filter(participant=participant)] == [Decimal(0)] * 3


def test_a_day_given_an_amount_and_cleared_at_once_is_refused(as_user, coordinator, participant):
    client = as_user(coordinator)
    days = _days(participant, 2)
    _record_abstinent(client, participant, days)
    body = {"days": [{"date": days[0].isoformat(), "amount": "2", "unit": "g"}], "clear": [days[0].isoformat()]}
    response = as_user(coordinator).put(_url(participant), {**body, "reason": REASON}, format="json")
    assert response.status_code == 400
    assert "clear.0" in response.json()["error"]["fields"]
    assert DrinkingRecord.objects.filter(participant=participant).count() == 2


def test_a_replayed_clear_changes_nothing(as_user, coordinator, participant):
    client = as_user(coordinator)
    days = _days(participant, 2)
    _record_abstinent(client, participant, days)
    body = {"clear": [days[0].isoformat()], "reason": REASON}
    assert client.put(_url(participant), body, format="json").status_code == 200
    assert client.put(_url(participant), body, format="json").status_code == 200
    assert list(DrinkingRecord.objects.filter(participant=participant).values_list("day", flat=True)) == [days[1]]


def test_a_locked_participants_day_is_not_cleared(as_user, coordinator, participant, kare, make_user):
    client = as_user(coordinator)
    days = _days(participant, 2)
    _record_abstinent(client, participant, days)
    locks.data_lock(actor=make_user("data_manager", kare), trial=kare, reason="interim analysis")
    response = client.put(_url(participant), {"clear": [days[0].isoformat()], "reason": REASON}, format="json")
    assert response.status_code == 409
    assert DrinkingRecord.objects.filter(participant=participant).count() == 2


def test_another_sites_participants_day_is_not_found(as_user, coordinator, participant, kare, make_user):
    _record_abstinent(as_user(coordinator), participant, _days(participant, 1))
    london = make_user("coordinator", kare, sites=["london"])
    body = {"clear": [_days(participant, 1)[0].isoformat()], "reason": REASON}
    assert as_user(london).put(_url(participant), body, format="json").status_code == 404
    assert DrinkingRecord.objects.filter(participant=participant).count() == 1


@pytest.mark.postgres
def test_the_audit_trail_keeps_the_cleared_day_and_the_reason(as_user, coordinator, participant):
    client = as_user(coordinator)
    days = _days(participant, 1)
    _record_abstinent(client, participant, days)
    record = DrinkingRecord.objects.get(participant=participant)
    assert (
        client.put(_url(participant), {"clear": [days[0].isoformat()], "reason": REASON}, format="json").status_code
        == 200
    )
    [*_, deleted] = history.events_for([(DrinkingRecord, Q(pgh_obj_id=record.pk))])
    assert deleted["label"] == "delete"
    assert deleted["reason"] == REASON
    assert deleted["values"]["day"] == str(days[0])
