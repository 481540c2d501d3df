"""Study ids: random, with a check character that catches any single wrong character, unique per trial."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from participants import study_ids
from participants.study_ids import ALPHABET, BODY_LENGTH, check_character, is_valid, new_study_id

bodies = st.text(alphabet=ALPHABET, min_size=BODY_LENGTH, max_size=BODY_LENGTH)


def test_new_study_ids_carry_a_valid_check_character():
    for _ in range(200):
        study_id = new_study_id()
        assert len(study_id) == BODY_LENGTH + 1
        assert set(study_id) <= set(ALPHABET)
        assert is_valid(study_id), study_id


def test_new_study_ids_are_random():
    drawn = [new_study_id() for _ in range(2000)]
    # 32**6 bodies: a repeat among 2000 draws has a probability of about 0.2%; allow one.
    assert len(set(drawn)) >= len(drawn) - 1
    assert len({study_id[0] for study_id in drawn}) == len(ALPHABET)


@given(body=bodies, position=st.integers(0, BODY_LENGTH), replacement=st.sampled_from(ALPHABET))
def test_any_single_changed_character_is_detected(body, position, replacement):
    study_id = body + check_character(body)
    changed = study_id[:position] + replacement + study_id[position + 1 :]
    assert is_valid(changed) == (changed == study_id)


@given(body=bodies, position=st.integers(0, BODY_LENGTH), wrong=st.sampled_from("ILOU-a "))
def test_a_character_outside_the_alphabet_is_invalid(body, position, wrong):
    study_id = body + check_character(body)
    assert not is_valid(study_id[:position] + wrong + study_id[position + 1 :])


@pytest.mark.django_db
def test_a_study_id_already_used_in_the_trial_is_drawn_again(people, kare, monkeypatch):
    taken = people.enrol().study_id
    fresh = "0000000" if taken != "0000000" else "1111111"
    draws = iter([taken, fresh])
    monkeypatch.setattr("participants.enrolment.services.new_study_id", lambda: next(draws))
    assert people.enrol().study_id == fresh
    assert sorted(kare.participants.values_list("study_id", flat=True)) == sorted([taken, fresh])


@pytest.mark.django_db
def test_a_study_id_may_repeat_in_another_trial(people, more_kare, make_user, monkeypatch):
    from tests.participants.conftest import People

    taken = people.enrol().study_id
    monkeypatch.setattr("participants.enrolment.services.new_study_id", lambda: taken)
    other = People(more_kare, make_user("coordinator", more_kare)).enrol()
    assert other.study_id == taken
    assert study_ids.is_valid(taken)
