"""Hypothesis strategies for the randomisation designs the algorithms' tests draw."""

from __future__ import annotations

from hypothesis import strategies as st

CODES = ("A", "B", "C", "D")


@st.composite
def designs(draw, *, max_arms: int = 4, max_ratio: int = 3, min_sizes: int = 1):
    """``(arms, block_sizes)`` with every block size a multiple of the ratio total."""
    n = draw(st.integers(2, max_arms))
    ratios = draw(st.lists(st.integers(1, max_ratio), min_size=n, max_size=n))
    multiples = draw(st.lists(st.integers(1, 4), min_size=min_sizes, max_size=3, unique=True))
    return list(zip(CODES[:n], ratios, strict=True)), [m * sum(ratios) for m in multiples]


def equal_designs(max_arms: int = 4):
    return designs(max_arms=max_arms, max_ratio=1)
