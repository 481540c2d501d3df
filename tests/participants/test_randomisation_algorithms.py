"""The pure randomisation algorithms: permuted-block lists and stratum names (minimisation in
test_minimisation.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from participants.randomisation.algorithms import (
    Slot,
    fingerprint,
    generate_list,
    imbalance,
    new_seed,
    stratum_key,
)
from tests.participants.strategies import CODES, designs, equal_designs

KARE_ARMS = [("ket-thy", 1), ("ket-edu", 1), ("pla-thy", 1), ("pla-edu", 1)]
PROPERTY = settings(max_examples=40, deadline=None)

seeds = st.text(st.characters(codec="utf-8", exclude_characters="\x1f"), min_size=1, max_size=24)
strata = st.text("abcdefxyz=|FM", min_size=1, max_size=12)


def by_block(slots: list[Slot]) -> dict[int, list[Slot]]:
    blocks = defaultdict(list)
    for slot in slots:
        blocks[slot.block].append(slot)
    return blocks


# --- permuted blocks ------------------------------------------------------------------------


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 15))
def test_every_block_holds_each_arm_in_proportion_to_its_ratio(design, seed, stratum, blocks):
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)

    assert sorted(by_block(slots)) == list(range(blocks))
    total = sum(ratio for _, ratio in arms)
    for block in by_block(slots).values():
        size = block[0].block_size
        assert len(block) == size
        assert {slot.block_size for slot in block} == {size}
        assert Counter(slot.arm for slot in block) == {code: ratio * size // total for code, ratio in arms}


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 15))
def test_positions_run_from_one_without_gaps_and_blocks_are_contiguous(design, seed, stratum, blocks):
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)

    assert [slot.position for slot in slots] == list(range(1, len(slots) + 1))
    assert [slot.block for slot in slots] == sorted(slot.block for slot in slots)
    assert {slot.stratum for slot in slots} <= {stratum}


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 15))
def test_the_same_seed_gives_the_same_slots_and_fingerprint(design, seed, stratum, blocks):
    arms, sizes = design
    first = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)
    again = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)

    assert first == again
    assert fingerprint(first) == fingerprint(again)


@PROPERTY
@given(design=designs(), seeds=st.lists(seeds, min_size=2, max_size=2, unique=True), stratum=strata)
def test_different_seeds_give_different_lists(design, seeds, stratum):
    # 40 blocks of at least two orderable slots each: a chance collision is below 2**-40.
    arms, sizes = design
    lists = [generate_list(seed=s, stratum=stratum, arms=arms, block_sizes=sizes, blocks=40) for s in seeds]

    assert fingerprint(lists[0]) != fingerprint(lists[1])


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, data=st.data())
def test_topping_up_gives_the_same_slots_as_generating_in_one_go(design, seed, stratum, data):
    arms, sizes = design
    blocks = data.draw(st.integers(0, 12), label="blocks")
    split = data.draw(st.integers(0, blocks), label="split")
    whole = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)

    head = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=split)
    tail = generate_list(
        seed=seed,
        stratum=stratum,
        arms=arms,
        block_sizes=sizes,
        blocks=blocks - split,
        first_block=split,
        first_position=len(head) + 1,
    )

    assert head + tail == whole
    assert fingerprint(tail + head) == fingerprint(whole)


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(1, 8), data=st.data())
def test_topping_up_from_the_wrong_position_is_refused(design, seed, stratum, blocks, data):
    arms, sizes = design
    head = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)
    wrong = data.draw(st.integers(1, len(head) + 50).filter(lambda p: p != len(head) + 1), label="position")

    with pytest.raises(ValueError, match="starts at position"):
        generate_list(
            seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=1, first_block=blocks, first_position=wrong
        )


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 8))
def test_no_prefix_of_a_list_is_further_from_the_ratio_than_one_largest_block_allows(design, seed, stratum, blocks):
    """With ratios reduced to lowest terms (sum R, largest r), every prefix has imbalance at most
    ``largest block size * r / R``, and 0 at each block's end: completed blocks are exact, and an
    arm can be at most one block's share behind."""
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)
    ratios = [ratio for _, ratio in arms]
    bound = Fraction(max(sizes) * max(ratios), sum(ratios))
    block_ends = set(accumulate(len(block) for block in by_block(slots).values()))

    for n in range(len(slots) + 1):
        prefix = imbalance([slot.arm for slot in slots[:n]], arms)
        assert prefix <= bound
        if n in block_ends:
            assert prefix == 0


