"""The report's sections for the analyses the plan runs (:mod:`outcomes.analysis.planned`): the
primary endpoint (per arm, completeness, the adjusted model, missing-data sensitivity, the tipping
point, the populations, the multiplicity rule) and the secondary endpoints.

A blinded report (``blinded``) shows per-group summaries, completeness and the populations' sizes
only: every model, imputation and tipping point compares levels of a factor.
"""

from __future__ import annotations

from html import escape

from outcomes.analysis import stats
from outcomes.analysis.html import figure_html, num, p_value, table
from outcomes.analysis.labels import Labels
from outcomes.analysis.planned import POPULATIONS, EndpointAnalysis, PlannedAnalysis


def ci(estimate: stats.Estimate) -> str:
    return f"{num(estimate.ci_low, 2)} to {num(estimate.ci_high, 2)}"


def _verdict_html(result: EndpointAnalysis) -> str:
    verdict = result.verdict
    if verdict.message:
        kind = "refusal" if verdict.refused else "warning"
        return f"<p class='{kind}' role='note'><strong>{kind.capitalize()}:</strong> {escape(verdict.message)}</p>"
    return (
        f"<p>Completeness of window {escape(verdict.window)}: {num(verdict.completeness)}% of its days assessed "
        f"(mean over every randomised participant), at or above the plan's threshold of {verdict.threshold:g}%.</p>"
    )


def _arms_html(result: EndpointAnalysis, labels: Labels) -> str:
    rows = [
        [
            labels.arm(arm),
            str(s["n"]),
            num(s["mean"], 2),
            num(s["sd"], 2),
            f"{num(s['ci_low'], 2)} to {num(s['ci_high'], 2)}",
        ]
        for arm in labels.order
        if (s := result.arms.get(arm))
    ]
    html = table(
        ["", "n analysed", "mean", "SD", "95% CI of the mean"],
        rows,
        caption=f"{result.name} ({result.unit}), window {result.window}, participants with the outcome",
    )
    if result.verdict.refused:
        html += "<p>Means are shown as – because the plan refuses estimates below its completeness threshold.</p>"
    return html


def _model_table(model: stats.ModelResult, unit: str, adjusted_p: dict[str, float], method: str) -> str:
    header = [f"contrast ({unit})", "estimate", "SE", "95% CI", "p"]
    if adjusted_p:
        header.append(f"p adjusted ({method})")
    rows = []
    for e in model.estimates:
        row = [e.label, num(e.estimate, 2), num(e.se, 2), ci(e), p_value(e.p)]
        if adjusted_p:
            row.append(p_value(adjusted_p[e.name]) if e.name in adjusted_p else "–")
        rows.append(row)
    return table(header, rows)


def _model_text(model: stats.ModelResult, two: bool) -> str:
    covariates = ", ".join(model.adjusted_for) or "nothing"
    return (
        f"<p>Ordinary least squares, <code>{escape(model.formula)}</code>, n = {model.n}. Each factor is coded +0.5 "
        "for its first level and −0.5 for its second, so a factor's coefficient is its effect at the margins "
        "(averaged over the other factor's levels)"
        + (", the interaction is the difference of the simple effects" if two and ":" in model.formula else "")
        + f"; adjusted for {escape(covariates)} (categorical, sum-to-zero coding). Cell contrasts are linear "
        "combinations of the coefficients.</p>"
    )


def _sensitivity_html(result: EndpointAnalysis, analysis: PlannedAnalysis) -> str:
    cc, mi = result.complete_case, result.imputed
    if mi is None:
        return "<p>The plan asks for no multiple imputation: complete case only.</p>"
    settings = analysis.plan.missing_data.multiple_imputation
    html = "<h3>Missing data: complete case and multiple imputation</h3>"
    if mi.note or cc.note:
        html += f"<p>{escape(mi.note or cc.note)}.</p>"
    else:
        by_name = {e.name: e for e in mi.estimates}
        rows = [
            [e.label, f"{num(e.estimate, 2)} ({ci(e)})", f"{num(by_name[e.name].estimate, 2)} ({ci(by_name[e.name])})"]
            for e in cc.estimates
        ]
        html += table(
            ["contrast", f"complete case, n = {cc.n}", f"multiple imputation, n = {mi.n}"],
            rows,
            caption="estimate (95% CI); the plan's primary method is "
            + ("multiple imputation" if result.method == "multiple imputation" else "complete case"),
        )
    html += (
        f"<p>Multiple imputation under missing at random: {settings.imputations} imputations, seed {settings.seed}, "
        f"{result.imputation.n_missing} participants' outcomes imputed by chained equations with predictive mean "
        "matching from the factors, the covariates and the baseline grams per day; pooled with Rubin's rules "
        "(Barnard–Rubin degrees of freedom).</p>"
    )
    return html + _tipping_html(result)


