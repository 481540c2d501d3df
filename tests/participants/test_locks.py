"""Database lock and unblinding for analysis: what stops, who may, and what it opens."""

from __future__ import annotations

import pytest

from core.errors import Conflict, Forbidden, Invalid
from participants.enrolment import services as enrolment
from participants.locks import services as locks
from participants.models import AnalysisUnblinding, DataLock, Withdrawal
from tests.participants.conftest import PASSWORD, days_ago


@pytest.fixture
def data_manager(kare, make_user):
    return make_user("data_manager", kare)


@pytest.fixture
def randomised(people, lists):
    return people.randomised()


def test_locked_trial_refuses_new_screenings_and_writes_nothing(kare, people, data_manager):
    locks.data_lock(actor=data_manager, trial=kare, reason="final analysis")
    with pytest.raises(Conflict) as refused:
        people.screen()
    assert refused.value.code == "locked"
    assert "final analysis" in refused.value.message
    assert not kare.screenings.exists()


def test_locked_participant_refuses_withdrawal_but_others_are_free(kare, people, lists, data_manager, coordinator):
    locked_one = people.randomised()
    free_one = people.randomised(sex="F")
    locks.data_lock(actor=data_manager, trial=kare, participant=locked_one, reason="query resolved")
    with pytest.raises(Conflict, match=r"data are locked \(query resolved\)"):
        enrolment.withdrawal_record(
            actor=coordinator, participant=locked_one, scope="follow_up", withdrawn_on=days_ago(1), reason="moved"
        )
    enrolment.withdrawal_record(
        actor=coordinator, participant=free_one, scope="follow_up", withdrawn_on=days_ago(1), reason="moved"
    )
    assert list(Withdrawal.objects.values_list("participant_id", flat=True)) == [free_one.pk]


def test_unlock_with_a_reason_lets_changes_through_again(kare, people, data_manager):
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="interim analysis")
    locks.data_unlock(actor=data_manager, lock=lock, reason="interim done")
    people.screen()
    assert kare.screenings.count() == 1


def test_lock_and_unlock_need_reasons(kare, data_manager):
    with pytest.raises(Invalid, match="locking needs a reason"):
        locks.data_lock(actor=data_manager, trial=kare, reason="  ")
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="analysis")
    with pytest.raises(Invalid, match="unlocking needs a reason"):
        locks.data_unlock(actor=data_manager, lock=lock, reason="")
    assert DataLock.objects.get().unlocked_at is None


def test_a_coordinator_may_not_lock(kare, coordinator):
    with pytest.raises(Forbidden, match="do not allow you to lock data"):
        locks.data_lock(actor=coordinator, trial=kare, reason="analysis")
    assert not DataLock.objects.exists()


def test_locking_twice_is_refused(kare, data_manager):
    locks.data_lock(actor=data_manager, trial=kare, reason="analysis")
    with pytest.raises(Conflict, match="already locked"):
        locks.data_lock(actor=data_manager, trial=kare, reason="again")
    assert DataLock.objects.count() == 1


def test_analysis_unblinding_needs_the_lock(kare, data_manager):
    with pytest.raises(Conflict) as refused:
        locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password=PASSWORD)
    assert refused.value.code == "not_locked"
    assert not AnalysisUnblinding.objects.exists()


def test_analysis_unblinding_needs_a_locked_analysis_plan(kare, data_manager, make_user, lock_analysis_plan):
    from outcomes.plan.document import load_file
    from outcomes.plan.services import analysis_plan_load
    from tests.conftest import ROOT

    locks.data_lock(actor=data_manager, trial=kare, reason="final")
    with pytest.raises(Conflict, match="has no analysis plan") as refused:
        locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password=PASSWORD)
    assert refused.value.code == "plan_not_locked"
    plan = load_file(ROOT / "protocols" / "kare.sap.yaml", protocol=kare.version_on().protocol)
    analysis_plan_load(trial=kare, plan=plan)
    with pytest.raises(Conflict, match="version 1 unlocked"):
        locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password=PASSWORD)
    assert not AnalysisUnblinding.objects.exists()
    lock_analysis_plan(kare)
    locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password=PASSWORD)
    assert AnalysisUnblinding.objects.filter(trial=kare).exists()


def test_analysis_unblinding_needs_the_password(kare, data_manager, lock_analysis_plan):
    lock_analysis_plan(kare)
    locks.data_lock(actor=data_manager, trial=kare, reason="final")
    with pytest.raises(Invalid) as refused:
        locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password="wrong")
    assert "password" in refused.value.fields
    assert not AnalysisUnblinding.objects.exists()


def test_analysis_unblinding_refuses_even_the_right_password_after_too_many_wrong_ones(
    kare, data_manager, lock_analysis_plan
):
    lock_analysis_plan(kare)
    locks.data_lock(actor=data_manager, trial=kare, reason="final")
    for _ in range(5):
        with pytest.raises((Invalid, Forbidden)):
            locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password="wrong")

    with pytest.raises(Forbidden) as refused:
        locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final", password=PASSWORD)

    assert refused.value.code == "locked"
    assert not AnalysisUnblinding.objects.exists()


def test_analysis_unblinding_opens_every_factor_and_keeps_the_lock(
    kare, randomised, data_manager, make_user, as_user, lock_analysis_plan
):
    lock_analysis_plan(kare)
    assessor = make_user("outcome_assessor", kare)
    before = as_user(assessor).get(f"/api/participants/{randomised.study_id}/allocation/").json()
    assert set(before["levels"].values()) == {"blinded"}
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="final")
    locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final analysis", password=PASSWORD)
    after = as_user(assessor).get(f"/api/participants/{randomised.study_id}/allocation/").json()
    assert after["arm"] == randomised.allocation.arm.code
    with pytest.raises(Conflict, match="unblinded for analysis: its data stay locked"):
        locks.data_unlock(actor=data_manager, lock=lock, reason="late data")


def test_lock_api_answers_409_to_a_locked_change(kare, randomised, data_manager, coordinator, as_user):
    response = as_user(data_manager).post("/api/trials/KARE/locks/", {"reason": "final"}, format="json")
    assert response.status_code == 201
    refused = as_user(coordinator).post(
        f"/api/participants/{randomised.study_id}/withdrawals/",
        {"scope": "follow_up", "withdrawn_on": days_ago(1).isoformat(), "reason": "moved"},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "locked"
