"""Randomisation algorithms, pure: no database, no clock, no hidden randomness.

Two methods, as a protocol's ``randomisation`` section names them:

* **Permuted blocks** (:func:`generate_list`): a list of slots per stratum, made in advance from a
  secret seed (:func:`new_seed`). Block ``k`` of a stratum is a function of ``(seed, stratum, k)``
  alone, so a list can be extended ("topped up") block by block and the whole list regenerated from
  the seed at any time; :func:`fingerprint` then proves the stored list is the one the seed makes.
* **Minimisation** (:func:`minimise`): Pocock–Simon, one participant at a time, against the counts
  already allocated per factor level.

The block draws come from SHA-256 in counter mode rather than from :mod:`random`: Python promises a
stable stream only for ``Random.random()``, not for ``choice`` or ``shuffle``, and a trial's list
must regenerate identically after any number of interpreter upgrades. Arms are given as
``(code, ratio)`` pairs in any order; their order does not change a list.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

# Joins the parts hashed for a block; refused inside a seed or stratum so that no two different
# (seed, stratum) pairs can hash alike.
_SEPARATOR = "\x1f"
_WORD = 8  # bytes per uniform draw
_WORD_RANGE = 1 << (8 * _WORD)


@dataclass(frozen=True)
class Slot:
    """One place on a stratum's list: the ``position``-th participant of ``stratum`` gets ``arm``.

    ``position`` counts from 1 within the stratum; ``block`` counts from 0 and ``block_size`` is the
    size drawn for that block.
    """

    stratum: str
    position: int
    block: int
    block_size: int
    arm: str


def new_seed() -> str:
    """A fresh secret seed for a stratum's list (32 hex digits). Keep it concealed, like the list."""
    return secrets.token_hex(16)


# --- permuted blocks ------------------------------------------------------------------------


