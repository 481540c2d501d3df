"""The statistics of the report: summaries per arm, the factorial model, time to relapse.

The factorial model is ordinary least squares of an outcome column on the factors (with or without
their interaction), adjusted for categorical covariates (site, sex: each one that has more than
one level among the rows analysed, with sum-to-zero coding). Each two-level factor is coded
``+0.5`` for the first level the protocol lists and ``-0.5`` for the second, so that

* the coefficient of a factor is its main effect *at the margins*: the first level minus the
  second, averaged over the levels of the other factor;
* the coefficient of the product is the interaction: the difference of the simple effects,
  ``(A1B1 - A2B1) - (A1B2 - A2B2)``;
* cell contrasts are linear combinations of the coefficients (the corner contrast A1B1 - A2B2 is
  the sum of the two main effects).

A one-factor protocol gives the two-arm comparison (first level minus second) from the same code.
Time to relapse is measured in days from the first day of the primary window: the relapse day when
the participant relapsed, else the last assessed day (censored).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

Z = 0.5


@dataclass
class Estimate:
    name: str  # a stable key: "main:drug", "interaction", "cell:KT-PE", "difference"
    label: str  # what it compares, for people
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p: float

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p": self.p,
        }


@dataclass
class ModelResult:
    outcome: str
    n: int
    adjusted_for: list[str]
    formula: str
    estimates: list[Estimate] = field(default_factory=list)
    note: str = ""
    df: float = math.nan  # residual degrees of freedom of the fit

    @property
    def adjusted_for_site(self) -> bool:
        return "site" in self.adjusted_for

    def get(self, name: str) -> Estimate | None:
        return next((e for e in self.estimates if e.name == name), None)


def describe(values: pd.Series) -> dict:
    """n, mean, SD and the t-based 95% CI of the mean of the non-missing values."""
    x = values.dropna().astype(float)
    n = len(x)
    mean = float(x.mean()) if n else math.nan
    sd = float(x.std(ddof=1)) if n > 1 else math.nan
    if n > 1:
        half = scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        low, high = mean - half, mean + half
    else:
        low = high = math.nan
    return {"n": n, "mean": mean, "sd": sd, "ci_low": low, "ci_high": high}


def codes(frame: pd.DataFrame, factors) -> pd.DataFrame:
    """Effect-coded columns ``x_<factor>``: +0.5 for the factor's first level, -0.5 for the second."""
    coded = pd.DataFrame(index=frame.index)
    for factor in factors:
        first, second = factor.levels[0].code, factor.levels[1].code
        coded[f"x_{factor.code}"] = frame[factor.code].map({first: Z, second: -Z}).astype(float)
    return coded


def modelled_factors(protocol, factors=None) -> list:
    """The protocol's factors named in ``factors`` (codes, in the protocol's order), or all of them."""
    return [f for f in protocol.factors if factors is None or f.code in factors]


@dataclass
class Prepared:
    """A factorial model ready to fit: the rows kept (``index``), their design matrix (``exog``,
    columns named as the formula names them) and the result so far (its note when it cannot be
    fitted). :meth:`fit` fits any outcome vector over the same rows: the imputations of one
    outcome share a design, so it is built once."""

    protocol: object
    result: ModelResult
    index: pd.Index | None = None
    exog: pd.DataFrame | None = None
    factors: list = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    interaction: bool = False

    def fit(self, y) -> ModelResult:
        """The model fitted to ``y`` (aligned with ``index``) and its named contrasts."""
        import statsmodels.api as sm

        base = self.result
        if base.note:
            return base
        fit = sm.OLS(np.asarray(y, dtype=float), self.exog).fit()
        result = ModelResult(base.outcome, int(fit.nobs), base.adjusted_for, base.formula, df=float(fit.df_resid))
        result.estimates = _contrasts(fit, self.protocol, self.factors, self.terms, self.interaction)
        return result


