"""The whole protocol document, its cross-reference checks, its fingerprint, and how a file or a
stored version becomes one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from trials.protocol.design import (
    AccessSpec,
    ArmSpec,
    ConsentFormSpec,
    EligibilitySpec,
    FactorSpec,
    RandomisationMethod,
    RandomisationSpec,
    SiteSpec,
    TrialInfo,
    UnblindingSpec,
    VersionInfo,
)
from trials.protocol.fields import RANDOMISATION_ANCHOR, ProtocolInvalid, _Strict
from trials.protocol.monitoring import MonitoringSpec
from trials.protocol.outcomes import OutcomeSpec, RemindersSpec
from trials.protocol.safety import ReferenceSafetyInformation
from trials.protocol.schedule import DoseSpec, DosingSpec, EventKind, EventSpec, TherapySpec


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
    access: AccessSpec = Field(default_factory=AccessSpec)
    eligibility: EligibilitySpec
    consent_forms: list[ConsentFormSpec] = Field(min_length=1)
    schedule: list[EventSpec] = Field(min_length=1)
    dosing: DosingSpec | None = None
    therapy: TherapySpec | None = None
    outcomes: OutcomeSpec
    reminders: RemindersSpec = Field(default_factory=RemindersSpec)
    # None: no RSI declared, and expectedness is the investigator's assessment alone
    reference_safety_information: ReferenceSafetyInformation | None = None
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)

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
        problems += self._check_site_contacts()
        if problems:
            raise _Problems(problems)
        return self

    def _check_site_contacts(self) -> list[tuple[str, str]]:
        """A site's contact texts go to participants unsealed: none may name the trial, a factor, a
        level or an arm (by code or title, ignoring case)."""
        words = {self.trial.code, self.trial.title, self.trial.short_title}
        for factor in self.factors:
            words |= {factor.code, factor.title}
            words |= {lv.code for lv in factor.levels} | {lv.title for lv in factor.levels}
        words |= {arm.code for arm in self.arms} | {arm.title for arm in self.arms}
        words = {w.casefold() for w in words if w and len(w) > 2}
        problems = []
        for i, site in enumerate(self.sites):
            if site.contact is None:
                continue
            texts = {field: getattr(site.contact, field) for field in ("name", "place", "reply_to")}
            texts |= {f"place_translations.{lang}": text for lang, text in site.contact.place_translations.items()}
            for field, text in texts.items():
                named = sorted(w for w in words if w in text.casefold())
                if named:
                    problems.append(
                        (f"sites.{i}.contact.{field}", f"participants read this: it must not name {named[0]!r}")
                    )
        return problems

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
        if self.reference_safety_information is not None and self.dosing is None:
            problems.append(("reference_safety_information", "the protocol doses no study drug for it to describe"))
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


def yaml_data(text: str, *, source: str = "<text>") -> Any:
    """YAML or JSON text (JSON is YAML) as data, or :class:`ProtocolInvalid` naming where it breaks.
    Shared by every document kept as a file beside the protocol (the analysis plan)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else source
        raise ProtocolInvalid([(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None


def file_text(path: str | Path) -> str:
    """A document file's text, or :class:`ProtocolInvalid` saying why it cannot be read."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolInvalid([(str(path), f"cannot read the file: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise ProtocolInvalid([(str(path), "the file is not UTF-8 text")]) from None


def parse(text: str, *, source: str = "<text>") -> Protocol:
    """Parse YAML or JSON text (JSON is YAML) and validate it as a protocol."""
    return validate(yaml_data(text, source=source))


def load_file(path: str | Path) -> Protocol:
    """Read and validate a protocol file."""
    return parse(file_text(path), source=str(path))


def from_document(document: dict[str, Any]) -> Protocol:
    """Rebuild a stored protocol version's document (validated when it was stored; the rules that
    protect only new protocols, such as look-alike comparators, are not applied again)."""
    return Protocol.model_validate(document, context={"stored": True})