def generate_list(
    *,
    seed: str,
    stratum: str,
    arms: Sequence[tuple[str, int]],
    block_sizes: Sequence[int],
    blocks: int,
    first_block: int = 0,
    first_position: int = 1,
) -> list[Slot]:
    """Blocks ``first_block .. first_block + blocks - 1`` of ``stratum``'s list, in position order.

    Each block's size is drawn uniformly from ``block_sizes`` and the block holds every arm
    ``ratio * size / (sum of ratios)`` times, in a random order. Block ``k`` depends only on
    ``(seed, stratum, k)`` (and the design), so generating blocks ``0..n-1`` and then topping up
    ``n..m-1`` with ``first_block=n, first_position=<last position + 1>`` gives exactly the slots of
    generating ``0..m-1`` at once.

    Refuses (``ValueError``): no arms, a repeated arm code, a ratio below 1; no block sizes, a
    repeated size, a size that is not a positive multiple of the ratio total; ``blocks`` or
    ``first_block`` below 0; an empty seed or stratum or one containing the unit separator
    (``\\x1f``); and a ``first_position`` other than the one the earlier blocks end at, since two
    slots on one position would let two participants share a slot.
    """
    design = _design(arms)
    total = sum(ratio for _, ratio in design)
    sizes = _block_sizes(block_sizes, total)
    for name, value in (("seed", seed), ("stratum", stratum)):
        if not value or _SEPARATOR in value:
            raise ValueError(f"the {name} must be non-empty and must not contain \\x1f")
    if blocks < 0 or first_block < 0:
        raise ValueError("blocks and first_block must not be negative")
    expected = 1 + sum(_block_size(seed, stratum, k, sizes) for k in range(first_block))
    if first_position != expected:
        raise ValueError(f"block {first_block} of this list starts at position {expected}, not {first_position}")

    slots: list[Slot] = []
    position = first_position
    for k in range(first_block, first_block + blocks):
        stream = _Stream(seed, stratum, k)
        size = sizes[stream.below(len(sizes))]
        block = [code for code, ratio in design for _ in range(ratio * size // total)]
        stream.shuffle(block)
        for arm in block:
            slots.append(Slot(stratum=stratum, position=position, block=k, block_size=size, arm=arm))
            position += 1
    return slots


def fingerprint(slots: Iterable[Slot]) -> str:
    """SHA-256 (hex) of the slots in a canonical form, whatever order they come in.

    The form is compact JSON of ``[stratum, position, block, block_size, arm]`` rows sorted by
    stratum then position. Two collections have the same fingerprint exactly when they hold the
    same slots, so regenerating a list from its seed proves the stored list unchanged.
    """
    rows = sorted((s.stratum, s.position, s.block, s.block_size, s.arm) for s in slots)
    data = json.dumps(rows, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def stratum_key(*, site: str, values: Mapping[str, str], stratify_by: Sequence[str]) -> str:
    """The canonical name of a participant's stratum, such as ``"site=exeter|sex=F"``.

    The site always comes first; then each factor of ``stratify_by`` in the protocol's order
    (``"site"`` skipped, a repeat ignored), with its value from ``values``. Refuses
    (``ValueError``) a missing value, an empty one, one containing ``|``, ``=`` or a control
    character, and a ``values["site"]`` that disagrees with ``site``.
    """
    if "site" in values and values["site"] != site:
        raise ValueError(f"values name site {values['site']!r} but the participant's site is {site!r}")
    parts = {"site": site}
    for factor in stratify_by:
        if factor in parts:
            continue
        if factor not in values:
            raise ValueError(f"no value for the stratification factor {factor!r}")
        parts[factor] = values[factor]
    for name, value in parts.items():
        for text in (name, value):
            if not text or "|" in text or "=" in text or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
                raise ValueError(f"{name}={value!r} cannot be part of a stratum name")
    return "|".join(f"{name}={value}" for name, value in parts.items())


# --- imbalance ------------------------------------------------------------------------------


def imbalance(slots_or_arms: Sequence[str | Slot], arms: Sequence[tuple[str, int]]) -> int:
    """How far a set of allocations is from the allocation ratio, in participants.

    Reduce the ratios by their common divisor (1:1 and 2:2 are one design) and take the smallest
    exactly-proportional allocation that contains the given one: ``m * ratio_a`` participants per
    arm, with ``m = max over arms of ceil(count_a / ratio_a)``. The imbalance is the largest number
    of participants any arm is short of it: ``max over arms of (m * ratio_a - count_a)``.

    It is 0 exactly when the counts are in the ratio, and for equal ratios it is the largest count
    minus the smallest. Accepts arm codes or :class:`Slot` objects; refuses (``ValueError``) an arm
    that is not in ``arms`` and an invalid design.
    """
    design = _design(arms)
    divisor = math.gcd(*(ratio for _, ratio in design))
    ratios = {code: ratio // divisor for code, ratio in design}
    counts = Counter(item.arm if isinstance(item, Slot) else item for item in slots_or_arms)
    unknown = sorted(set(counts) - set(ratios))
    if unknown:
        raise ValueError(f"unknown arm(s) {', '.join(map(repr, unknown))}")
    m = max(-(-counts[code] // ratio) for code, ratio in ratios.items())
    return max(m * ratio - counts[code] for code, ratio in ratios.items())


# --- minimisation ---------------------------------------------------------------------------


def minimise(
    *,
    arms: Sequence[tuple[str, int]],
    counts: Mapping[str, Mapping[str, int]],
    participant: Mapping[str, str],
    random_element: float,
    rng: random.Random,
) -> str:
    """The arm for the next participant by Pocock–Simon minimisation; returns its code.

    ``participant`` maps each factor minimised over to the participant's level
    (``{"site": "exeter", "sex": "F"}``); ``counts["site=exeter"]["A"]`` is how many participants
    with that level are already in arm ``A`` (a missing key counts 0). For each candidate arm the
    participant is added to it hypothetically; at each of the participant's factor levels the
    counts are divided by the arms' ratios and their range (largest minus smallest) taken; the
    candidate's score is the sum of those ranges over the factors. With probability
    ``random_element`` an arm with the lowest score is chosen (ties broken uniformly by ``rng``),
    otherwise one of the other arms uniformly; when every arm scores the same, any arm uniformly.
    ``rng`` is the only source of chance, so a seeded ``rng`` makes the choice reproducible.

    Refuses (``ValueError``): ``random_element`` outside (0.5, 1]; no arms, a repeated arm code or
    a ratio below 1; a participant with no factors; a count that is negative or names an unknown
    arm.
    """
    if not (0.5 < random_element <= 1.0):
        raise ValueError(f"random_element must be in (0.5, 1], not {random_element!r}")
    design = _design(arms)
    if not participant:
        raise ValueError("the participant has no factor levels to minimise over")
    codes = [code for code, _ in design]
    margins = []
    for factor, level in sorted(participant.items()):
        margin = counts.get(f"{factor}={level}", {})
        unknown = sorted(set(margin) - set(codes))
        if unknown:
            raise ValueError(f"counts for {factor}={level} name unknown arm(s) {', '.join(map(repr, unknown))}")
        if any(n < 0 for n in margin.values()):
            raise ValueError(f"counts for {factor}={level} must not be negative")
        margins.append(margin)

    def score(candidate: str) -> Fraction:
        total = Fraction(0)
        for margin in margins:
            weighted = [Fraction(margin.get(code, 0) + (code == candidate), ratio) for code, ratio in design]
            total += max(weighted) - min(weighted)
        return total

    scores = {code: score(code) for code in codes}
    best = min(scores.values())
    preferred = [code for code in codes if scores[code] == best]
    others = [code for code in codes if scores[code] != best]
    if not others or rng.random() < random_element:
        return rng.choice(preferred)
    return rng.choice(others)


# --- helpers --------------------------------------------------------------------------------


def _design(arms: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The arms sorted by code, after checking them."""
    if not arms:
        raise ValueError("there must be at least one arm")
    codes = [code for code, _ in arms]
    if len(set(codes)) != len(codes):
        raise ValueError("an arm code is listed twice")
    for code, ratio in arms:
        if not code:
            raise ValueError("an arm code must not be empty")
        if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
            raise ValueError(f"arm {code!r} has ratio {ratio!r}; a ratio is a whole number of at least 1")
    return sorted(arms)


def _block_sizes(block_sizes: Sequence[int], total: int) -> list[int]:
    if not block_sizes:
        raise ValueError("there must be at least one block size")
    if len(set(block_sizes)) != len(block_sizes):
        raise ValueError("a block size is listed twice")
    for size in block_sizes:
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0 or size % total:
            raise ValueError(f"block size {size!r} is not a positive multiple of the ratio total {total}")
    return sorted(block_sizes)


def _block_size(seed: str, stratum: str, block: int, sizes: list[int]) -> int:
    return sizes[_Stream(seed, stratum, block).below(len(sizes))]


class _Stream:
    """Uniform draws for one block: SHA-256 of the block's key and a counter, 8 bytes a draw."""

    def __init__(self, seed: str, stratum: str, block: int):
        self._key = hashlib.sha256(f"{seed}{_SEPARATOR}{stratum}{_SEPARATOR}{block}".encode()).digest()
        self._counter = 0

    def _word(self) -> int:
        digest = hashlib.sha256(self._key + self._counter.to_bytes(8, "big")).digest()
        self._counter += 1
        return int.from_bytes(digest[:_WORD], "big")

    def below(self, n: int) -> int:
        """Uniform in ``range(n)``: words past the last whole multiple of ``n`` are redrawn."""
        limit = _WORD_RANGE - _WORD_RANGE % n
        while (word := self._word()) >= limit:
            pass
        return word % n

    def shuffle(self, items: list) -> None:
        """Fisher–Yates, in place."""
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]
