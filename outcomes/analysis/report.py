"""The analysis report: one self-contained HTML page with its pictures beside it (PNG and SVG).

:func:`write_report` reads the trial's data set (:mod:`outcomes.analysis.dataset`), computes the
CONSORT flow, the baseline table, the analyses of the statistical analysis plan (the primary
endpoint with its adjusted model, populations, missing-data sensitivity and completeness verdict,
and the secondary endpoints: :mod:`outcomes.analysis.planned`), time to relapse, adverse events
and completeness, and writes ``report.html`` with ``consort``, ``primary`` and
``time_to_relapse`` pictures. Images are referenced by relative names; the page loads nothing
from elsewhere.

A blinded report names arms only by group letters (:mod:`outcomes.analysis.labels`) and leaves
out everything that would tell which groups share a level: the factor margins, every model (the
factorial model, its imputations and tipping point) and the hazard ratios per factor.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

import pandas as pd

from outcomes.analysis import consort, dataset, figures, plan_sections, planned, stats
from outcomes.analysis.html import STYLESHEET, figure_html, mean_sd, n_pct, num, p_value, table
from outcomes.analysis.labels import Labels
from outcomes.plan.selectors import is_locked
from participants.models import Sex

GRADES = {1: "1 mild", 2: "2 moderate", 3: "3 severe", 4: "4 life-threatening", 5: "5 death"}


class NothingToAnalyse(Exception):
    """The trial has no randomised participant."""


def _load(trial) -> dataset.AnalysisData:
    data = dataset.load(trial)
    if data.participants.empty:
        raise NothingToAnalyse(f"{trial.code} has no randomised participants: there is nothing to analyse")
    return data


def factorial_estimates(trial) -> dict:
    """The key estimates of the plan's primary endpoint over its window, unblinded, for printing or
    checking (see docs/analysis.md): the plan's primary analysis in ``estimates``, beside it the
    complete-case and multiple-imputation results, the tipping point, the populations and the
    completeness verdict. Raises :class:`NothingToAnalyse` when nobody is randomised.

    ``estimates`` names are ``main:<factor>``, ``interaction`` and ``cell:<arm>-<arm>`` for two
    factors (the corner contrast is ``cell:<first arm>-<last arm>``), or ``difference`` for one;
    it is empty when the plan refuses an estimate (``completeness["refused"]``).
    """
    data = _load(trial)
    plan, version = planned.plan_for(trial, data.protocol)
    return estimates_dict(planned.run(data, plan, version))


def _model_dict(model: stats.ModelResult | None) -> dict | None:
    if model is None:
        return None
    return {
        "n": model.n,
        "formula": model.formula,
        "note": model.note,
        "estimates": {e.name: e.as_dict() for e in model.estimates},
    }


def estimates_dict(analysis: planned.PlannedAnalysis) -> dict:
    """:func:`factorial_estimates`' answer from an analysis already run."""
    result = analysis.primary
    model = result.model
    verdict = result.verdict
    return {
        "outcome": result.endpoint,
        "name": result.name,
        "window": result.window,
        "plan": None if (v := analysis.version) is None else {"number": v.number, "label": v.label},
        "method": result.method,
        "population": analysis.plan.estimand.population.value,
        "adjusted_for": list(analysis.plan.model.adjust_for),
        "n": model.n if model else 0,
        "formula": model.formula if model else "",
        "note": model.note if model else verdict.message,
        "arms": result.arms,
        "estimates": {e.name: e.as_dict() for e in model.estimates} if model else {},
        "adjusted_p": result.adjusted_p,
        "multiplicity": analysis.plan.multiplicity.method,
        "completeness": {
            "mean": verdict.completeness,
            "threshold": verdict.threshold,
            "below": verdict.below,
            "refused": verdict.refused,
            "message": verdict.message,
        },
        "complete_case": _model_dict(result.complete_case),
        "multiple_imputation": _model_dict(result.imputed),
        "tipping_point": [
            {
                "factor": point.factor,
                "contrast": point.contrast,
                "changes_at": point.changes_at,
                "rows": [{"delta": r.delta, **r.estimate.as_dict()} for r in point.rows],
            }
            for point in result.tipping
        ],
        "populations": {
            row.key: {
                "role": row.role,
                "randomised": row.randomised,
                "analysed": row.analysed,
                **(_model_dict(row.model) or {}),
            }
            for row in result.populations
        },
    }


