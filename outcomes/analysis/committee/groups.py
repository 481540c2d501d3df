"""The columns of a committee report's tables, and what its free text may say.

The open report has one column, every participant pooled; the closed one a column per arm and a
total. Every table of both reports is built from :func:`columns`, so the open report has no per-arm
table by construction: its only group never reads the ``arm`` column.

Free text written by people (withdrawal reasons, verbatim adverse event terms, even a coded term)
may name a treatment; the open report shows such a text as withheld (:meth:`Wording.text`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from outcomes.analysis.labels import Labels, names_any

WITHHELD = "(withheld from the open report: it names a treatment)"


@dataclass(frozen=True)
class Group:
    name: str
    arms: frozenset[str] | None = None  # None: every participant

    def of(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``frame`` (which has an ``arm`` column) that belong to this group."""
        return frame if self.arms is None else frame[frame["arm"].isin(self.arms)]


def columns(protocol, *, closed: bool) -> list[Group]:
    """Open: one pooled group. Closed: one group per arm (its title), then the total."""
    if not closed:
        return [Group("All participants")]
    return [Group(arm.title, frozenset({arm.code})) for arm in protocol.arms] + [Group("Total")]


class Wording:
    """What the report may print of free text: everything in the closed report; in the open one,
    nothing that names an arm, a factor level or title, or the trial's title."""

    def __init__(self, protocol, *, trial_code: str, closed: bool):
        self.closed = closed
        self.forbidden = [] if closed else Labels(protocol=protocol, trial_code=trial_code, blinded=True).forbidden()

    def text(self, value: str) -> str:
        value = (value or "").strip()
        if self.forbidden and names_any(value, self.forbidden):
            return WITHHELD
        return value