def prepare(
    frame: pd.DataFrame, protocol, outcome: str = "pda", *, factors=None, interaction=True, covariates=("site",)
):
    """The :class:`Prepared` model of :func:`factorial_model` (same arguments)."""
    from patsy import dmatrix

    chosen = modelled_factors(protocol, factors)
    interaction = interaction and len(chosen) == 2
    if not 1 <= len(chosen) <= 2 or any(len(f.levels) != 2 for f in chosen):
        note = "the model handles one or two factors of two levels each"
        return Prepared(protocol, ModelResult(outcome, 0, [], "", note=note))
    covariates = list(covariates)
    data = frame[[outcome, *covariates, *[f.code for f in chosen]]].dropna().copy()
    data = pd.concat([data, codes(data, chosen)], axis=1)
    terms = [f"x_{f.code}" for f in chosen]
    adjusted = [c for c in covariates if data[c].nunique() > 1]
    rhs = (" * " if interaction else " + ").join(terms) + "".join(f" + C({c}, Sum)" for c in adjusted)
    result = ModelResult(outcome, len(data), adjusted, f"{outcome} ~ {rhs}")
    n_params = 1 + len(terms) + interaction + sum(data[c].nunique() - 1 for c in adjusted)
    cells = data.groupby([f.code for f in chosen]).size()
    if len(data) <= n_params or len(cells) < 2 ** len(chosen):
        result.note = "too few analysed participants (or an empty arm) for the model"
        return Prepared(protocol, result)
    exog = dmatrix(rhs, data, return_type="dataframe")
    return Prepared(protocol, result, data.index, exog, chosen, terms, interaction)


def factorial_model(
    frame: pd.DataFrame,
    protocol,
    outcome: str = "pda",
    *,
    factors=None,
    interaction: bool = True,
    covariates=("site",),
) -> ModelResult:
    """OLS of ``outcome`` on the effect-coded ``factors`` (codes; all the protocol's when None) and,
    with ``interaction`` and two factors, their product, + each categorical covariate.

    ``frame`` holds one row per participant with the outcome, one column per factor and each
    covariate. Only two-level factors, one or two of them, are modelled; otherwise the result has a
    note and no estimates. Rows without the outcome are left out (complete-case analysis); a
    covariate with a single level among the rows left is left out of the model too.
    """
    prepared = prepare(frame, protocol, outcome, factors=factors, interaction=interaction, covariates=covariates)
    if prepared.result.note:
        return prepared.result
    return prepared.fit(frame.loc[prepared.index, outcome])


def _contrasts(fit, protocol, factors: list, terms: list[str], interaction: bool) -> list[Estimate]:
    """The named contrasts of a fitted factorial model: the two-arm difference for one factor; for
    two, the main effects, and with the interaction the interaction, the simple effects inside the
    table and the corner contrast (without it, the corner contrast only)."""
    names = list(fit.params.index)
    estimates: list[Estimate] = []

    def combine(name: str, label: str, weights: dict[str, float]) -> None:
        vector = np.zeros(len(names))
        for term, weight in weights.items():
            vector[names.index(term)] = weight
        test = fit.t_test(vector)
        low, high = test.conf_int(alpha=0.05)[0]
        estimates.append(
            Estimate(
                name=name,
                label=label,
                estimate=float(np.squeeze(test.effect)),
                se=float(np.squeeze(test.sd)),
                ci_low=float(low),
                ci_high=float(high),
                p=float(np.squeeze(test.pvalue)),
            )
        )

    if len(factors) == 1:
        (factor,) = factors
        combine("difference", f"{factor.levels[0].code} − {factor.levels[1].code}", {terms[0]: 1.0})
        return estimates
    a, b = factors
    xa, xb = terms
    for factor, term in ((a, xa), (b, xb)):
        combine(f"main:{factor.code}", f"{factor.levels[0].code} − {factor.levels[1].code} (at the margins)", {term: 1})
    arm_of = {tuple(arm.levels[f.code] for f in factors): arm.code for arm in protocol.arms}
    a1, a2 = (lv.code for lv in a.levels)
    b1, b2 = (lv.code for lv in b.levels)
    if interaction:
        inter = f"{xa}:{xb}"
        combine("interaction", f"{a.code} × {b.code} (difference of differences)", {inter: 1})
        # Simple effects inside the table: one factor's contrast within each level of the other.
        for level, sign in ((b1, 1), (b2, -1)):
            combine(
                f"cell:{arm_of[(a1, level)]}-{arm_of[(a2, level)]}",
                f"{a1} − {a2} within {level}",
                {xa: 1, inter: sign * Z},
            )
        for level, sign in ((a1, 1), (a2, -1)):
            combine(
                f"cell:{arm_of[(level, b1)]}-{arm_of[(level, b2)]}",
                f"{b1} − {b2} within {level}",
                {xb: 1, inter: sign * Z},
            )
    combine(f"cell:{arm_of[(a1, b1)]}-{arm_of[(a2, b2)]}", f"{a1}+{b1} − {a2}+{b2} (corner)", {xa: 1, xb: 1})
    return estimates


