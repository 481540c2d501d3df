"""The statistical analysis plan document (ICH E9 and its addendum E9(R1)): a file beside the
protocol (``protocols/<trial>.sap.yaml``), parsed, validated against the trial's protocol and
stored as an immutable version, as the protocol is.

What it fixes before the blind is broken:

* the estimand: the population, the variable (an endpoint over a window), the intercurrent events
  with the strategy for each, and the population-level summary;
* the primary and secondary endpoints, each an endpoint of the tracker over one of the protocol's
  outcome windows;
* the populations (the per-protocol rule: infusions and sessions received, important deviations);
* the model: the factors of the factorial design, the interaction, and the covariates, which must
  include every factor the randomisation balanced (its strata or minimisation factors: an analysis
  should reflect the randomisation);
* missing data: the primary method, the completeness below which a window's estimate is refused or
  warned about, multiple imputation under missing at random (imputations and seed), and a delta
  adjustment (tipping point) for data missing not at random;
* the multiplicity rule.

:func:`parse` returns the plan or raises :class:`~trials.protocol.ProtocolInvalid` with every
problem and its path, as the protocol's parser does; :func:`check_against` adds the problems of
the plan against the trial's protocol (an unknown window or factor, a stratification factor left
out of the model).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from trials.protocol import Code, ProtocolInvalid, Text, fingerprint
from trials.protocol.document import file_text, yaml_data
from trials.protocol.fields import _Strict


class Endpoint(StrEnum):
    """The endpoints the tracker derives (outcomes.endpoints), by their column names."""

    PDA = "pda"
    PHDD = "phdd"
    HEAVY_DAYS = "heavy_days"
    DDD = "ddd"
    GRAMS_PER_DAY = "grams_per_day"
    RELAPSE = "relapse"
    PSNHDD_RESPONDER = "psnhdd_responder"


class Population(StrEnum):
    ITT = "itt"
    PER_PROTOCOL = "per_protocol"
    SAFETY = "safety"


class Strategy(StrEnum):
    """ICH E9(R1) strategies for an intercurrent event."""

    TREATMENT_POLICY = "treatment_policy"
    COMPOSITE = "composite"
    HYPOTHETICAL = "hypothetical"
    WHILE_ON_TREATMENT = "while_on_treatment"
    PRINCIPAL_STRATUM = "principal_stratum"


class PlanVersion(_Strict):
    label: Text
    date: dt.date


class EndpointRef(_Strict):
    endpoint: Endpoint
    window: Text


class IntercurrentEvent(_Strict):
    event: Text
    strategy: Strategy


class Estimand(_Strict):
    population: Population
    variable: EndpointRef
    intercurrent_events: list[IntercurrentEvent] = Field(default_factory=list)
    summary: Text


class PerProtocol(_Strict):
    min_infusions: int = Field(ge=0, le=100)
    min_sessions: int = Field(ge=0, le=100)
    exclude_important_deviations: bool = True


class Populations(_Strict):
    per_protocol: PerProtocol


class Model(_Strict):
    kind: Literal["factorial_linear"] = "factorial_linear"
    factors: list[Code] = Field(min_length=1)
    interaction: bool = True
    adjust_for: list[Literal["site", "sex"]] = Field(default_factory=list)


class MultipleImputation(_Strict):
    imputations: int = Field(ge=2, le=1000)
    seed: int = Field(ge=0, le=2**32 - 1)
    assumption: Literal["MAR"] = "MAR"


class DeltaAdjustment(_Strict):
    """Tipping point: imputed values in the active arms shifted by each delta (in the endpoint's
    units) until the conclusion changes."""

    deltas: list[Decimal] = Field(min_length=1, max_length=50)


class MissingData(_Strict):
    primary: Literal["complete_case", "multiple_imputation"]
    completeness_threshold: Decimal = Field(ge=0, le=100, description="percent of a window's days assessed")
    below_threshold: Literal["warn", "refuse"] = "refuse"
    multiple_imputation: MultipleImputation | None = None
    delta_adjustment: DeltaAdjustment | None = None

    @model_validator(mode="after")
    def _imputation_given(self) -> MissingData:
        if self.primary == "multiple_imputation" and self.multiple_imputation is None:
            raise ValueError("a primary analysis by multiple imputation needs its multiple_imputation settings")
        if self.delta_adjustment is not None and self.multiple_imputation is None:
            raise ValueError("a delta adjustment shifts imputed values: give multiple_imputation too")
        return self


class Multiplicity(_Strict):
    method: Literal["none", "bonferroni", "holm", "hochberg"]
    alpha: Decimal = Field(gt=0, le=Decimal("0.5"))
    rationale: Text


class AnalysisPlan(_Strict):
    """A whole analysis plan version. Build it with :func:`parse`."""

    format: Literal[1] = 1
    trial: Code
    version: PlanVersion
    estimand: Estimand
    primary: EndpointRef
    secondary: list[EndpointRef] = Field(default_factory=list)
    populations: Populations
    model: Model
    missing_data: MissingData
    multiplicity: Multiplicity

    @model_validator(mode="after")
    def _primary_is_the_estimands(self) -> AnalysisPlan:
        if self.estimand.variable != self.primary:
            raise ValueError("the estimand's variable and the primary endpoint differ")
        return self

    def canonical(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        return fingerprint(self.canonical())

    def endpoints(self) -> list[EndpointRef]:
        return [self.primary, *self.secondary]


def check_against(plan: AnalysisPlan, protocol) -> list[tuple[str, str]]:
    """The plan's problems against the trial's protocol: another trial, an unknown window or factor,
    a stratification factor the model leaves out, more infusions or sessions asked of the
    per-protocol population than the schedule holds."""
    problems: list[tuple[str, str]] = []
    if plan.trial != protocol.trial.code:
        problems.append(("trial", f"the plan is for {plan.trial}, the protocol for {protocol.trial.code}"))
    windows = {w.code for w in protocol.outcomes.windows}
    for path, ref in [("primary", plan.primary)] + [(f"secondary.{i}", r) for i, r in enumerate(plan.secondary)]:
        if ref.window not in windows:
            problems.append((f"{path}.window", f"not a window of the protocol: {', '.join(sorted(windows))}"))
    factors = {f.code for f in protocol.factors}
    for i, code in enumerate(plan.model.factors):
        if code not in factors:
            problems.append((f"model.factors.{i}", f"not a factor of the protocol: {', '.join(sorted(factors))}"))
    balanced = [*protocol.randomisation.stratify_by, *protocol.randomisation.minimise_over]
    for factor in dict.fromkeys(balanced):
        if factor not in plan.model.adjust_for:
            problems.append(("model.adjust_for", f"the randomisation balances {factor}: adjust for it"))
    if plan.model.interaction and len(plan.model.factors) < 2:
        problems.append(("model.interaction", "an interaction needs two factors"))
    infusions = sum(1 for e in protocol.schedule if e.kind == "infusion")
    if plan.populations.per_protocol.min_infusions > infusions:
        problems.append(("populations.per_protocol.min_infusions", f"the schedule holds {infusions} infusions"))
    sessions = max((p.sessions for p in protocol.therapy.programmes), default=0) if protocol.therapy else 0
    if plan.populations.per_protocol.min_sessions > sessions:
        problems.append(("populations.per_protocol.min_sessions", f"the programmes hold {sessions} sessions"))
    return problems


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(document)"


def validate(data: Any, protocol=None) -> AnalysisPlan:
    """Validate parsed data as a plan (and against ``protocol`` when given), or raise
    :class:`ProtocolInvalid` with every problem."""
    if not isinstance(data, dict):
        raise ProtocolInvalid([("(document)", "an analysis plan is a mapping of sections (estimand, model, ...)")])
    try:
        plan = AnalysisPlan.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            problems.append(
                (_location(error["loc"]), "unknown field" if error["type"] == "extra_forbidden" else message)
            )
        raise ProtocolInvalid(problems) from None
    if protocol is not None and (problems := check_against(plan, protocol)):
        raise ProtocolInvalid(problems)
    return plan


def parse(text: str, *, protocol=None, source: str = "<text>") -> AnalysisPlan:
    """Parse YAML text and validate it as a plan (against ``protocol`` when given)."""
    return validate(yaml_data(text, source=source), protocol)


def load_file(path: str | Path, *, protocol=None) -> AnalysisPlan:
    """Read and validate a plan file (against ``protocol`` when given)."""
    return parse(file_text(path), protocol=protocol, source=str(path))


def from_document(document: dict[str, Any]) -> AnalysisPlan:
    """A stored version's document, validated when it was stored."""
    return AnalysisPlan.model_validate(document)
