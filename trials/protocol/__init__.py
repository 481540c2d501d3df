"""The protocol document: its schema, its validation, and how a file becomes one.

A protocol is data. A YAML (or JSON) file under ``protocols/`` is parsed into :class:`Protocol`,
every field and every cross-reference checked (an arm naming an unknown level, a window that ends
before it starts, a chain anchored on a later event, ...). :func:`parse` returns the document or
raises :class:`ProtocolInvalid` listing *every* problem with its field path, so a trial manager can
fix a file in one pass. The validated document is stored as an immutable protocol version
(:mod:`trials.models`); code reads the protocol through these classes, never through constants.

The parts, one module each: :mod:`~trials.protocol.fields` (the kinds of value),
:mod:`~trials.protocol.design` (sites, factors, arms, randomisation, eligibility, consent),
:mod:`~trials.protocol.schedule` (events, dosing, therapy), :mod:`~trials.protocol.outcomes`
(windows, relapse, biomarkers, reminders), :mod:`~trials.protocol.safety` (the reference safety
information), :mod:`~trials.protocol.monitoring` (source data verification) and
:mod:`~trials.protocol.document` (the whole, its
checks, parsing and loading). Everything is importable from ``trials.protocol``.

Conventions:

* schedule ``day`` is the number of days after the event's anchor date (0 = the anchor date);
  ``window`` is ``[before, after]`` in days relative to that target (``[-7, 7]``).
* outcome ``windows`` are in *study days*: study day 1 is the anchor date, day -1 the day before,
  and there is no day 0.
"""

from trials.protocol.design import (
    AgeRange,
    ArmSpec,
    ConsentFormSpec,
    CriterionKind,
    CriterionSpec,
    EligibilitySpec,
    FactorSpec,
    LevelSpec,
    RandomisationMethod,
    RandomisationSpec,
    SiteSpec,
    TrialInfo,
    UnblindingSpec,
    VersionInfo,
)
from trials.protocol.document import Protocol, fingerprint, from_document, load_file, parse, validate
from trials.protocol.fields import RANDOMISATION_ANCHOR, ROLE_CODES, Code, ProtocolInvalid, Text, TimeOfDay
from trials.protocol.monitoring import MonitoringSpec
from trials.protocol.outcomes import (
    BiomarkerSpec,
    DiaryPrompt,
    DrinkSource,
    OutcomeSpec,
    PrimaryEndpoint,
    RelapseRule,
    RelapseSpec,
    ReminderPolicy,
    RemindersSpec,
    UnitSpec,
    WindowSpec,
)
from trials.protocol.safety import ExpectedEvent, ReferenceSafetyInformation
from trials.protocol.schedule import (
    DoseSpec,
    DosingSpec,
    EventKind,
    EventSpec,
    Procedure,
    SafetyThresholds,
    SessionProgramme,
    TherapySpec,
)

__all__ = [
    "RANDOMISATION_ANCHOR",
    "ROLE_CODES",
    "AgeRange",
    "ArmSpec",
    "BiomarkerSpec",
    "Code",
    "ConsentFormSpec",
    "CriterionKind",
    "CriterionSpec",
    "DiaryPrompt",
    "DoseSpec",
    "DosingSpec",
    "DrinkSource",
    "EligibilitySpec",
    "EventKind",
    "EventSpec",
    "ExpectedEvent",
    "FactorSpec",
    "LevelSpec",
    "MonitoringSpec",
    "OutcomeSpec",
    "PrimaryEndpoint",
    "Procedure",
    "Protocol",
    "ProtocolInvalid",
    "RandomisationMethod",
    "RandomisationSpec",
    "ReferenceSafetyInformation",
    "RelapseRule",
    "RelapseSpec",
    "ReminderPolicy",
    "RemindersSpec",
    "SafetyThresholds",
    "SessionProgramme",
    "SiteSpec",
    "Text",
    "TherapySpec",
    "TimeOfDay",
    "TrialInfo",
    "UnblindingSpec",
    "UnitSpec",
    "VersionInfo",
    "WindowSpec",
    "fingerprint",
    "from_document",
    "load_file",
    "parse",
    "validate",
]