# --- time to relapse ---------------------------------------------------------------------------------


def survival_frame(primary: pd.DataFrame) -> pd.DataFrame:
    """Participants with a relapse outcome in the primary window: ``time`` (days from the window's
    first day, from 1) and ``event`` (1 relapse, 0 censored at the last assessed day)."""
    rows = primary[primary["relapse"].notna()].copy()
    start = rows["window_start_day"].astype(float)
    event = rows["relapse"].astype(int)
    day = np.where(event == 1, rows["relapse_day"], rows["last_assessed_day"]).astype(float)
    # study days skip 0: a window starting before day 1 and ending after it is one day shorter
    crosses = (start < 0) & (day > 0)
    rows["time"] = day - start + 1 - crosses.astype(float)
    rows["event"] = event
    return rows[rows["time"].notna() & (rows["time"] > 0)]


@dataclass
class SurvivalResult:
    n: int
    events: int
    logrank_statistic: float | None = None
    logrank_df: int | None = None
    logrank_p: float | None = None
    hazard_ratios: list[Estimate] = field(default_factory=list)
    medians: dict[str, float | None] = field(default_factory=dict)
    note: str = ""


def survival(frame: pd.DataFrame, protocol, *, group: str = "arm", cox: bool = True) -> SurvivalResult:
    """Log-rank test across ``group`` and Cox hazard ratios per factor (first level vs second)."""
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    result = SurvivalResult(n=len(frame), events=int(frame["event"].sum()) if len(frame) else 0)
    if frame.empty:
        result.note = "no participant has a relapse outcome in the primary window"
        return result
    for key, part in frame.groupby(group):
        km = KaplanMeierFitter().fit(part["time"], part["event"])
        median = km.median_survival_time_
        result.medians[str(key)] = None if not np.isfinite(median) else float(median)
    if frame[group].nunique() > 1:
        test = multivariate_logrank_test(frame["time"], frame[group], frame["event"])
        result.logrank_statistic = float(test.test_statistic)
        result.logrank_df = int(test.degrees_of_freedom)
        result.logrank_p = float(test.p_value)
    factors = [f for f in protocol.factors if len(f.levels) == 2]
    if not cox or not factors:
        return result
    if result.events == 0:
        result.note = "no relapse in the primary window: no hazard ratios"
        return result
    data = frame[["time", "event"]].copy()
    for factor in factors:
        data[f"x_{factor.code}"] = (frame[factor.code] == factor.levels[0].code).astype(float)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cph = CoxPHFitter().fit(data, duration_col="time", event_col="event")
    except Exception as exc:  # lifelines raises several kinds when a model does not converge
        result.note = f"the Cox model did not converge ({type(exc).__name__})"
        return result
    summary = cph.summary
    for factor in factors:
        row = summary.loc[f"x_{factor.code}"]
        result.hazard_ratios.append(
            Estimate(
                name=f"hr:{factor.code}",
                label=f"{factor.levels[0].code} vs {factor.levels[1].code}",
                estimate=float(row["exp(coef)"]),
                se=float(row["se(coef)"]),
                ci_low=float(row["exp(coef) lower 95%"]),
                ci_high=float(row["exp(coef) upper 95%"]),
                p=float(row["p"]),
            )
        )
    return result