# --- sections -----------------------------------------------------------------------------------


def _criteria_rows(flow: consort.Flow, labels: Labels) -> list[list[str]]:
    """The enrolment table's rows for the failed criteria: a heading per kind, then each criterion."""
    rows = []
    for heading, items in labels.failed_criteria(flow.failed_criteria):
        rows.append([f"    {heading[0].lower()}{heading[1:]}", ""])
        rows += [[f"      {text}", str(n)] for text, n in items]
    return rows


def _consort_section(flow: consort.Flow, labels: Labels, margins: bool) -> str:
    header = [
        "",
        "allocated",
        "received",
        "did not receive",
        "lost to follow-up",
        "discontinued",
        "analysed",
        "excluded from analysis",
    ]

    def row(name: str, g: consort.Group) -> list[str]:
        return [
            name,
            *map(str, (g.allocated, g.received, g.not_received, g.lost, g.discontinued, g.analysed, g.not_analysed)),
        ]

    by_key = {g.key: g for g in flow.arms}
    rows = [row(labels.arm(code), by_key[code]) for code in labels.order]
    if margins:
        for factor in labels.protocol.factors:
            for group, level in zip(flow.margins[factor.code], factor.levels, strict=True):
                rows.append(row(f"{factor.title}: {level.title} ({', '.join(group.arms)})", group))
    enrolment = [
        ["Assessed for eligibility", str(flow.assessed)],
        ["Excluded", str(flow.excluded)],
        ["  not meeting criteria", str(flow.not_eligible)],
        *_criteria_rows(flow, labels),
        ["  declined to participate", str(flow.declined)],
        ["  other reasons", str(flow.other)],
        ["  eligible, not randomised", str(flow.eligible_not_randomised)],
        ["Randomised", str(flow.randomised)],
    ]
    if flow.imported:
        enrolment.append(["  of whom randomised before the tracker (no screening record)", str(flow.imported)])
    ratio = ":".join(str(a.ratio) for a in labels.protocol.arms)
    return (
        "<section id='consort'><h2>Participant flow (CONSORT 2010)</h2>"
        + figure_html("consort", "CONSORT flow diagram")
        + table(["Enrolment", "n"], enrolment)
        + table(
            header,
            rows,
            caption="Allocation, follow-up and analysis" + (" by arm and factor margin" if margins else ""),
        )
        + f"<p>Allocation ratio {escape(ratio)}. Received: at least one infusion or attended session of the "
        "allocated intervention (per factor margin, of that factor's component). Lost to follow-up: withdrew "
        "from follow-up or data use, or missed the follow-up visit closing the primary window. Discontinued: "
        "withdrew from the intervention only. Analysed: at least one assessed day in the primary window.</p>"
        "</section>"
    )


def _baseline_section(people: pd.DataFrame, labels: Labels, sites: list[str]) -> str:
    groups = [(labels.arm(a), people[people["arm"] == a]) for a in labels.order] + [("Total", people)]
    rows = [["Participants", *[str(len(g)) for _, g in groups]]]
    for sex, name in Sex.choices:
        rows.append([f"{name}, n (%)", *[n_pct(int((g["sex"] == sex).sum()), len(g)) for _, g in groups]])
    rows.append(["Age, mean (SD)", *[mean_sd(g["age"]) for _, g in groups]])
    rows.append(
        [
            "Grams of ethanol per day before randomisation, mean (SD)",
            *[mean_sd(g["baseline_grams_per_day"]) for _, g in groups],
        ]
    )
    rows.append(["PDA before randomisation, mean (SD)", *[mean_sd(g["baseline_pda"]) for _, g in groups]])
    for site in sites:
        rows.append([f"Site {site}, n (%)", *[n_pct(int((g["site"] == site).sum()), len(g)) for _, g in groups]])
    return (
        "<section id='baseline'><h2>Baseline characteristics</h2>"
        + table(["", *[name for name, _ in groups]], rows)
        + "<p>Drinking before randomisation: the protocol's look-back days before the anchor, "
        "over the days with a record.</p></section>"
    )


