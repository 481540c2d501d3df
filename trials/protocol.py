"""The protocol document: its schema, its validation, and how a file becomes one.

A protocol is data. A YAML (or JSON) file under ``protocols/`` is parsed into :class:`Protocol`,
every field and every cross-reference checked (an arm naming an unknown level, a window that ends
before it starts, a chain anchored on a later event, ...). :func:`parse` returns the document or
raises :class:`ProtocolInvalid` listing *every* problem with its field path, so a trial manager can
fix a file in one pass. The validated document is stored as an immutable protocol version
(:mod:`trials.models`); code reads the protocol through these classes, never through constants.

Conventions:

* schedule ``day`` is the number of days after the event's anchor date (0 = the anchor date);
  ``window`` is ``[before, after]`` in days relative to that target (``[-7, 7]``).
* outcome ``windows`` are in *study days*: study day 1 is the anchor date, day -1 the day before,
  and there is no day 0.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections import Counter
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.roles import Role


def _time_text(value: Any) -> Any:
    """Refuse a bare number as a time: YAML reads an unquoted 19:00 as the integer 1140."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError('write times as quoted text, e.g. "19:00" (an unquoted 19:00 is read as a number)')
    return value


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_text)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]
ROLE_CODES = frozenset(role.value for role in Role)
RANDOMISATION_ANCHOR = "randomisation"