@PROPERTY
@given(design=equal_designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 10))
def test_with_equal_ratios_no_two_arms_ever_differ_by_more_than_half_the_largest_block(design, seed, stratum, blocks):
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)
    counts = dict.fromkeys(CODES[: len(arms)], 0)

    for n, slot in enumerate(slots, start=1):
        counts[slot.arm] += 1
        spread = max(counts.values()) - min(counts.values())
        assert spread <= max(sizes) / 2
        assert spread == imbalance([s.arm for s in slots[:n]], arms)


@PROPERTY
@given(design=designs(min_sizes=2), seed=seeds, stratum=strata)
def test_block_sizes_are_drawn_from_the_list_and_each_turns_up(design, seed, stratum):
    # Three sizes at most: one is missing from 200 blocks with probability under 3 * (2/3)**200.
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=200)

    assert {block[0].block_size for block in by_block(slots).values()} == set(sizes)


@PROPERTY
@given(design=designs(), seed=seeds, names=st.lists(strata, min_size=3, max_size=3, unique=True))
def test_strata_have_their_own_independent_lists(design, seed, names):
    arms, sizes = design
    ours, theirs, renamed = names

    def arms_of(stratum: str) -> list[tuple[int, str]]:
        slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=40)
        return [(slot.block_size, slot.arm) for slot in slots]

    before = arms_of(ours)
    assert arms_of(theirs) != arms_of(renamed)  # renaming the other stratum changes its list...
    assert arms_of(ours) == before  # ...and not ours
    assert arms_of(ours) != arms_of(theirs)  # nor do two strata share a list


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(0, 10), data=st.data())
def test_the_order_arms_and_block_sizes_are_given_in_does_not_change_the_list(design, seed, stratum, blocks, data):
    arms, sizes = design
    shuffled_arms = data.draw(st.permutations(arms), label="arms")
    shuffled_sizes = data.draw(st.permutations(sizes), label="block_sizes")

    assert generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks) == generate_list(
        seed=seed, stratum=stratum, arms=shuffled_arms, block_sizes=shuffled_sizes, blocks=blocks
    )


@PROPERTY
@given(design=designs(), seed=seeds, stratum=strata, blocks=st.integers(1, 10), data=st.data())
def test_the_fingerprint_ignores_order_but_notices_any_change(design, seed, stratum, blocks, data):
    arms, sizes = design
    slots = generate_list(seed=seed, stratum=stratum, arms=arms, block_sizes=sizes, blocks=blocks)
    i = data.draw(st.integers(0, len(slots) - 1), label="slot")
    other_arm = data.draw(st.sampled_from([code for code, _ in arms if code != slots[i].arm]), label="arm")
    tampered = [*slots[:i], Slot(**{**vars(slots[i]), "arm": other_arm}), *slots[i + 1 :]]

    assert fingerprint(data.draw(st.permutations(slots), label="order")) == fingerprint(slots)
    assert fingerprint(tampered) != fingerprint(slots)
    assert fingerprint(slots[:-1]) != fingerprint(slots)


