"""How the monitor verifies the data against the source: which kinds of record are verified in
full, and what fraction of the rest is sampled.

The kinds are the review's record kinds (``review.records``): the protocol names them by code. An
adverse event is verified in full when it is serious (or every one, ``adverse_events: all``), a
drinking day when it falls in the primary endpoint's window (or every one, ``drinking_days:
all``). Every other record is sampled: a keyed hash of its kind and id below ``sample_fraction``,
so the monitor's list is the same on every reading and cannot be steered by the site.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from trials.protocol.fields import _Strict

RecordKind = Literal[
    "adverse_event",
    "baseline",
    "biomarker",
    "consent",
    "drinking_day",
    "infusion",
    "questionnaire",
    "randomisation",
    "screening",
    "session",
    "visit",
    "withdrawal",
]

DEFAULT_IN_FULL: list[RecordKind] = [
    "consent",
    "screening",
    "randomisation",
    "infusion",
    "adverse_event",
    "drinking_day",
]


class MonitoringSpec(_Strict):
    """Source data verification: ``verify_in_full`` kinds (narrowed for adverse events and drinking
    days as above) and ``sample_fraction`` of every other record, from 0 (none) to 1 (all)."""

    verify_in_full: list[RecordKind] = Field(default_factory=lambda: list(DEFAULT_IN_FULL))
    adverse_events: Literal["serious", "all"] = "serious"
    drinking_days: Literal["primary_window", "all"] = "primary_window"
    sample_fraction: Decimal = Field(default=Decimal("0.2"), ge=0, le=1)

    @field_validator("verify_in_full")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("list each kind of record once")
        return value