class ProtocolInvalid(Exception):
    """The file is not a valid protocol; ``problems`` lists ``(field path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the trial and its sites ----------------------------------------------------------------


class TrialInfo(_Strict):
    code: Code
    title: Text
    short_title: str = ""
    registry_ids: list[Text] = Field(default_factory=list)
    sponsor: Text
    phase: str = ""
    design: str = ""
    target_sample_size: int | None = Field(default=None, gt=0)


class VersionInfo(_Strict):
    label: Text
    effective_date: dt.date


class SiteSpec(_Strict):
    code: Code
    name: Text
    time_zone: str = "Europe/London"

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


# --- factors, arms and randomisation --------------------------------------------------------


class LevelSpec(_Strict):
    code: Code
    title: Text
    description: str = ""
    # The neutral label shown to people blinded to the factor ("study drug", "psychological session").
    blinded_label: str = ""


class FactorSpec(_Strict):
    code: Code
    title: Text
    levels: list[LevelSpec] = Field(min_length=2)
    visible_to: list[str] = Field(default_factory=list)
    blinded_label: str = ""

    @field_validator("visible_to")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ROLE_CODES)
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(ROLE_CODES))}")
        return value


class ArmSpec(_Strict):
    code: Code
    title: Text
    levels: dict[str, str]
    ratio: int = Field(default=1, ge=1, le=100)


class RandomisationMethod(StrEnum):
    PERMUTED_BLOCKS = "permuted_blocks"
    MINIMISATION = "minimisation"


class RandomisationSpec(_Strict):
    method: RandomisationMethod
    block_sizes: list[int] = Field(default_factory=list)
    stratify_by: list[Literal["site", "sex"]] = Field(default_factory=list)
    # Minimisation (Pocock-Simon): the probability of choosing the arm that minimises imbalance.
    random_element: float | None = Field(default=None, gt=0.5, le=1.0)
    minimise_over: list[Literal["site", "sex"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _method_settings(self) -> RandomisationSpec:
        if self.method == RandomisationMethod.PERMUTED_BLOCKS:
            if not self.block_sizes:
                raise ValueError("permuted blocks need block_sizes")
            if any(size <= 0 for size in self.block_sizes):
                raise ValueError("block sizes must be positive")
            if len(set(self.block_sizes)) != len(self.block_sizes):
                raise ValueError("block sizes are listed twice")
        if self.method == RandomisationMethod.MINIMISATION:
            if self.random_element is None:
                raise ValueError("minimisation needs random_element (e.g. 0.8)")
            if not self.minimise_over:
                raise ValueError("minimisation needs minimise_over (e.g. [site, sex])")
        return self


class UnblindingSpec(_Strict):
    emergency_roles: list[str] = Field(default_factory=lambda: [Role.INVESTIGATOR.value])
    notify_roles: list[str] = Field(default_factory=lambda: [Role.UNBLINDED_STATISTICIAN.value])

    @field_validator("emergency_roles", "notify_roles")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ROLE_CODES)
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}")
        return value


# --- eligibility and consent ----------------------------------------------------------------


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class CriterionSpec(_Strict):
    code: Code
    kind: CriterionKind
    text: Text


class AgeRange(_Strict):
    min: int = Field(ge=0, le=120)
    max: int = Field(ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.max < self.min:
            raise ValueError(f"the age range ends ({self.max}) before it starts ({self.min})")
        return self


class EligibilitySpec(_Strict):
    age: AgeRange
    criteria: list[CriterionSpec] = Field(min_length=1)


class ConsentFormSpec(_Strict):
    version: Text
    date: dt.date
    title: Text


# --- the schedule ---------------------------------------------------------------------------


class EventKind(StrEnum):
    SCREENING = "screening"
    BASELINE = "baseline"
    INFUSION = "infusion"
    THERAPY = "therapy"
    FOLLOW_UP = "follow_up"
    PHONE = "phone"


class Procedure(StrEnum):
    INFUSION = "infusion"
    PSYCHOLOGICAL_SESSION = "psychological_session"
    TLFB = "tlfb"
    QUESTIONNAIRES = "questionnaires"
    BIOMARKERS = "biomarkers"
    VITALS = "vitals"


class EventSpec(_Strict):
    code: Code
    title: Text
    kind: EventKind
    anchor: Code = RANDOMISATION_ANCHOR
    day: int = Field(ge=-365, le=3650)
    window: tuple[int, int] = (0, 0)
    procedures: list[Procedure] = Field(default_factory=list)
    optional: bool = False

    @field_validator("window")
    @classmethod
    def _window(cls, value: tuple[int, int]) -> tuple[int, int]:
        before, after = value
        if after < before:
            raise ValueError(f"the window ends ({after:+d}) before it starts ({before:+d})")
        if before > 0 or after < 0:
            raise ValueError(f"the window [{before:+d}, {after:+d}] does not contain the target day")
        return value


# --- dosing and therapy ---------------------------------------------------------------------


class SafetyThresholds(_Strict):
    """Vitals past which an infusion is flagged (stop and consider an adverse event)."""

    systolic_max: int = Field(gt=0, le=300)
    diastolic_max: int = Field(gt=0, le=200)
    heart_rate_max: int = Field(gt=0, le=250)
    spo2_min: int = Field(default=90, gt=50, le=100)


class DoseSpec(_Strict):
    level: Code  # a level of the drug factor
    drug: Text
    mg_per_kg: Decimal = Field(ge=0, le=100)
    max_mg: Decimal | None = Field(default=None, gt=0, le=10000)
    route: Literal["IV", "IM", "oral", "intranasal", "SC"]
    infusion_minutes: int = Field(gt=0, le=1440)
    volume_ml: Decimal = Field(gt=0, le=5000)


class DosingSpec(_Strict):
    factor: Code
    regimen: list[DoseSpec] = Field(min_length=1)
    infusions: int = Field(ge=1, le=100)
    min_interval_days: int = Field(ge=0, le=365)
    weight_kg: tuple[Decimal, Decimal] = (Decimal(30), Decimal(250))
    duration_tolerance_percent: int = Field(default=10, ge=0, le=100)
    safety: SafetyThresholds
    vitals_every_minutes: int = Field(default=15, gt=0, le=240)

    @field_validator("weight_kg")
    @classmethod
    def _weights(cls, value: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
        low, high = value
        if low <= 0 or high <= low:
            raise ValueError(f"the plausible weight range [{low}, {high}] is empty or not positive")
        return value

    @model_validator(mode="after")
    def _infusions_look_alike(self, info: ValidationInfo) -> DosingSpec:
        # A placebo (or another dose) must look the same at the bedside: with another length or
        # volume, the infusion's start and stop times or its volume (entered and exported) would tell
        # a blinded user the drug level; so would a route the staff see.
        if _loading_new(info) and len({(d.infusion_minutes, d.volume_ml, d.route) for d in self.regimen}) > 1:
            raise ValueError(
                "the drug levels' infusions must have the same length, volume and route, so that those "
                "blinded to the drug factor cannot tell them apart"
            )
        return self


def _loading_new(info: ValidationInfo) -> bool:
    """False when a stored version is being read back (:func:`from_document`): a rule added since it
    was stored must not make a running trial's protocol unreadable. Rules that only protect the
    blinding of new protocols apply to new ones."""
    return not (info.context or {}).get("stored", False)


class SessionProgramme(_Strict):
    level: Code  # a level of the therapy factor
    title: Text
    sessions: int = Field(ge=1, le=100)
    minutes: int = Field(gt=0, le=600)


class TherapySpec(_Strict):
    factor: Code
    programmes: list[SessionProgramme] = Field(min_length=1)

    @model_validator(mode="after")
    def _programmes_look_alike(self, info: ValidationInfo) -> TherapySpec:
        # A blinded comparator must look the same: with other session counts or lengths, which
        # sessions and minutes are accepted (and exported) would tell a blinded user the programme.
        if _loading_new(info) and len({(p.sessions, p.minutes) for p in self.programmes}) > 1:
            raise ValueError(
                "the programmes must have the same number of sessions and minutes, so that those blinded to "
                "the therapy factor cannot tell them apart"
            )
        return self


# --- outcomes -------------------------------------------------------------------------------


class RelapseRule(StrEnum):
    FIRST_HEAVY_DAY = "first_heavy_day"
    FIRST_DRINKING_DAY = "first_drinking_day"


class DrinkSource(StrEnum):
    TLFB = "tlfb"
    DIARY = "diary"
    BREATHALYSER = "breathalyser"
    TRANSDERMAL = "transdermal"


class UnitSpec(_Strict):
    code: Literal["g", "uk_unit", "us_drink"]
    name: Text
    grams: Decimal = Field(gt=0, le=100)


class RelapseSpec(_Strict):
    rule: RelapseRule
    biochemically_verified: bool = False
    dropout_counts_as_relapse: bool = False


class WindowSpec(_Strict):
    code: Text
    start: int
    end: int

    @model_validator(mode="after")
    def _study_days(self) -> WindowSpec:
        if self.start == 0 or self.end == 0:
            raise ValueError("there is no study day 0: day 1 is the anchor date, day -1 the day before")
        if self.end < self.start:
            raise ValueError(f"the window ends (day {self.end}) before it starts (day {self.start})")
        return self


class BiomarkerSpec(_Strict):
    etg_cutoff_ng_ml: int = Field(default=500, gt=0, le=100000)
    etg_detection_days: int = Field(default=2, ge=0, le=14)
    breath_alcohol_cutoff: Decimal = Field(default=Decimal("0.00"), ge=0)
    transdermal_detection_days: int = Field(default=1, ge=0, le=14)


class PrimaryEndpoint(StrEnum):
    PDA = "pda"
    PHDD = "phdd"
    HEAVY_DAYS = "heavy_days"
    RELAPSE = "relapse"


class OutcomeSpec(_Strict):
    # Study day 1. Only the randomisation date so far: the endpoints, exports and diary all count
    # from the allocation. ``first_infusion`` is refused by name rather than silently ignored.
    anchor: str = "randomisation"
    primary_endpoint: PrimaryEndpoint
    primary_window: Text
    unit: UnitSpec
    units_known: list[Literal["g", "uk_unit", "us_drink"]] = Field(default_factory=lambda: ["g", "uk_unit", "us_drink"])
    heavy_day_grams: dict[Literal["M", "F"], Decimal]
    relapse: RelapseSpec
    windows: list[WindowSpec] = Field(min_length=1)
    baseline_lookback_days: int = Field(default=90, ge=0, le=730)
    max_grams_per_day: Decimal = Field(default=Decimal(1000), gt=0, le=5000)
    source_priority: list[DrinkSource] = Field(default_factory=lambda: [DrinkSource.TLFB, DrinkSource.DIARY])
    psnhdd_grace_days: int = Field(default=28, ge=0, le=365)
    daily_self_report: bool = False
    biomarkers: BiomarkerSpec = Field(default_factory=BiomarkerSpec)

    @field_validator("anchor")
    @classmethod
    def _supported_anchor(cls, value: str) -> str:
        if value == "first_infusion":
            raise ValueError("study day 1 at the first infusion is not supported yet; use randomisation")
        if value != "randomisation":
            raise ValueError("use randomisation")
        return value

    @field_validator("heavy_day_grams")
    @classmethod
    def _both_sexes(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        missing = {"M", "F"} - set(value)
        if missing:
            raise ValueError(f"a heavy-drinking-day threshold is needed for {', '.join(sorted(missing))}")
        for sex, grams in value.items():
            if grams <= 0:
                raise ValueError(f"the threshold for {sex} must be more than 0 g")
        return value

    @field_validator("source_priority")
    @classmethod
    def _unique_sources(cls, value: list[DrinkSource]) -> list[DrinkSource]:
        if len(set(value)) != len(value) or not value:
            raise ValueError("list each source once, at least one")
        return value


# --- reminders ------------------------------------------------------------------------------


class ReminderPolicy(_Strict):
    """When to remind participants of events of one kind (``missed_visit`` after a miss)."""

    event_kind: Literal["screening", "baseline", "infusion", "therapy", "follow_up", "phone", "missed_visit"]
    offsets_days: list[int] = Field(min_length=1)
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    time_of_day: TimeOfDay = dt.time(9, 0)


class DiaryPrompt(_Strict):
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    default_time: TimeOfDay = dt.time(19, 0)


class RemindersSpec(_Strict):
    policies: list[ReminderPolicy] = Field(default_factory=list)
    daily_diary: DiaryPrompt | None = None


# --- the document ---------------------------------------------------------------------------


class Protocol(_Strict):
    """A whole protocol version. Build it with :func:`parse`, which runs every check."""

    format: Literal[1] = 1
    trial: TrialInfo
    version: VersionInfo
    sites: list[SiteSpec] = Field(min_length=1)
    factors: list[FactorSpec] = Field(min_length=1)
    arms: list[ArmSpec] = Field(min_length=2)
    randomisation: RandomisationSpec
    unblinding: UnblindingSpec = Field(default_factory=UnblindingSpec)
    eligibility: EligibilitySpec
    consent_forms: list[ConsentFormSpec] = Field(min_length=1)
    schedule: list[EventSpec] = Field(min_length=1)
    dosing: DosingSpec | None = None
    therapy: TherapySpec | None = None
    outcomes: OutcomeSpec
    reminders: RemindersSpec = Field(default_factory=RemindersSpec)

    # -- cross-references: every problem is collected, none stops the others ------------------

    @model_validator(mode="after")
    def _cross_references(self) -> Protocol:
        problems: list[tuple[str, str]] = []
        problems += _duplicates("sites", [s.code for s in self.sites])
        problems += _duplicates("factors", [f.code for f in self.factors])
        problems += _duplicates("arms", [a.code for a in self.arms])
        problems += _duplicates("schedule", [e.code for e in self.schedule])
        problems += _duplicates("eligibility.criteria", [c.code for c in self.eligibility.criteria])
        problems += _duplicates("consent_forms", [c.version for c in self.consent_forms], key="version")
        problems += _duplicates("outcomes.windows", [w.code for w in self.outcomes.windows])
        for i, factor in enumerate(self.factors):
            problems += _duplicates(f"factors.{i}.levels", [level.code for level in factor.levels])

        levels = {f.code: {level.code for level in f.levels} for f in self.factors}
        problems += self._check_arms(levels)
        problems += self._check_schedule()
        problems += self._check_dosing(levels)
        problems += self._check_therapy(levels)
        problems += self._check_outcomes()
        if problems:
            raise _Problems(problems)
        return self

    def _check_arms(self, levels: dict[str, set[str]]) -> list[tuple[str, str]]:
        problems = []
        cells = Counter()
        for i, arm in enumerate(self.arms):
            missing = sorted(set(levels) - set(arm.levels))
            if missing:
                problems.append((f"arms.{i}.levels", f"no level given for factor(s) {', '.join(missing)}"))
            for factor, level in arm.levels.items():
                if factor not in levels:
                    problems.append((f"arms.{i}.levels.{factor}", f"unknown factor {factor!r}"))
                elif level not in levels[factor]:
                    known = ", ".join(sorted(levels[factor]))
                    problems.append(
                        (f"arms.{i}.levels.{factor}", f"unknown level {level!r} of {factor} (known: {known})")
                    )
            cells[tuple(sorted(arm.levels.items()))] += 1
        for cell, count in cells.items():
            if count > 1:
                problems.append(("arms", f"{count} arms share the cell {dict(cell)}"))
        if not problems:
            n_cells = 1
            for codes in levels.values():
                n_cells *= len(codes)
            if len(self.arms) != n_cells:
                problems.append(
                    (
                        "arms",
                        f"a full factorial of these factors has {n_cells} cells but {len(self.arms)} arms are given",
                    )
                )
        if self.randomisation.method == RandomisationMethod.PERMUTED_BLOCKS and not problems:
            unit = sum(arm.ratio for arm in self.arms)
            for size in self.randomisation.block_sizes:
                if size % unit:
                    problems.append(
                        (
                            "randomisation.block_sizes",
                            f"block size {size} is not a multiple of the ratio total {unit}",
                        )
                    )
        if self.randomisation.method == RandomisationMethod.MINIMISATION and self.randomisation.block_sizes:
            problems.append(("randomisation.block_sizes", "minimisation does not use blocks"))
        return problems

    def _check_schedule(self) -> list[tuple[str, str]]:
        problems = []
        seen: set[str] = set()
        for i, event in enumerate(self.schedule):
            if event.anchor != RANDOMISATION_ANCHOR and event.anchor not in seen:
                if any(e.code == event.anchor for e in self.schedule):
                    message = f"anchored on {event.anchor}, which comes later: a chain hangs on an earlier event"
                else:
                    message = f"unknown anchor {event.anchor!r}: use randomisation or an earlier event's code"
                problems.append((f"schedule.{i}.anchor", message))
            seen.add(event.code)
        kinds = {e.kind for e in self.schedule}
        if self.dosing is not None and EventKind.INFUSION not in kinds:
            problems.append(("schedule", "the protocol doses a drug but no event is an infusion"))
        if self.dosing is not None:
            n = sum(1 for e in self.schedule if e.kind == EventKind.INFUSION)
            if n != self.dosing.infusions:
                problems.append(
                    (
                        "dosing.infusions",
                        f"{self.dosing.infusions} infusions declared, {n} infusion events scheduled",
                    )
                )
        return problems

    def _check_dosing(self, levels: dict[str, set[str]]) -> list[tuple[str, str]]:
        if self.dosing is None:
            return []
        problems = []
        factor = self.dosing.factor
        if factor not in levels:
            return [("dosing.factor", f"unknown factor {factor!r}")]
        given = Counter(dose.level for dose in self.dosing.regimen)
        for i, dose in enumerate(self.dosing.regimen):
            if dose.level not in levels[factor]:
                problems.append((f"dosing.regimen.{i}.level", f"unknown level {dose.level!r} of {factor}"))
        for level in sorted(levels[factor]):
            if given[level] == 0:
                problems.append(("dosing.regimen", f"no dose given for level {level!r}"))
            elif given[level] > 1:
                problems.append(("dosing.regimen", f"level {level!r} has {given[level]} doses"))
        return problems

    def _check_therapy(self, levels: dict[str, set[str]]) -> list[tuple[str, str]]:
        if self.therapy is None:
            return []
        factor = self.therapy.factor
        if factor not in levels:
            return [("therapy.factor", f"unknown factor {factor!r}")]
        problems = []
        for i, programme in enumerate(self.therapy.programmes):
            if programme.level not in levels[factor]:
                problems.append((f"therapy.programmes.{i}.level", f"unknown level {programme.level!r} of {factor}"))
        return problems

    def _check_outcomes(self) -> list[tuple[str, str]]:
        problems = []
        codes = {w.code for w in self.outcomes.windows}
        if self.outcomes.primary_window not in codes:
            problems.append(("outcomes.primary_window", f"unknown window {self.outcomes.primary_window!r}"))
        if self.outcomes.unit.code not in self.outcomes.units_known:
            problems.append(("outcomes.unit.code", "the protocol's own unit must be among units_known"))
        for i, policy in enumerate(self.reminders.policies):
            if len(set(policy.offsets_days)) != len(policy.offsets_days):
                problems.append((f"reminders.policies.{i}.offsets_days", "an offset is listed twice"))
        if self.outcomes.daily_self_report and self.reminders.daily_diary is None:
            problems.append(("reminders.daily_diary", "daily self-report needs a daily diary prompt"))
        return problems

    # -- reading ------------------------------------------------------------------------------

    def factor(self, code: str) -> FactorSpec:
        return next(f for f in self.factors if f.code == code)

    def event(self, code: str) -> EventSpec:
        return next(e for e in self.schedule if e.code == code)

    def dose_for(self, level: str) -> DoseSpec | None:
        if self.dosing is None:
            return None
        return next((d for d in self.dosing.regimen if d.level == level), None)

    def current_consent_form(self) -> ConsentFormSpec:
        return max(self.consent_forms, key=lambda c: c.date)

    def canonical(self) -> dict[str, Any]:
        """The document as plain JSON-able data, in a stable form for storing and hashing."""
        return self.model_dump(mode="json")

    def fingerprint(self) -> str:
        return fingerprint(self.canonical())


class _Problems(ValueError):
    """Carries several located problems out of a model validator."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _duplicates(path: str, codes: list[str], key: str = "code") -> list[tuple[str, str]]:
    return [(path, f"duplicate {key} {code!r}") for code, n in Counter(codes).items() if n > 1]


