"""The sections of a committee report other than safety: recruitment, screening, baseline,
completeness, adherence, withdrawals and deviations.

Each takes the report's :class:`~outcomes.analysis.committee.groups.Group` columns and returns HTML;
given the open report's single pooled group, none of them shows an arm.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from html import escape

import pandas as pd

from outcomes.analysis.committee.data import CommitteeData
from outcomes.analysis.committee.groups import Group, Wording
from outcomes.analysis.html import mean_sd, n_pct, num, table
from participants.models import DeviationKind, ScreeningOutcome, Sex, WithdrawalScope


def _randomised_header(groups: list[Group]) -> list[str]:
    return ["Randomised"] if len(groups) == 1 else [f"Randomised: {g.name}" for g in groups]


def months_of(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s to ``last``'s."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def recruitment(data: CommitteeData, groups: list[Group], figure: str) -> str:
    """Randomised against the protocol's target: overall, by site, by month (with the cumulative
    count and its share of the target), and the cumulative picture ``figure`` (HTML)."""
    people, screenings = data.participants, data.screenings
    target = data.protocol.trial.target_sample_size
    total = len(people)
    if target:
        summary = f"{total} randomised of a target of {target} ({100 * total / target:.0f}%)"
    else:
        summary = f"{total} randomised; the protocol states no target sample size"
    by_site = [
        [
            site,
            str(int((screenings["site"] == site).sum())),
            *[str(int((g.of(people)["site"] == site).sum())) for g in groups],
        ]
        for site in data.sites
    ]
    by_site.append(["Total", str(len(screenings)), *[str(len(g.of(people))) for g in groups]])
    screened_months = pd.to_datetime(screenings["screened_on"]).dt.to_period("M")
    randomised_months = pd.to_datetime(people["allocated_on"]).dt.to_period("M")
    dates = [*screenings["screened_on"], *people["allocated_on"]]
    rows, running = [], 0
    for month in months_of(min(dates), data.cutoff):
        period = pd.Period(month, freq="M")
        in_month = randomised_months == period
        running += int(in_month.sum())
        rows.append(
            [
                month.strftime("%B %Y"),
                str(int((screened_months == period).sum())),
                str(int(in_month.sum())),
                str(running),
                f"{100 * running / target:.0f}%" if target else "–",
            ]
        )
    return (
        "<section id='recruitment'><h2>Recruitment</h2>"
        f"<p>{escape(summary)} by the data cut-off.</p>"
        + figure
        + table(["Site", "Screened", *_randomised_header(groups)], by_site, caption="Screened and randomised by site")
        + table(
            ["Month", "Screened", "Randomised", "Randomised to date", "Share of target"],
            rows,
            caption="Screened and randomised by month",
        )
        + "</section>"
    )


def screening(data: CommitteeData) -> str:
    """Screenings by outcome, pooled (nobody screened has an arm yet)."""
    s = data.screenings
    n = len(s)
    rows = [["Screened", str(n)]]
    rows += [[f"  {label}", n_pct(int((s["outcome"] == code).sum()), n)] for code, label in ScreeningOutcome.choices]
    rows.append(["Randomised (of those screened)", n_pct(int(s["randomised"].sum()), n)])
    imported = len(data.participants) - int(s["randomised"].sum())
    if imported > 0:
        rows.append(["Randomised without a screening record by the cut-off", str(imported)])
    return (
        "<section id='screening'><h2>Screening and eligibility</h2>"
        + table(["", "n (%)"], rows, caption="Screenings on or before the cut-off, by outcome")
        + "</section>"
    )


def baseline(data: CommitteeData, groups: list[Group]) -> str:
    frames = [g.of(data.participants) for g in groups]
    rows = [["Participants", *[str(len(f)) for f in frames]]]
    for sex, name in Sex.choices:
        rows.append([f"{name}, n (%)", *[n_pct(int((f["sex"] == sex).sum()), len(f)) for f in frames]])
    rows.append(["Age, mean (SD)", *[mean_sd(f["age"]) for f in frames]])
    rows.append(
        [
            "Grams of ethanol per day before randomisation, mean (SD)",
            *[mean_sd(f["baseline_grams_per_day"]) for f in frames],
        ]
    )
    rows.append(["% days abstinent before randomisation, mean (SD)", *[mean_sd(f["baseline_pda"]) for f in frames]])
    for site in data.sites:
        rows.append([f"Site {site}, n (%)", *[n_pct(int((f["site"] == site).sum()), len(f)) for f in frames]])
    lookback = data.protocol.outcomes.baseline_lookback_days
    return (
        "<section id='baseline'><h2>Baseline characteristics</h2>"
        + table(["", *[g.name for g in groups]], rows)
        + f"<p>Drinking before randomisation: the {lookback} days before randomisation, over the days with "
        "an assessed record.</p></section>"
    )


def completeness(data: CommitteeData, groups: list[Group]) -> str:
    frame = data.completeness
    rows = []
    for window in data.protocol.outcomes.windows:
        part = frame[frame["window"] == window.code]
        cells = []
        for g in groups:
            mine = g.of(part)
            if mine.empty:
                cells.append("–")
                continue
            share = 100 * mine["assessed_days"].sum() / mine["elapsed_days"].sum()
            cells.append(f"{num(share)}% ({int((mine['assessed_days'] > 0).sum())}/{len(mine)})")
        rows.append([f"{window.code} (days {window.start} to {window.end})", *cells])
    return (
        "<section id='completeness'><h2>Data completeness</h2>"
        + table(
            ["Outcome window", *[g.name for g in groups]],
            rows,
            caption="% of the window's days up to the cut-off with an assessed drinking record "
            "(participants with at least one / participants whose window had begun)",
        )
        + "</section>"
    )


def _ratio(done: int, due: int) -> str:
    return f"{done}/{due} ({100 * done / due:.0f}%)" if due else "–"


def adherence(data: CommitteeData, groups: list[Group]) -> str:
    frames = [g.of(data.adherence) for g in groups]
    rows = []
    for due, done, what in (
        ("infusions_due", "infusions_received", "Infusions given"),
        ("sessions_due", "sessions_attended", "Sessions attended"),
    ):
        if not data.adherence[due].sum():
            continue
        rows.append([f"{what}, of the visits due", *[_ratio(int(f[done].sum()), int(f[due].sum())) for f in frames]])
        rows.append(
            [
                "  participants with every one due",
                *[_ratio(int(((f[done] == f[due]) & (f[due] > 0)).sum()), int((f[due] > 0).sum())) for f in frames],
            ]
        )
    if not rows:
        return (
            "<section id='adherence'><h2>Adherence</h2><p>No infusion or session visit had closed its window "
            "by the cut-off.</p></section>"
        )
    return (
        "<section id='adherence'><h2>Adherence</h2>"
        + table(["", *[g.name for g in groups]], rows)
        + "<p>Due: a scheduled visit with an infusion or a session whose window had closed by the cut-off. "
        "Given or attended: recorded at that visit on or before the cut-off.</p></section>"
    )


def withdrawals(data: CommitteeData, groups: list[Group], wording: Wording) -> str:
    w = data.withdrawals
    frames = [g.of(w) for g in groups]
    rows = [[label, *[str(int((f["scope"] == code).sum())) for f in frames]] for code, label in WithdrawalScope.choices]
    rows.append(["Participants who withdrew", *[str(f["participant_id"].nunique()) for f in frames]])
    html = "<section id='withdrawals'><h2>Withdrawals</h2>" + table(
        ["Scope", *[g.name for g in groups]], rows, caption="Withdrawals on or before the cut-off, by scope"
    )
    if wording.closed:
        listing = [
            [r.study_id, _arm_title(data, r.arm), WithdrawalScope(r.scope).label, r.withdrawn_on.isoformat(), r.reason]
            for r in w.sort_values(["arm", "study_id"]).itertuples()
        ]
        html += (
            "<div class='listing'>"
            + table(["Participant", "Arm", "Scope", "Withdrawn on", "Reason"], listing, caption="Withdrawals, by arm")
            + "</div>"
        )
    else:
        reasons = Counter(wording.text(r) for r in w["reason"])
        rows = [[reason, str(n)] for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))]
        html += table(["Reason", "Withdrawals"], rows, caption="Reasons given, identical reasons grouped")
    return html + "</section>"


def deviations(data: CommitteeData, groups: list[Group]) -> str:
    d = data.deviations

    def cell(frame: pd.DataFrame) -> str:
        return f"{len(frame)} ({frame['participant_id'].nunique()})"

    frames = [g.of(d) for g in groups]
    rows = [[label, *[cell(f[f["kind"] == code]) for f in frames]] for code, label in DeviationKind.choices]
    rows.append(["All deviations", *[cell(f) for f in frames]])
    rows.append(["  reviewed as important", *[cell(f[f["important"] == True]) for f in frames]])  # noqa: E712
    rows.append(["  reviewed as not important", *[cell(f[f["important"] == False]) for f in frames]])  # noqa: E712
    rows.append(["  not yet reviewed", *[cell(f[f["important"].isna()]) for f in frames]])
    return (
        "<section id='deviations'><h2>Protocol deviations</h2>"
        + table(["Kind", *[g.name for g in groups]], rows, caption="deviations (participants with at least one)")
        + "</section>"
    )


def _arm_title(data: CommitteeData, code: str) -> str:
    return next((a.title for a in data.protocol.arms if a.code == code), code)
