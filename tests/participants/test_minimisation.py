"""The pure minimisation algorithms: the imbalance of an allocation, and Pocock–Simon minimisation."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participants.randomisation.algorithms import Slot, imbalance, minimise
from tests.participants.strategies import CODES, designs

PROPERTY = settings(max_examples=40, deadline=None)


# --- imbalance ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allocated", "arms", "expected"),
    [
        ([], [("A", 1), ("B", 1)], 0),
        (["A", "A", "B"], [("A", 1), ("B", 1)], 1),
        (["A", "A", "A"], [("A", 1), ("B", 1), ("C", 1)], 3),
        (["A", "A", "B"], [("A", 2), ("B", 1)], 0),
        (["B"], [("A", 2), ("B", 1)], 2),
        (["A"], [("A", 2), ("B", 1)], 1),
        (["A"], [("A", 2), ("B", 2)], 1),  # the same design as 1:1
    ],
)
def test_imbalance_is_the_largest_shortfall_from_the_nearest_exact_ratio(allocated, arms, expected):
    assert imbalance(allocated, arms) == expected


def test_imbalance_counts_slots_as_their_arms_and_refuses_unknown_arms():
    slot = Slot(stratum="site=x", position=1, block=0, block_size=2, arm="A")

    assert imbalance([slot, "A"], [("A", 1), ("B", 1)]) == 2
    with pytest.raises(ValueError, match="unknown arm"):
        imbalance(["C"], [("A", 1), ("B", 1)])
    with pytest.raises(ValueError, match="at least one arm"):
        imbalance([], [])


# --- minimisation ---------------------------------------------------------------------------

factor_levels = st.fixed_dictionaries({"site": st.sampled_from(["exeter", "london", "leeds"])})
two_factor_levels = st.fixed_dictionaries(
    {"site": st.sampled_from(["exeter", "london", "leeds"]), "sex": st.sampled_from(["F", "M"])}
)
three_factor_levels = st.fixed_dictionaries(
    {
        "site": st.sampled_from(["exeter", "london"]),
        "sex": st.sampled_from(["F", "M"]),
        "age": st.sampled_from(["<40", "40+"]),
    }
)


def reference_scores(arms, counts, participant) -> dict[str, Fraction]:
    """Pocock–Simon by the book: add the participant to each arm in turn, sum the ranges."""
    scores = {}
    for candidate, _ in arms:
        score = Fraction(0)
        for factor, level in participant.items():
            after = {
                code: Fraction(counts.get(f"{factor}={level}", {}).get(code, 0) + (code == candidate), ratio)
                for code, ratio in arms
            }
            score += max(after.values()) - min(after.values())
        scores[candidate] = score
    return scores


def allocate(arms, people, *, random_element: float, rng: random.Random):
    """Minimise each participant in turn; yields ``(participant, counts before, arm)``."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for person in people:
        before = {key: dict(value) for key, value in counts.items()}
        arm = minimise(arms=arms, counts=counts, participant=person, random_element=random_element, rng=rng)
        yield person, before, arm
        for factor, level in person.items():
            counts[f"{factor}={level}"][arm] += 1


@PROPERTY
@given(
    design=designs(),
    people=st.lists(st.one_of(factor_levels, two_factor_levels, three_factor_levels), max_size=40),
    rng_seed=st.integers(0, 2**32),
)
def test_without_a_random_element_minimisation_always_picks_a_least_imbalanced_arm(design, people, rng_seed):
    arms, _ = design

    for person, before, arm in allocate(arms, people, random_element=1.0, rng=random.Random(rng_seed)):
        scores = reference_scores(arms, before, person)
        assert scores[arm] == min(scores.values())


@PROPERTY
@given(
    n_arms=st.integers(2, 4),
    people=st.lists(factor_levels, max_size=60),
    rng_seed=st.integers(0, 2**32),
)
def test_without_a_random_element_one_factor_stays_balanced_within_one_at_every_level(n_arms, people, rng_seed):
    """With one factor and equal ratios every level's counts stay within 1 of each other.

    (With two or more factors no such bound holds: see the next test.)"""
    arms = [(code, 1) for code in CODES[:n_arms]]
    counts: dict[str, Counter] = defaultdict(Counter)

    for person, _, arm in allocate(arms, people, random_element=1.0, rng=random.Random(rng_seed)):
        counts[f"site={person['site']}"][arm] += 1
        for level in counts.values():
            per_arm = [level[code] for code, _ in arms]
            assert max(per_arm) - min(per_arm) <= 1