def fingerprint(document: dict[str, Any]) -> str:
    """SHA-256 of a document's canonical JSON (sorted keys, no spaces)."""
    data = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(document)"


def validate(data: Any) -> Protocol:
    """Validate parsed data as a protocol, or raise :class:`ProtocolInvalid` with every problem.

    Field-level problems are all reported; cross-reference checks run once the fields are sound
    and are all reported too.
    """
    if not isinstance(data, dict):
        raise ProtocolInvalid([("(document)", "a protocol is a mapping of sections (trial, sites, factors, ...)")])
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            if isinstance(cause, _Problems):
                problems.extend(cause.problems)
                continue
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            problems.append((_location(error["loc"]), message))
        raise ProtocolInvalid(problems) from None


def parse(text: str, *, source: str = "<text>") -> Protocol:
    """Parse YAML or JSON text (JSON is YAML) and validate it as a protocol."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else source
        raise ProtocolInvalid([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return validate(data)


def load_file(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolInvalid([(str(path), f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ProtocolInvalid([(str(path), "the file is not UTF-8 text")]) from None
    return parse(text, source=str(path))


def from_document(document: dict[str, Any]) -> Protocol:
    """Rebuild a stored protocol version's document (validated when it was stored; the rules that
    protect only new protocols, such as look-alike comparators, are not applied again)."""
    return Protocol.model_validate(document, context={"stored": True})
