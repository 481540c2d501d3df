"""The analysis the statistical analysis plan asks for, run on the trial's analysis data set.

:func:`plan_for` gives the plan: the trial's latest stored version, or, without one,
:func:`default_plan` derived from the protocol (its primary endpoint and window, complete case,
the factorial model adjusted for the factors the randomisation balanced, a completeness below 50%
warned about). :func:`run` then analyses, for the plan's primary endpoint over its window:

* the participants per arm (n, mean, SD, 95% CI of the mean);
* the completeness verdict: the window's mean completeness (percent of days assessed, over every
  randomised participant) against ``missing_data.completeness_threshold``. Below it, ``refuse``
  gives no estimate at all (per-arm means included) and a sentence naming both numbers; ``warn``
  gives the estimates with that sentence as a warning;
* the factorial model (:func:`outcomes.analysis.stats.factorial_model`) with the plan's factors,
  interaction and covariates (``model.adjust_for``), complete case, in the estimand's population;
  the same model in each population (intention to treat: every randomised participant with the
  outcome; per protocol; safety) as the populations table;
* multiple imputation under MAR (:mod:`outcomes.analysis.imputation`) in the estimand's
  population, with the plan's imputations and seed: the primary analysis when
  ``missing_data.primary`` is ``multiple_imputation``, a sensitivity analysis beside complete case
  otherwise; and the tipping point over the plan's deltas;
* the multiplicity rule: with ``bonferroni``, ``holm`` or ``hochberg`` the main effects' p values
  of the primary analysis adjusted together (statsmodels' ``multipletests``).

Each continuous secondary endpoint gets the per-arm summary, its completeness verdict and the
complete-case model in the estimand's population; a binary one (``psnhdd_responder``) the
proportions per arm; relapse is analysed as time to relapse by the report's own section.
``models=False`` (the blinded report) computes no model, imputation or tipping point.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from outcomes.analysis import imputation, stats
from outcomes.plan import document as sap
from outcomes.plan.document import from_document
from outcomes.plan.selectors import plan_latest

DEFAULT_THRESHOLD = Decimal(50)
NAMES = {
    "pda": "Percentage of days abstinent",
    "phdd": "Percentage of heavy drinking days",
    "heavy_days": "Heavy drinking days",
    "ddd": "Drinks per drinking day",
    "grams_per_day": "Grams of ethanol per assessed day",
    "relapse": "Relapse",
    "psnhdd_responder": "No heavy drinking day after the grace period",
}
UNITS = {
    "pda": "% of assessed days",
    "phdd": "% of assessed days",
    "heavy_days": "days",
    "ddd": "units",
    "grams_per_day": "g per day",
    "psnhdd_responder": "proportion",
}
CONTINUOUS = ("pda", "phdd", "heavy_days", "ddd", "grams_per_day")
POPULATIONS = {
    "itt": "Intention to treat (every randomised participant)",
    "per_protocol": "Per protocol",
    "safety": "Safety (received any intervention)",
}
MULTIPLETESTS = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg"}


def default_plan(protocol) -> sap.AnalysisPlan:
    """The plan a trial without a stored one is analysed under (see the module)."""
    outcomes = protocol.outcomes
    ref = sap.EndpointRef(endpoint=outcomes.primary_endpoint.value, window=outcomes.primary_window)
    balanced = [*protocol.randomisation.stratify_by, *protocol.randomisation.minimise_over]
    factors = [f.code for f in protocol.factors]
    return sap.AnalysisPlan(
        trial=protocol.trial.code,
        version=sap.PlanVersion(label="default", date=dt.date.today()),
        estimand=sap.Estimand(population="itt", variable=ref, summary="Difference in means between the levels."),
        primary=ref,
        populations=sap.Populations(
            per_protocol=sap.PerProtocol(
                min_infusions=protocol.dosing.infusions if protocol.dosing else 0, min_sessions=0
            )
        ),
        model=sap.Model(
            factors=factors,
            interaction=len(factors) == 2,
            adjust_for=[c for c in dict.fromkeys(balanced) if c in ("site", "sex")],
        ),
        missing_data=sap.MissingData(
            primary="complete_case", completeness_threshold=DEFAULT_THRESHOLD, below_threshold="warn"
        ),
        multiplicity=sap.Multiplicity(method="none", alpha=Decimal("0.05"), rationale="the tracker's default"),
    )


def plan_for(trial, protocol) -> tuple[sap.AnalysisPlan, object | None]:
    """The plan to run and its stored version (None: the default plan, derived from ``protocol``)."""
    version = plan_latest(trial)
    if version is None:
        return default_plan(protocol), None
    return from_document(version.document), version


@dataclass
class Verdict:
    """A window's mean completeness against the plan's threshold."""

    window: str
    completeness: float  # mean percent of the window's days assessed, NaN without participants
    threshold: float
    action: str  # warn or refuse

    @property
    def below(self) -> bool:
        return math.isnan(self.completeness) or self.completeness < self.threshold

    @property
    def refused(self) -> bool:
        return self.below and self.action == "refuse"

    @property
    def message(self) -> str:
        """The sentence the report and the simulation print ("" when completeness is enough)."""
        if not self.below:
            return ""
        mean = "not known" if math.isnan(self.completeness) else f"{self.completeness:.1f}%"
        head = (
            f"Completeness of window {self.window} is {mean} of its days assessed, below the plan's "
            f"threshold of {self.threshold:g}%"
        )
        if self.refused:
            return f"{head}: no estimate is given (the plan refuses one below the threshold)."
        return f"{head}: the estimates are given with this warning (the plan warns below the threshold)."


@dataclass
class PopulationRow:
    key: str  # itt, per_protocol, safety
    role: str  # primary, sensitivity, supportive
    randomised: int
    analysed: int
    model: stats.ModelResult | None = None


@dataclass
class EndpointAnalysis:
    endpoint: str
    window: str
    role: str  # primary or secondary
    kind: str  # continuous, binary, time to event
    verdict: Verdict
    arms: dict[str, dict] = field(default_factory=dict)
    method: str = "complete case"  # of ``model``: complete case or multiple imputation
    model: stats.ModelResult | None = None  # the analysis the plan names primary
    complete_case: stats.ModelResult | None = None
    imputed: stats.ModelResult | None = None
    imputation: imputation.Imputed | None = None
    tipping: list[imputation.TippingPoint] = field(default_factory=list)
    populations: list[PopulationRow] = field(default_factory=list)
    adjusted_p: dict[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return NAMES[self.endpoint]

    @property
    def unit(self) -> str:
        return UNITS.get(self.endpoint, "")


@dataclass
class PlannedAnalysis:
    plan: sap.AnalysisPlan
    version: object | None  # the stored plan version, None for the default plan
    primary: EndpointAnalysis
    secondary: list[EndpointAnalysis]

    @property
    def model_options(self) -> dict:
        return model_options(self.plan)


def model_options(plan: sap.AnalysisPlan) -> dict:
    """The keywords of :func:`stats.factorial_model` that the plan's ``model`` fixes."""
    return {
        "factors": list(plan.model.factors),
        "interaction": plan.model.interaction,
        "covariates": tuple(plan.model.adjust_for),
    }


