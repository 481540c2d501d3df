"""The reference safety information: the adverse reactions the study drug's RSI (the section of the
investigator's brochure or the summary of product characteristics the regulator approved) lists as
expected, against which a coded adverse event's expectedness is judged.

Each expected event is a MedDRA preferred term, by its code, its name or both. A protocol file
ships no MedDRA codes of its own (MedDRA is licensed): names match a coded PT's name whatever its
case, codes match its code.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from trials.protocol.fields import Text, _Strict

PtCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")]


class ExpectedEvent(_Strict):
    """A preferred term the RSI lists: its 8-digit MedDRA code, its name, or both."""

    pt_code: PtCode | None = None
    pt_name: Text | None = None

    @model_validator(mode="after")
    def _named(self) -> ExpectedEvent:
        if self.pt_code is None and self.pt_name is None:
            raise ValueError("give the preferred term's pt_code, its pt_name or both")
        return self


class ReferenceSafetyInformation(_Strict):
    """The RSI in force with this protocol version: which document, which version, what it lists."""

    document: Text
    version: Text
    expected: list[ExpectedEvent] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_once(self) -> ReferenceSafetyInformation:
        names = Counter(e.pt_name.casefold() for e in self.expected if e.pt_name)
        codes = Counter(e.pt_code for e in self.expected if e.pt_code)
        twice = sorted([n for n, k in names.items() if k > 1] + [c for c, k in codes.items() if k > 1])
        if twice:
            raise ValueError(f"listed more than once: {', '.join(twice)}")
        return self

    def lists(self, *, pt_code: str, pt_name: str) -> bool:
        """Whether the RSI lists the preferred term (by its code, or by its name in any case)."""
        name = pt_name.casefold()
        return any(
            (e.pt_code is not None and e.pt_code == pt_code) or (e.pt_name is not None and e.pt_name.casefold() == name)
            for e in self.expected
        )