def _survival_section(result: stats.SurvivalResult, labels: Labels, data, blinded: bool) -> str:
    html = "<section id='relapse'><h2>Time to relapse</h2>"
    if result.n == 0:
        return html + f"<p>{escape(result.note)}.</p></section>"
    html += figure_html("time_to_relapse", "Kaplan–Meier curves of time to relapse")
    rows = [
        [labels.arm(arm), num(result.medians.get(arm), 0) if arm in result.medians else "–"] for arm in labels.order
    ]
    html += table(["", "median days to relapse"], rows)
    if result.logrank_p is not None:
        html += (
            f"<p>Log-rank test across {'groups' if blinded else 'arms'}: χ² = {num(result.logrank_statistic, 2)} "
            f"on {result.logrank_df} df, p = {p_value(result.logrank_p)}. {result.events} relapses among "
            f"{result.n} participants.</p>"
        )
    if not blinded:
        if result.hazard_ratios:
            rows = [
                [
                    f"{labels.factor(e.name.split(':', 1)[1])}: {e.label}",
                    num(e.estimate, 2),
                    f"{num(e.ci_low, 2)} to {num(e.ci_high, 2)}",
                    p_value(e.p),
                ]
                for e in result.hazard_ratios
            ]
            html += table(["Cox model, hazard ratio per factor", "HR", "95% CI", "p"], rows)
        if result.note:
            html += f"<p>{escape(result.note)}.</p>"
    html += (
        "<p>Days from the first day of the primary window to the relapse day; participants without a relapse "
        "are censored at their last assessed day. Participants without any assessed day are left out.</p>"
    )
    return html + "</section>"


def _adverse_events_section(data, labels: Labels) -> str:
    events = data.adverse_events
    people = data.participants
    header = ["", *[labels.arm(a) for a in labels.order]]

    def cell(frame: pd.DataFrame) -> str:
        return f"{len(frame)} ({frame['participant_id'].nunique()})"

    rows = [["Participants", *[str(int((people["arm"] == a).sum())) for a in labels.order]]]
    rows.append(["Any adverse event", *[cell(events[events["arm"] == a]) for a in labels.order]])
    for grade, name in GRADES.items():
        rows.append(
            [f"Grade {name}", *[cell(events[(events["arm"] == a) & (events["grade"] == grade)]) for a in labels.order]]
        )
    rows.append(["Serious", *[cell(events[(events["arm"] == a) & events["serious"]]) for a in labels.order]])
    return (
        "<section id='adverse-events'><h2>Adverse events</h2>"
        + table(header, rows, caption="events (participants with at least one), by CTCAE grade")
        + "</section>"
    )


def _completeness_section(data, labels: Labels) -> str:
    ends = data.endpoints
    rows = []
    for window in data.protocol.outcomes.windows:
        part = ends[ends["window"] == window.code]
        cells = []
        for arm in labels.order:
            arm_rows = part[part["arm"] == arm]
            any_day = int((arm_rows["assessed_days"] > 0).sum())
            cells.append(f"{num(arm_rows['completeness'].mean())}% ({any_day}/{len(arm_rows)})")
        rows.append([f"{window.code} (days {window.start} to {window.end})", *cells])
    return (
        "<section id='completeness'><h2>Data completeness</h2>"
        + table(
            ["window", *[labels.arm(a) for a in labels.order]],
            rows,
            caption="mean % of the window's days with a record (participants with at least one)",
        )
        + "</section>"
    )


