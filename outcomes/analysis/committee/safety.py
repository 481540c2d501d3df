"""The safety sections of a committee report: adverse events by grade and seriousness, by MedDRA
system organ class and preferred term, by relatedness (closed report), and the listing of serious
adverse events (closed report).

A cell counts events and, in brackets, the participants with at least one. An event not yet coded
is shown under "Not yet coded" by its verbatim term (through the report's
:class:`~outcomes.analysis.committee.groups.Wording`, so the open report withholds a term that names
a treatment).
"""

from __future__ import annotations

from html import escape

import pandas as pd

from outcomes.analysis.committee.data import CommitteeData
from outcomes.analysis.committee.groups import Group, Wording
from outcomes.analysis.html import table
from participants.models import RELATED, Causality, Seriousness

GRADES = {1: "mild", 2: "moderate", 3: "severe", 4: "life-threatening", 5: "death"}
NOT_CODED = "Not yet coded"
RELATED_CODES = frozenset(str(c) for c in RELATED)


def _cell(frame: pd.DataFrame) -> str:
    return f"{len(frame)} ({frame['participant_id'].nunique()})"


def _related(events: pd.DataFrame, column: str) -> pd.Series:
    return events[column].isin(RELATED_CODES)


def overview(data: CommitteeData, groups: list[Group]) -> str:
    """Events by grade and seriousness; in the closed report, by relatedness to each intervention too."""
    events = data.adverse_events
    frames = [g.of(events) for g in groups]
    rows = [["Participants", *[str(len(g.of(data.participants))) for g in groups]]]
    rows.append(["Any adverse event", *[_cell(f) for f in frames]])
    rows += [
        [f"Grade {grade} ({name})", *[_cell(f[f["grade"] == grade]) for f in frames]] for grade, name in GRADES.items()
    ]
    rows.append(["Serious adverse events", *[_cell(f[f["serious"]]) for f in frames]])
    for code, label in Seriousness.choices:
        rows.append(
            [
                f"  {label.lower()}",
                *[_cell(f.loc[f["seriousness"].map(lambda s, c=code: c in s).astype(bool)]) for f in frames],
            ]
        )
    if len(groups) > 1:
        for column, what in (
            ("drug_causality", "the study drug"),
            ("therapy_causality", "the psychological intervention"),
        ):
            rows.append(
                [
                    f"Related to {what} (possibly, probably or definitely)",
                    *[_cell(f[_related(f, column)]) for f in frames],
                ]
            )
            rows += [
                [f"  {label.lower()}", *[_cell(f[f[column] == code]) for f in frames]]
                for code, label in Causality.choices
            ]
        rows.append(
            [
                "Suspected unexpected serious adverse reactions",
                *[_cell(f[f["serious"] & _related(f, "drug_causality") & f["unexpected"]]) for f in frames],
            ]
        )
    return table(
        ["", *[g.name for g in groups]], rows, caption="events (participants with at least one), by CTCAE grade"
    )


def by_term(events: pd.DataFrame, groups: list[Group], wording: Wording, *, caption: str) -> str:
    """Events by system organ class and preferred term (the verbatim term while not coded)."""
    events = events.assign(
        soc=events["soc_name"].where(events["soc_name"].astype(bool), NOT_CODED),
        term_shown=[wording.text(pt or term) for pt, term in zip(events["pt_name"], events["term"], strict=True)],
    )
    events["soc"] = events["soc"].map(lambda s: s if s == NOT_CODED else wording.text(s))
    order = sorted(set(events["soc"]), key=lambda s: (s == NOT_CODED, s.lower()))
    rows = [["All system organ classes", *[_cell(g.of(events)) for g in groups]]]
    for soc in order:
        in_soc = events[events["soc"] == soc]
        rows.append([soc, *[_cell(g.of(in_soc)) for g in groups]])
        for term in sorted(set(in_soc["term_shown"]), key=str.lower):
            rows.append([f"    {term}", *[_cell(g.of(in_soc[in_soc["term_shown"] == term])) for g in groups]])
    if events.empty:
        return f"<p>{escape(caption)}: none by the cut-off.</p>"
    return table(["System organ class / preferred term", *[g.name for g in groups]], rows, caption=caption)


def sae_listing(data: CommitteeData) -> str:
    """Every serious adverse event, by arm then participant and onset (closed report only)."""
    arms = {a.code: a.title for a in data.protocol.arms}
    order = {a.code: i for i, a in enumerate(data.protocol.arms)}
    serious = data.adverse_events[data.adverse_events["serious"]]
    serious = serious.assign(arm_order=serious["arm"].map(order)).sort_values(["arm_order", "study_id", "onset_date"])
    labels = dict(Seriousness.choices)
    causality = dict(Causality.choices)
    rows = [
        [
            e.study_id,
            arms.get(e.arm, e.arm),
            e.term,
            e.pt_name or "–",
            e.soc_name or NOT_CODED,
            e.onset_date.isoformat(),
            str(e.grade),
            "; ".join(labels.get(s, s) for s in e.seriousness),
            causality.get(e.drug_causality, e.drug_causality),
            causality.get(e.therapy_causality, e.therapy_causality),
            "unexpected" if e.unexpected else "expected",
            e.outcome or "–",
        ]
        for e in serious.itertuples()
    ]
    header = [
        "Participant",
        "Arm",
        "Verbatim term",
        "Preferred term",
        "System organ class",
        "Onset",
        "Grade",
        "Seriousness",
        "Study drug",
        "Psychological intervention",
        "Expectedness",
        "Outcome",
    ]
    head = "<section id='sae-listing' class='wide'><h2>Serious adverse events</h2>"
    if not rows:
        return head + "<p>None by the cut-off.</p></section>"
    return (
        head
        + "<div class='listing'>"
        + table(
            header,
            rows,
            caption="Serious adverse events with onset on or before the cut-off; relatedness to each intervention",
        )
        + "</div></section>"
    )


def section(data: CommitteeData, groups: list[Group], wording: Wording) -> str:
    events = data.adverse_events
    html = (
        "<section id='adverse-events'><h2>Adverse events</h2>"
        + overview(data, groups)
        + by_term(events, groups, wording, caption="Adverse events by system organ class and preferred term")
        + by_term(
            events[events["serious"]],
            groups,
            wording,
            caption="Serious adverse events by system organ class and preferred term",
        )
    )
    if wording.closed:
        html += by_term(events[events["grade"] >= 3], groups, wording, caption="Adverse events of grade 3 or more")
        related = _related(events, "drug_causality") | _related(events, "therapy_causality")
        html += by_term(events[related], groups, wording, caption="Adverse events related to either intervention")
    return html + "</section>"