def test_with_several_factors_a_tie_can_take_one_level_two_apart():
    # Each arm is ahead at one of the participant's levels, so both score the same and either choice
    # leaves one level 2 apart: minimisation balances the sum over factors, not each level.
    counts = {"site=exeter": {"A": 1, "B": 0}, "sex=F": {"A": 0, "B": 1}}
    person = {"site": "exeter", "sex": "F"}

    arm = minimise(
        arms=[("A", 1), ("B", 1)], counts=counts, participant=person, random_element=1.0, rng=random.Random(1)
    )

    margin = counts["site=exeter"] if arm == "A" else counts["sex=F"]
    assert margin[arm] + 1 - margin["B" if arm == "A" else "A"] == 2


def test_with_a_random_element_of_0_8_the_minimising_arm_is_chosen_about_80_percent_of_the_time():
    # 2000 draws: the standard error of the share is 0.009, so +-0.03 is over three of them.
    counts = {"site=exeter": {"A": 3, "B": 1}, "sex=F": {"A": 2}}
    rng = random.Random(20250101)

    picks = Counter(
        minimise(
            arms=[("A", 1), ("B", 1)],
            counts=counts,
            participant={"site": "exeter", "sex": "F"},
            random_element=0.8,
            rng=rng,
        )
        for _ in range(2000)
    )

    assert picks["B"] / 2000 == pytest.approx(0.8, abs=0.03)


def test_when_not_minimising_the_other_arms_are_chosen_alike():
    counts = {"site=exeter": {"A": 2, "B": 2, "C": 0}}
    rng = random.Random(7)

    picks = Counter(
        minimise(
            arms=[("A", 1), ("B", 1), ("C", 1)],
            counts=counts,
            participant={"site": "exeter"},
            random_element=0.8,
            rng=rng,
        )
        for _ in range(2000)
    )

    assert picks["C"] / 2000 == pytest.approx(0.8, abs=0.03)
    assert picks["A"] / 2000 == pytest.approx(0.1, abs=0.025)
    assert picks["B"] / 2000 == pytest.approx(0.1, abs=0.025)


def test_when_every_arm_scores_alike_each_is_chosen_alike():
    rng = random.Random(11)

    picks = Counter(
        minimise(arms=[("A", 1), ("B", 1)], counts={}, participant={"site": "exeter"}, random_element=0.8, rng=rng)
        for _ in range(2000)
    )

    assert picks["A"] / 2000 == pytest.approx(0.5, abs=0.035)


def test_an_arm_with_a_larger_ratio_takes_more_before_it_counts_as_ahead():
    counts = {"site=exeter": {"A": 2, "B": 1}}  # exactly 2:1

    choose = [
        minimise(
            arms=[("A", 2), ("B", 1)],
            counts=counts,
            participant={"site": "exeter"},
            random_element=1.0,
            rng=random.Random(seed),
        )
        for seed in range(50)
    ]
    after_one_more_a = minimise(
        arms=[("A", 2), ("B", 1)],
        counts={"site=exeter": {"A": 3, "B": 1}},
        participant={"site": "exeter"},
        random_element=1.0,
        rng=random.Random(0),
    )

    assert set(choose) == {"A"}  # A to 3:1 leaves a range of 1/2; B to 2:2 a range of 1
    assert after_one_more_a == "B"


def test_a_seeded_rng_makes_minimisation_reproducible():
    people = [{"site": s, "sex": x} for s in ("exeter", "london") for x in ("F", "M")] * 10
    arms = [("A", 1), ("B", 1), ("C", 2)]

    runs = [[arm for *_, arm in allocate(arms, people, random_element=0.8, rng=random.Random(3))] for _ in range(2)]

    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"random_element": 0.5}, "random_element"),
        ({"random_element": 1.01}, "random_element"),
        ({"random_element": 0.0}, "random_element"),
        ({"random_element": float("nan")}, "random_element"),
        ({"arms": []}, "at least one arm"),
        ({"arms": [("A", 1), ("A", 2)]}, "listed twice"),
        ({"arms": [("A", 1), ("B", 0)]}, "ratio"),
        ({"participant": {}}, "no factor levels"),
        ({"counts": {"site=exeter": {"C": 1}}}, "unknown arm"),
        ({"counts": {"site=exeter": {"A": -1}}}, "negative"),
    ],
)
def test_an_invalid_minimisation_request_is_refused(changes, message):
    request = {
        "arms": [("A", 1), ("B", 1)],
        "counts": {},
        "participant": {"site": "exeter"},
        "random_element": 0.8,
        "rng": random.Random(0),
    }

    with pytest.raises(ValueError, match=message):
        minimise(**{**request, **changes})