def plan_text(version) -> str:
    """Which statistical analysis plan the report names: its version, fingerprint and lock."""
    if version is None:
        return "No statistical analysis plan is stored for this trial: the analysis follows the tracker's defaults."
    head = f"Statistical analysis plan version {version.number} ({version.label}), fingerprint {version.sha256}"
    if not is_locked(version):
        return f"{head}, not locked: a draft, open to amendment."
    lock = version.lock
    who = lock.locked_by.get_full_name() or lock.locked_by.get_username()
    return f"{head}, locked on {lock.locked_at:%Y-%m-%d} by {who}."


def _primary_figure(data, analysis: planned.PlannedAnalysis, labels: Labels, interaction: bool):
    endpoint = analysis.primary
    return figures.pda(
        data.window(endpoint.window),
        labels,
        interaction=interaction,
        outcome=endpoint.endpoint,
        name=endpoint.name,
        unit=endpoint.unit,
        window=endpoint.window,
    )


def write_report(*, trial, out_dir, blinded: bool = False) -> Path:
    """Write the report into ``out_dir`` (created if needed) and return the HTML file's path.

    Unblinded by default (for the unblinded statistician): then the folder and every file written are
    readable by their owner only (0700, 0600). ``blinded``: arms as coded groups and no factor level
    names anywhere, for a data monitoring committee. Raises :class:`NothingToAnalyse` when nobody
    is randomised.
    """
    out_dir = Path(out_dir)
    data = _load(trial)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not blinded:
        out_dir.chmod(0o700)
    written = ["report.html"]
    protocol = data.protocol
    labels = Labels(protocol=protocol, trial_code=trial.code, blinded=blinded)
    primary = data.primary()
    flow = consort.flow(data)
    factors_ok = all(len(f.levels) == 2 for f in protocol.factors) and len(protocol.factors) <= 2
    margins = not blinded and len(protocol.factors) > 1
    plan, plan_version = planned.plan_for(trial, protocol)
    analysis = planned.run(data, plan, plan_version, models=not blinded)
    surv_frame = stats.survival_frame(primary)
    survival = stats.survival(surv_frame, protocol, cox=not blinded)
    window = next(w for w in protocol.outcomes.windows if w.code == protocol.outcomes.primary_window)

    written += figures.save(figures.consort(flow, labels, show_margins=margins), out_dir, "consort")
    interaction = not blinded and len(protocol.factors) == 2 and factors_ok
    written += figures.save(_primary_figure(data, analysis, labels, interaction), out_dir, "primary")
    if survival.n:
        written += figures.save(
            figures.kaplan_meier(surv_frame, labels, window_days=window.end - window.start + 1),
            out_dir,
            "time_to_relapse",
        )

    version = trial.version_on()
    sites = sorted(data.participants["site"].dropna().unique())
    body = [
        f"<h1>{escape(labels.title)}</h1>",
        f"<p class='meta'>{'Blinded' if blinded else 'Unblinded'} analysis report, written on "
        f"{dt.date.today().isoformat()} from protocol version {version.number} ({escape(version.label)}); "
        f"primary window {escape(data.primary_window)}; database {data.database_state}.</p>",
        f"<p class='meta'>{escape(plan_text(plan_version))}</p>",
        plan_sections.plan_summary(analysis),
    ]
    if blinded:
        body.append(
            "<p>Arms are shown as coded groups. The letters come from a fixed shuffle of the arms that this "
            "report does not reveal.</p>"
        )
    body += [
        _consort_section(flow, labels, margins),
        _baseline_section(data.participants, labels, sites),
        plan_sections.primary_section(analysis, labels, blinded=blinded),
        plan_sections.secondary_section(analysis, labels, blinded=blinded),
        _survival_section(survival, labels, data, blinded),
        _adverse_events_section(data, labels),
        _completeness_section(data, labels),
    ]
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(labels.title)}</title><style>{STYLESHEET}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    if not blinded:
        for name in written:
            (out_dir / name).chmod(0o600)
    return path