def population(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of ``frame`` (every randomised participant) in the population ``key``."""
    return frame if key == "itt" else frame[frame[key].astype(bool)]


def _arms(frame: pd.DataFrame, outcome: str, arms: list[str], refused: bool) -> dict[str, dict]:
    result = {}
    for arm in arms:
        summary = stats.describe(frame.loc[frame["arm"] == arm, outcome])
        if refused:
            summary = {"n": summary["n"], "mean": None, "sd": None, "ci_low": None, "ci_high": None}
        result[arm] = summary
    return result


def _verdict(frame: pd.DataFrame, window: str, plan: sap.AnalysisPlan) -> Verdict:
    values = frame["completeness"].fillna(0.0)
    mean = float(values.mean()) if len(values) else math.nan
    missing = plan.missing_data
    return Verdict(window, mean, float(missing.completeness_threshold), missing.below_threshold)


def _multiplicity(model: stats.ModelResult | None, plan: sap.AnalysisPlan) -> dict[str, float]:
    """The main effects' p values adjusted together under the plan's rule ({} with ``none``)."""
    method = MULTIPLETESTS.get(plan.multiplicity.method)
    if model is None or method is None:
        return {}
    from statsmodels.stats.multitest import multipletests

    mains = [e for e in model.estimates if e.name.startswith("main:") or e.name == "difference"]
    if not mains:
        return {}
    adjusted = multipletests([e.p for e in mains], alpha=float(plan.multiplicity.alpha), method=method)[1]
    return {e.name: float(p) for e, p in zip(mains, adjusted, strict=True)}


def _populations(frame, data, outcome, plan, *, fit: bool) -> list[PopulationRow]:
    estimand = plan.estimand.population.value
    rows = []
    for key in POPULATIONS:
        part = population(frame, key)
        role = "primary" if key == estimand else ("supportive" if key == "safety" else "sensitivity")
        model = stats.factorial_model(part, data.protocol, outcome, **model_options(plan)) if fit else None
        rows.append(PopulationRow(key, role, len(part), int(part[outcome].notna().sum()), model))
    return rows


def _primary(data, plan: sap.AnalysisPlan, *, models: bool) -> EndpointAnalysis:
    ref = plan.primary
    outcome = ref.endpoint.value
    frame = data.window(ref.window)
    verdict = _verdict(frame, ref.window, plan)
    kind = "continuous" if outcome in CONTINUOUS else ("time to event" if outcome == "relapse" else "binary")
    result = EndpointAnalysis(
        outcome, ref.window, "primary", kind, verdict, _arms(frame, outcome, data.arms, verdict.refused)
    )
    fit = models and not verdict.refused and kind == "continuous"
    result.populations = _populations(frame, data, outcome, plan, fit=fit)
    if not fit:
        return result
    options = model_options(plan)
    analysed = population(frame, plan.estimand.population.value)
    result.complete_case = stats.factorial_model(analysed, data.protocol, outcome, **options)
    result.model = result.complete_case
    settings = plan.missing_data.multiple_imputation
    if settings is not None:
        result.imputation = imputation.impute(
            analysed,
            outcome=outcome,
            factors=stats.modelled_factors(data.protocol, options["factors"]),
            covariates=options["covariates"],
            interaction=options["interaction"],
            imputations=settings.imputations,
            seed=settings.seed,
        )
        result.imputed = imputation.pool(result.imputation, data.protocol, **options)
        if plan.missing_data.primary == "multiple_imputation":
            result.model, result.method = result.imputed, "multiple imputation"
        if plan.missing_data.delta_adjustment is not None:
            deltas = plan.missing_data.delta_adjustment.deltas
            result.tipping = imputation.tipping_point(result.imputation, data.protocol, deltas, **options)
    result.adjusted_p = _multiplicity(result.model, plan)
    return result


def _secondary(data, plan: sap.AnalysisPlan, ref: sap.EndpointRef, *, models: bool) -> EndpointAnalysis:
    outcome = ref.endpoint.value
    frame = data.window(ref.window)
    verdict = _verdict(frame, ref.window, plan)
    if outcome == "relapse":
        return EndpointAnalysis(outcome, ref.window, "secondary", "time to event", verdict)
    kind = "continuous" if outcome in CONTINUOUS else "binary"
    result = EndpointAnalysis(
        outcome, ref.window, "secondary", kind, verdict, _arms(frame, outcome, data.arms, verdict.refused)
    )
    if models and kind == "continuous" and not verdict.refused:
        analysed = population(frame, plan.estimand.population.value)
        result.complete_case = stats.factorial_model(analysed, data.protocol, outcome, **model_options(plan))
        result.model = result.complete_case
    return result


def run(data, plan: sap.AnalysisPlan, version=None, *, models: bool = True) -> PlannedAnalysis:
    """The plan's analyses on ``data`` (an :class:`~outcomes.analysis.dataset.AnalysisData`);
    ``version`` is the stored plan version it came from (None: the default plan)."""
    return PlannedAnalysis(
        plan=plan,
        version=version,
        primary=_primary(data, plan, models=models),
        secondary=[_secondary(data, plan, ref, models=models) for ref in plan.secondary],
    )