def _tipping_html(result: EndpointAnalysis) -> str:
    html = ""
    for point in result.tipping:
        rows = [
            [f"{r.delta:+g}", num(r.estimate.estimate, 2), ci(r.estimate), "yes" if r.excludes_zero else "no"]
            for r in point.rows
        ]
        html += table(
            ["delta", "estimate", "95% CI", "CI excludes 0"],
            rows,
            caption=f"Tipping point for {point.factor}: imputed values at its first level shifted by delta "
            f"({point.shifted} participants)",
        )
        changes = point.changes_at
        html += "<p>" + (
            f"The conclusion for {escape(point.factor)} changes at delta {changes:+g}."
            if changes is not None
            else f"The conclusion for {escape(point.factor)} does not change over the plan's deltas."
        )
        html += "</p>"
    return html


def _populations_html(result: EndpointAnalysis, labels: Labels, blinded: bool) -> str:
    first = result.populations[0].model if result.populations else None
    shown = first.estimates if first is not None and not blinded else []
    keys = [e.name for e in shown if e.name.startswith("main:") or e.name == "difference"]
    header = ["population", "role", "randomised", "with the outcome"]
    header += [f"{k.split(':', 1)[-1]} effect (95% CI)" for k in keys]
    rows = []
    for row in result.populations:
        cells = [POPULATIONS[row.key], row.role, str(row.randomised), str(row.analysed)]
        for key in keys:
            e = row.model.get(key) if row.model is not None else None
            cells.append(f"{num(e.estimate, 2)} ({ci(e)})" if e else "–")
        rows.append(cells)
    return table(header, rows, caption="Analysis populations (complete case)")


def primary_section(analysis: PlannedAnalysis, labels: Labels, *, blinded: bool) -> str:
    result = analysis.primary
    html = (
        f"<section id='primary'><h2>Primary endpoint: {escape(result.name)}, window {escape(result.window)}</h2>"
        + _verdict_html(result)
        + _arms_html(result, labels)
        + figure_html("primary", f"{result.name} per arm")
    )
    if blinded:
        return (
            html
            + _populations_html(result, labels, True)
            + "<p>The factorial model, the factor margins, the imputations and the tipping point are left out of "
            "the blinded report: they would show which groups share a level.</p></section>"
        )
    if result.kind != "continuous":
        return html + f"<p>{escape(result.name)} is not a continuous endpoint: no linear model.</p></section>"
    if result.model is None:
        return html + _populations_html(result, labels, False) + "</section>"
    two = len(analysis.plan.model.factors) == 2
    html += f"<h3>{'Factorial model' if two else 'Comparison of the two arms'}: {result.method}</h3>"
    if result.model.note:
        return html + f"<p>{escape(result.model.note)}.</p></section>"
    multiplicity = analysis.plan.multiplicity
    html += _model_table(result.model, result.unit, result.adjusted_p, multiplicity.method) + _model_text(
        result.model, two
    )
    html += (
        f"<p>Multiplicity: {escape(multiplicity.method)} at alpha {multiplicity.alpha}"
        + (", applied to the main effects' p values together" if result.adjusted_p else ": p values as estimated")
        + f". {escape(multiplicity.rationale)}</p>"
    )
    html += _sensitivity_html(result, analysis) + _populations_html(result, labels, False)
    return html + "</section>"


def secondary_section(analysis: PlannedAnalysis, labels: Labels, *, blinded: bool) -> str:
    html = "<section id='secondary'><h2>Secondary endpoints</h2>"
    if not analysis.secondary:
        return html + "<p>The plan names no secondary endpoint.</p></section>"
    html += (
        "<p>Supportive: complete case in the estimand's population, with the primary model's factors and "
        "covariates; p values are not adjusted for multiplicity.</p>"
    )
    for result in analysis.secondary:
        html += f"<h3>{escape(result.name)}, window {escape(result.window)}</h3>"
        if result.kind == "time to event":
            html += "<p>Analysed as time to relapse (its own section).</p>"
            continue
        html += _verdict_html(result) + _arms_html(result, labels)
        if blinded or result.verdict.refused:
            continue
        if result.kind == "binary":
            html += "<p>A binary endpoint: the mean is the proportion of responders; no linear model.</p>"
        elif result.model is not None and result.model.note:
            html += f"<p>{escape(result.model.note)}.</p>"
        elif result.model is not None:
            html += _model_table(result.model, result.unit, {}, "none")
    return html + "</section>"


def plan_summary(analysis: PlannedAnalysis) -> str:
    """What plan the analyses follow, in a sentence or two."""
    plan = analysis.plan
    if analysis.version is None:
        return (
            "<p>No statistical analysis plan is stored: the report runs the default plan derived from the protocol "
            f"(its primary endpoint {escape(plan.primary.endpoint.value)} over window {escape(plan.primary.window)}, "
            "complete case, the factorial model adjusted for "
            f"{escape(', '.join(plan.model.adjust_for) or 'nothing')}, the factors the randomisation balanced; "
            f"completeness below {plan.missing_data.completeness_threshold}% warned about).</p>"
        )
    return (
        f"<p>The analyses follow the statistical analysis plan version {analysis.version.number} "
        f"({escape(analysis.version.label)}): estimand population {escape(plan.estimand.population.value)}, "
        f"primary method {escape(plan.missing_data.primary.replace('_', ' '))}, adjusted for "
        f"{escape(', '.join(plan.model.adjust_for) or 'nothing')}.</p>"
    )
