"""Randomisation through the service and the API: preconditions, idempotence, lists and minimisation."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from participants.enrolment import services as enrolment
from participants.models import Allocation, ListSlot, RandomisationList, Screening
from participants.randomisation import algorithms
from participants.randomisation import services as randomisation
from tests.participants.conftest import ALL_ROLES, People, days_ago

pytestmark = pytest.mark.django_db

EXETER_MEN = "site=exeter|sex=M"


def _randomise(client, participant):
    return client.post(f"/api/participants/{participant.study_id}/randomise/")


def _refusal(response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


# --- preconditions -------------------------------------------------------------------------------


def test_a_participant_not_recorded_as_eligible_is_not_randomised(people, lists, as_user):
    participant = people.ready()
    # No service turns an enrolled screening ineligible; a later correction of the record might.
    Screening.objects.filter(pk=participant.screening_id).update(outcome="not_eligible")
    status, code, message = _refusal(_randomise(as_user(people.coordinator), participant))
    assert (status, code) == (409, "not_eligible")
    assert "eligible" in message
    assert not Allocation.objects.exists()


def test_a_participant_without_current_consent_is_not_randomised(people, lists, as_user):
    from tests.participants.test_screening_enrolment import _amend_with_consent_form_2

    participant = people.ready()
    _amend_with_consent_form_2(people.trial)
    status, code, message = _refusal(_randomise(as_user(people.coordinator), participant))
    assert (status, code) == (409, "consent_required")
    assert "consent" in message
    assert not Allocation.objects.exists()


def test_a_participant_without_a_complete_baseline_is_not_randomised(people, lists, as_user):
    participant = people.enrol()
    status, code, message = _refusal(_randomise(as_user(people.coordinator), participant))
    assert (status, code) == (409, "baseline_incomplete")
    assert "baseline" in message
    assert not Allocation.objects.exists()


def test_a_withdrawn_participant_is_not_randomised(people, lists, as_user):
    participant = people.ready()
    enrolment.withdrawal_record(
        actor=people.coordinator, participant=participant, scope="intervention", withdrawn_on=days_ago(1), reason="x"
    )
    status, code, message = _refusal(_randomise(as_user(people.coordinator), participant))
    assert (status, code) == (409, "withdrawn")
    assert "withdrawn" in message
    assert not Allocation.objects.exists()


def test_nobody_is_randomised_before_the_lists_are_generated(people, as_user):
    participant = people.ready()
    status, code, message = _refusal(_randomise(as_user(people.coordinator), participant))
    assert (status, code) == (409, "no_list")
    assert "unblinded statistician" in message
    assert not Allocation.objects.exists()


# --- allocation ----------------------------------------------------------------------------------


def test_randomising_again_returns_the_first_allocation(people, lists, as_user):
    participant = people.ready()
    client = as_user(people.coordinator)
    first, second = _randomise(client, participant), _randomise(client, participant)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    again = randomisation.participant_randomise(actor=people.coordinator, participant=participant)
    assert Allocation.objects.get() == again


def test_participants_take_their_stratum_slots_in_order(people, lists):
    allocated = [people.randomised(sex="M").allocation for _ in range(3)]
    assert [a.slot.position for a in allocated] == [1, 2, 3]
    assert {a.slot.list.stratum for a in allocated} == {EXETER_MEN}
    assert all(a.arm_id == a.slot.arm_id for a in allocated)


def test_an_exhausted_list_refuses_the_next_participant(people, statistician, as_user):
    randomisation.randomisation_lists_generate(actor=statistician, trial=people.trial, blocks=1, seed="s" * 32)
    slots = ListSlot.objects.filter(list__stratum=EXETER_MEN).count()
    for _ in range(slots):
        people.randomised(sex="M")
    status, code, message = _refusal(_randomise(as_user(people.coordinator), people.ready(sex="M")))
    assert (status, code) == (409, "list_exhausted")
    assert "top it up" in message
    assert Allocation.objects.count() == slots


def _slot_rows(stratum):
    return list(
        ListSlot.objects.filter(list__stratum=stratum)
        .order_by("position")
        .values_list("position", "block", "block_size", "arm__code", "allocation__participant_id")
    )


def test_top_up_keeps_every_existing_slot_and_still_verifies(people, statistician, as_user):
    randomisation.randomisation_lists_generate(actor=statistician, trial=people.trial, blocks=2, seed="t" * 32)
    for _ in range(3):
        people.randomised(sex="M")
    before = _slot_rows(EXETER_MEN)
    client = as_user(statistician)
    assert client.post("/api/trials/KARE/randomisation-lists/top-up/", {"blocks": 3}).status_code == 200
    after = _slot_rows(EXETER_MEN)
    assert after[: len(before)] == before
    assert len(after) > len(before)
    assert [row[0] for row in after] == list(range(1, len(after) + 1))
    verified = client.get("/api/trials/KARE/randomisation-lists/verify/").json()
    assert verified
    assert all(row["matches"] for row in verified)
    assert RandomisationList.objects.get(stratum=EXETER_MEN).blocks == 5


def test_verify_detects_a_changed_slot(people, statistician, lists):
    first = ListSlot.objects.filter(list__stratum=EXETER_MEN).order_by("position").first()
    other = ListSlot.objects.filter(list__stratum=EXETER_MEN).exclude(arm=first.arm).order_by("position").first()
    ListSlot.objects.filter(pk=first.pk).update(arm=other.arm)
    results = {
        r["stratum"]: r["matches"]
        for r in randomisation.randomisation_lists_verify(actor=statistician, trial=people.trial)
    }
    assert results.pop(EXETER_MEN) is False
    assert all(results.values())


def test_the_stored_fingerprint_is_that_of_the_list_regenerated_from_its_seed(kare, lists):
    protocol = kare.version_on().protocol
    arms = [(arm.code, arm.ratio) for arm in protocol.arms]
    assert len(lists) == 4
    for rlist in RandomisationList.objects.filter(trial=kare):
        regenerated = algorithms.generate_list(
            seed=rlist.seed,
            stratum=rlist.stratum,
            arms=arms,
            block_sizes=protocol.randomisation.block_sizes,
            blocks=rlist.blocks,
        )
        assert rlist.fingerprint == algorithms.fingerprint(regenerated)
        assert [(s.position, s.arm) for s in regenerated] == list(
            rlist.slots.order_by("position").values_list("position", "arm__code")
        )


# --- who may handle the lists --------------------------------------------------------------------

LIST_CALLS = [
    ("get", "/api/trials/KARE/randomisation-lists/", None),
    ("post", "/api/trials/KARE/randomisation-lists/", {"blocks": 2}),
    ("post", "/api/trials/KARE/randomisation-lists/top-up/", {"blocks": 1}),
    ("get", "/api/trials/KARE/randomisation-lists/verify/", None),
    ("get", "/api/trials/KARE/randomisation-lists/slots/", None),
]


def test_only_the_unblinded_statistician_may_handle_allocation_lists(kare, lists, make_user, as_user):
    for role in ALL_ROLES:
        if role == "unblinded_statistician":
            continue
        client = as_user(make_user(role, kare))
        for method, url, body in LIST_CALLS:
            response = getattr(client, method)(url, body)
            assert response.status_code == 403, (role, method, url, response.status_code)
            assert response.json()["error"]["code"] == "forbidden"
    assert ListSlot.objects.count() == sum(rlist.slots.count() for rlist in lists)


def test_the_unblinded_statistician_may_handle_allocation_lists(kare, statistician, as_user):
    client = as_user(statistician)
    statuses = [getattr(client, method)(url, body).status_code for method, url, body in LIST_CALLS]
    assert statuses == [200, 201, 200, 200, 200]


def test_a_statistician_of_another_trial_is_told_the_lists_do_not_exist(kare, more_kare, lists, make_user, as_user):
    client = as_user(make_user("unblinded_statistician", more_kare))
    for method, url, body in LIST_CALLS:
        assert getattr(client, method)(url, body).status_code == 404, (method, url)


# --- minimisation --------------------------------------------------------------------------------


def test_minimisation_allocates_more_kare_in_balance(more_kare, make_user, monkeypatch):
    # The service draws a fresh secret seed per allocation; a seeded source makes the run repeatable.
    monkeypatch.setattr(randomisation.secrets, "randbits", random.Random(7).getrandbits)
    people = People(more_kare, make_user("coordinator", more_kare))
    sites = ["exeter", "london", "bristol", "plymouth"]
    allocated = [people.randomised(site=sites[i % 4], sex="F" if i % 3 == 0 else "M") for i in range(40)]
    assert {p.allocation.method for p in allocated} == {"minimisation"}
    per_arm = Counter(p.allocation.arm.code for p in allocated)
    assert set(per_arm) == {"KT", "LE"}
    assert abs(per_arm["KT"] - per_arm["LE"]) <= 2
    for sex in ("M", "F"):
        margin = Counter(p.allocation.arm.code for p in allocated if p.sex == sex)
        assert abs(margin["KT"] - margin["LE"]) <= 2, (sex, margin)
