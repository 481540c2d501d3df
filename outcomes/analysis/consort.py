"""CONSORT 2010 flow counts, per arm and per factor margin (the 2023 factorial extension).

The enrolment part comes from the screenings: everyone assessed for eligibility, those excluded
(not meeting criteria, with the criterion each failed; declined; other reasons; eligible but not
randomised) and those randomised. Participants imported from before the tracker have no screening
record: they count as assessed and randomised, and the diagram says how many they are.

Per group (an arm, or all arms sharing one level of a factor): allocated, received the allocated
intervention (and did not), lost to follow-up, discontinued the intervention, analysed (and
excluded from analysis). :mod:`outcomes.analysis.dataset` defines each flag.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from outcomes.analysis.dataset import AnalysisData
from participants.models import ScreeningOutcome


@dataclass
class Group:
    key: str  # an arm code, or "factor=level"
    allocated: int
    received: int
    lost: int
    lost_withdrew: int
    lost_missed_visit: int
    discontinued: int
    analysed: int
    arms: list[str] = field(default_factory=list)

    @property
    def not_received(self) -> int:
        return self.allocated - self.received

    @property
    def not_analysed(self) -> int:
        return self.allocated - self.analysed


@dataclass
class Flow:
    assessed: int
    excluded: int
    not_eligible: int
    failed_criteria: dict[str, int]
    declined: int
    other: int
    eligible_not_randomised: int
    randomised: int
    imported: int  # randomised without a screening record
    arms: list[Group]
    margins: dict[str, list[Group]]  # factor code -> one group per level


def _group(key: str, frame: pd.DataFrame, received: str = "received", arms: list[str] | None = None) -> Group:
    return Group(
        key=key,
        allocated=len(frame),
        received=int(frame[received].sum()),
        lost=int(frame["lost"].sum()),
        lost_withdrew=int(frame["withdrew_follow_up"].sum()),
        lost_missed_visit=int((frame["missed_final_follow_up"] & ~frame["withdrew_follow_up"]).sum()),
        discontinued=int(frame["discontinued"].sum()),
        analysed=int(frame["analysed"].sum()),
        arms=arms or [],
    )


def _received_column(data: AnalysisData, factor: str) -> str:
    protocol = data.protocol
    dosing = protocol.dosing.factor if protocol.dosing else None
    therapy = protocol.therapy.factor if protocol.therapy else None
    if factor == dosing and factor != therapy:
        return "received_infusion"
    if factor == therapy and factor != dosing:
        return "received_session"
    return "received"


def flow(data: AnalysisData) -> Flow:
    screenings = data.screenings
    people = data.participants
    outcomes = Counter(screenings["outcome"])
    eligible_not_randomised = int(
        ((screenings["outcome"] == ScreeningOutcome.ELIGIBLE) & ~screenings["randomised"]).sum()
    )
    failed = Counter(
        code
        for codes in screenings.loc[screenings["outcome"] == ScreeningOutcome.NOT_ELIGIBLE, "failed_criteria"]
        for code in (codes or [])
    )
    imported = int(people["screening_id"].isna().sum())
    randomised = len(people)
    assessed = len(screenings) + imported
    arms = [_group(arm, people[people["arm"] == arm], arms=[arm]) for arm in data.arms]
    margins: dict[str, list[Group]] = {}
    for factor in data.protocol.factors:
        column = _received_column(data, factor.code)
        margins[factor.code] = [
            _group(
                f"{factor.code}={level.code}",
                people[people[factor.code] == level.code],
                received=column,
                arms=[a.code for a in data.protocol.arms if a.levels.get(factor.code) == level.code],
            )
            for level in factor.levels
        ]
    return Flow(
        assessed=assessed,
        excluded=assessed - randomised,
        not_eligible=outcomes.get(ScreeningOutcome.NOT_ELIGIBLE, 0),
        failed_criteria=dict(failed.most_common()),
        declined=outcomes.get(ScreeningOutcome.DECLINED, 0),
        other=outcomes.get(ScreeningOutcome.OTHER, 0),
        eligible_not_randomised=eligible_not_randomised,
        randomised=randomised,
        imported=imported,
        arms=arms,
        margins=margins,
    )
