"""Multiple imputation of a missing outcome under missing at random, Rubin's rules, and the
tipping point (a delta adjustment for data missing not at random).

:func:`impute` fills the outcome of every participant without one, ``imputations`` times, with
statsmodels' chained equations (:class:`statsmodels.imputation.mice.MICEData`: a linear model
whose parameters are drawn from their posterior, then predictive mean matching among the
``K_PMM`` nearest observed values, so an imputed value is always one that was observed). The
imputation model holds what the analysis model holds (the effect-coded factors, their product
when the model has the interaction, each covariate as indicators) and the baseline drinking
(grams per day over the look-back); a baseline that is missing is imputed alongside. The draws
come from one :class:`numpy.random.Generator` seeded with the plan's seed, handed to the library
(no global random state is read or changed): the same seed gives the same numbers.

:func:`pool` fits the factorial model (:func:`outcomes.analysis.stats.factorial_model`) to each
completed data set and combines every contrast with Rubin's rules (:func:`rubin`). statsmodels
pools only the coefficients of the models its own ``MICE`` class fits, not arbitrary linear
contrasts of a model of ours, hence these few lines of our own.

:func:`tipping_point` defines the delta adjustment: for each factor, the values imputed for
participants at the factor's *first* level (the active level: ketamine, therapy) are shifted by
``delta`` (in the endpoint's units) in every completed data set, the model is re-fitted and
pooled, and the factor's effect (first level minus second) is reported with its 95% CI. The
conclusion is whether that CI excludes 0; the tipping point is the first delta, in the plan's
order, at which the conclusion differs from the unshifted analysis.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from outcomes.analysis import stats

K_PMM = 5  # donors for predictive mean matching (the usual default; statsmodels' own is 20)
BURN_IN = 10  # cycles before the first imputation is kept
BETWEEN = 1  # cycles between kept imputations (each cycle draws the parameters afresh)
OUTCOME = "y"


@dataclass
class Imputed:
    """The completed data sets: ``frames[j]`` is the analysis frame with imputation ``j`` of the
    outcome; ``missing`` marks the rows whose outcome was imputed."""

    outcome: str
    frames: list[pd.DataFrame]
    missing: pd.Series
    seed: int
    note: str = ""

    @property
    def n_missing(self) -> int:
        return int(self.missing.sum())


def _predictors(frame: pd.DataFrame, factors: list, covariates, interaction: bool, baseline: str) -> pd.DataFrame:
    """The numeric columns of the imputation model (formula-safe names), constant ones left out."""
    columns = stats.codes(frame, factors)
    if interaction and len(factors) == 2:
        columns["product"] = columns.iloc[:, 0] * columns.iloc[:, 1]
    for covariate in covariates:
        dummies = pd.get_dummies(frame[covariate].astype(str), dtype=float)
        columns = pd.concat([columns, dummies.iloc[:, 1:]], axis=1)
    columns.columns = [f"v{i}" for i in range(len(columns.columns))]
    if baseline in frame and frame[baseline].notna().sum() > 1:
        columns["baseline"] = frame[baseline].astype(float)
    return columns.loc[:, columns.nunique(dropna=True) > 1]


def impute(
    frame: pd.DataFrame,
    *,
    outcome: str,
    factors: list,
    covariates=(),
    interaction: bool = True,
    imputations: int,
    seed: int,
    baseline: str = "baseline_grams_per_day",
) -> Imputed:
    """``imputations`` completed copies of ``frame`` (one row per participant of the population
    analysed) with the missing values of ``outcome`` filled in (see the module). Without a missing
    value every copy is ``frame``; without an observed one nothing can be imputed: no copies, and
    a note."""
    from statsmodels.imputation.mice import MICEData
    from statsmodels.tools.sm_exceptions import SingularMatrixWarning

    # In a stable order (the participants' order of entry), so that the same data give the same
    # draws from the seed whatever order they arrive in.
    if "participant_id" in frame:
        frame = frame.sort_values("participant_id", kind="stable")
    frame = frame.reset_index(drop=True)
    missing = frame[outcome].isna()
    if missing.all():
        return Imputed(outcome, [], missing, seed, note="no participant has the outcome: nothing to impute from")
    data = _predictors(frame, factors, covariates, interaction, baseline)
    data.insert(0, OUTCOME, frame[outcome].astype(float))
    frames = []
    with warnings.catch_warnings():
        # Many sites and few participants leave the observed rows' design rank-deficient; the
        # least-squares fit (a pseudo-inverse) is still defined, and the draws are what we want.
        warnings.simplefilter("ignore", SingularMatrixWarning)
        try:
            mice = MICEData(data, k_pmm=K_PMM, rng=np.random.default_rng(seed))
            mice.update_all(BURN_IN)
            for _ in range(imputations):
                mice.update_all(BETWEEN)
                completed = frame.copy()
                completed[outcome] = mice.data[OUTCOME].to_numpy(copy=True)
                frames.append(completed)
        except (np.linalg.LinAlgError, ValueError) as exc:
            # A handful of participants can leave the imputation model unfittable (an SVD that
            # does not converge): say so instead of failing the report.
            note = f"the imputation model could not be fitted to these data ({exc.__class__.__name__}: {exc})"
            return Imputed(outcome, [], missing, seed, note=note)
    return Imputed(outcome, frames, missing, seed)


def rubin(estimates, variances, df_complete: float) -> dict:
    """Rubin's rules for one scalar: the pooled estimate (the mean), the within-imputation variance
    W (mean of the variances), the between-imputation variance B, the total T = W + (1 + 1/m) B,
    the degrees of freedom of Barnard and Rubin (1999) given the complete-data ones (those of the
    complete data when B is 0: nothing imputed differs), the 95% CI and the two-sided p."""
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = len(q)
    qbar, within = float(q.mean()), float(u.mean())
    # equal estimates have no spread, whatever rounding the variance's arithmetic leaves
    between = float(q.var(ddof=1)) if m > 1 and np.ptp(q) > 0 else 0.0
    total = within + (1 + 1 / m) * between
    if between <= 0 or total <= 0:
        df = float(df_complete)
    else:
        lam = (1 + 1 / m) * between / total
        df_old = (m - 1) / lam**2 if lam**2 > 0 else math.inf  # a spread too small to square
        df_obs = (df_complete + 1) / (df_complete + 3) * df_complete * within / total  # 1 - lam, unrounded
        df = 1 / (1 / df_old + 1 / df_obs)
    se = math.sqrt(total)
    half = float(scipy_stats.t.ppf(0.975, df)) * se
    p = float(2 * scipy_stats.t.sf(abs(qbar / se), df)) if se > 0 else math.nan
    return {
        "estimate": qbar,
        "within": within,
        "between": between,
        "total": total,
        "se": se,
        "df": df,
        "ci_low": qbar - half,
        "ci_high": qbar + half,
        "p": p,
    }


def pool(imputed: Imputed, protocol, **model) -> stats.ModelResult:
    """The factorial model (``model``: its ``factors``, ``interaction``, ``covariates``) fitted to
    every completed data set and pooled contrast by contrast. The result's ``n`` is every
    participant analysed, observed or imputed; ``df`` the complete-data one."""
    if not imputed.frames:
        return stats.ModelResult(imputed.outcome, 0, [], "", note=imputed.note)
    prepared = stats.prepare(imputed.frames[0], protocol, imputed.outcome, **model)
    if prepared.result.note:
        return prepared.result
    fits = [prepared.fit(f.loc[prepared.index, imputed.outcome]) for f in imputed.frames]
    first = fits[0]
    result = stats.ModelResult(imputed.outcome, first.n, first.adjusted_for, first.formula, df=first.df)
    for k, estimate in enumerate(first.estimates):
        pooled = rubin([f.estimates[k].estimate for f in fits], [f.estimates[k].se ** 2 for f in fits], first.df)
        result.estimates.append(
            stats.Estimate(
                name=estimate.name,
                label=estimate.label,
                **{key: pooled[key] for key in ("estimate", "se", "ci_low", "ci_high", "p")},
            )
        )
    return result


@dataclass
class TippingRow:
    delta: float
    estimate: stats.Estimate
    excludes_zero: bool


@dataclass
class TippingPoint:
    """One factor's effect under each delta (the first row is delta 0: the analysis unshifted)."""

    factor: str
    contrast: str  # the estimate's name: main:<factor>, or difference
    shifted: int  # participants whose imputed values are shifted
    rows: list[TippingRow] = field(default_factory=list)

    @property
    def changes_at(self) -> float | None:
        """The first delta at which the conclusion (CI excluding 0) differs from delta 0's, or None."""
        reference = self.rows[0].excludes_zero
        return next((r.delta for r in self.rows[1:] if r.excludes_zero != reference), None)