def test_a_kare_list_has_every_arm_once_per_four_and_twice_per_eight():
    slots = generate_list(
        seed="0123456789abcdef0123456789abcdef",
        stratum="site=exeter|sex=F",
        arms=KARE_ARMS,
        block_sizes=[4, 8],
        blocks=10,
    )

    for block in by_block(slots).values():
        assert block[0].block_size in {4, 8}
        assert Counter(slot.arm for slot in block) == {code: block[0].block_size // 4 for code, _ in KARE_ARMS}
    assert slots[0].position == 1
    assert slots[-1].position == len(slots) == sum(block[0].block_size for block in by_block(slots).values())


def test_the_algorithm_is_pinned_so_stored_lists_stay_verifiable():
    # Lists stored years ago are checked by regenerating them from their seed: any change to how a
    # block is drawn makes every stored list fail verification, so it must be a deliberate one.
    slots = generate_list(
        seed="0123456789abcdef0123456789abcdef",
        stratum="site=exeter|sex=F",
        arms=KARE_ARMS,
        block_sizes=[4, 8],
        blocks=10,
    )

    assert fingerprint(slots) == "7fdeed898d3f3d6f6661143d0409482640667b95359b6818cea2e6174429ae5c"


def test_a_new_seed_is_32_hex_digits_and_fresh_each_time():
    seeds = {new_seed() for _ in range(20)}

    assert len(seeds) == 20
    assert all(len(seed) == 32 and int(seed, 16) >= 0 for seed in seeds)


def test_no_blocks_is_an_empty_list():
    assert generate_list(seed="s", stratum="site=x", arms=[("A", 1), ("B", 1)], block_sizes=[2], blocks=0) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"arms": []}, "at least one arm"),
        ({"arms": [("A", 1), ("A", 1)]}, "listed twice"),
        ({"arms": [("A", 0), ("B", 1)]}, "ratio"),
        ({"arms": [("A", 1.5), ("B", 1)]}, "ratio"),
        ({"block_sizes": []}, "at least one block size"),
        ({"block_sizes": [4, 4]}, "listed twice"),
        ({"block_sizes": [3]}, "multiple of the ratio total 2"),
        ({"block_sizes": [0]}, "multiple"),
        ({"block_sizes": [-2]}, "multiple"),
        ({"blocks": -1}, "negative"),
        ({"first_block": -1}, "negative"),
        ({"seed": ""}, "seed"),
        ({"seed": "a\x1fb"}, "seed"),
        ({"stratum": ""}, "stratum"),
        ({"first_position": 0}, "starts at position 1"),
    ],
)
def test_an_invalid_list_request_is_refused(changes, message):
    request = {"seed": "s", "stratum": "site=x", "arms": [("A", 1), ("B", 1)], "block_sizes": [2, 4], "blocks": 3}

    with pytest.raises(ValueError, match=message):
        generate_list(**{**request, **changes})


# --- stratum names --------------------------------------------------------------------------


def test_a_stratum_is_named_by_site_then_the_protocol_stratifiers():
    assert stratum_key(site="exeter", values={"sex": "F"}, stratify_by=["site", "sex"]) == "site=exeter|sex=F"
    assert stratum_key(site="exeter", values={"sex": "F"}, stratify_by=["sex", "site"]) == "site=exeter|sex=F"
    assert stratum_key(site="exeter", values={"sex": "F"}, stratify_by=[]) == "site=exeter"
    assert stratum_key(site="exeter", values={"site": "exeter", "sex": "M"}, stratify_by=["sex"]) == (
        "site=exeter|sex=M"
    )


code_text = st.text("abcxyzFM019_.-", min_size=1, max_size=8)


@PROPERTY
@given(
    site=code_text,
    values=st.dictionaries(code_text.filter(lambda f: f != "site"), code_text, max_size=4),
    data=st.data(),
)
def test_a_stratum_name_reads_back_as_its_site_and_values_in_order(site, values, data):
    stratify_by = data.draw(st.permutations([*values, "site"]), label="stratify_by")

    key = stratum_key(site=site, values=values, stratify_by=stratify_by)

    parts = [part.split("=") for part in key.split("|")]
    assert parts == [["site", site]] + [[f, values[f]] for f in stratify_by if f != "site"]


@pytest.mark.parametrize(
    ("site", "values", "message"),
    [
        ("exeter", {}, "no value for the stratification factor 'sex'"),
        ("exeter", {"sex": ""}, "cannot be part of a stratum name"),
        ("exeter", {"sex": "F|M"}, "cannot be part of a stratum name"),
        ("exeter", {"sex": "F=1"}, "cannot be part of a stratum name"),
        ("exeter", {"sex": "F\n"}, "cannot be part of a stratum name"),
        ("", {"sex": "F"}, "cannot be part of a stratum name"),
        ("exeter", {"site": "london", "sex": "F"}, "but the participant's site is"),
    ],
)
def test_a_stratum_name_that_could_be_ambiguous_is_refused(site, values, message):
    with pytest.raises(ValueError, match=message):
        stratum_key(site=site, values=values, stratify_by=["site", "sex"])