def shifted(imputed: Imputed, rows: pd.Series, delta: float) -> Imputed:
    """A copy of ``imputed`` with the imputed outcome of ``rows`` (a mask) raised by ``delta``."""
    mask = (imputed.missing & rows).to_numpy()
    frames = []
    for frame in imputed.frames:
        copy = frame.copy()
        copy.loc[mask, imputed.outcome] = copy.loc[mask, imputed.outcome] + delta
        frames.append(copy)
    return Imputed(imputed.outcome, frames, imputed.missing, imputed.seed, imputed.note)


def tipping_point(imputed: Imputed, protocol, deltas, **model) -> list[TippingPoint]:
    """For each modelled factor, its effect with the imputed values at its first level shifted by
    0 and by each of ``deltas`` (see the module)."""
    if not imputed.frames:
        return []
    factors = stats.modelled_factors(protocol, model.get("factors"))
    base = imputed.frames[0]
    points = []
    for factor in factors:
        contrast = "difference" if len(factors) == 1 else f"main:{factor.code}"
        at_first = (base[factor.code] == factor.levels[0].code).reset_index(drop=True)
        point = TippingPoint(factor.code, contrast, int((imputed.missing & at_first).sum()))
        for delta in [0.0, *map(float, deltas)]:
            estimate = pool(shifted(imputed, at_first, delta), protocol, **model).get(contrast)
            if estimate is None:
                return []
            point.rows.append(TippingRow(delta, estimate, estimate.ci_low > 0 or estimate.ci_high < 0))
        points.append(point)
    return points
