"""What the ODM file carries: its item groups (one per kind of record), their items, and the
forms that hold them.

An :class:`Item` names the model field it reads and, where the stored value is not what the file
shows, how to derive it (a JSON list as a flag or a text, an appointment or infusion as the study
event that names it in the file, a user as an OID of ``AdminData``). A :class:`Group` names its
model, the fields telling who entered a row and when, and whether the participant may have
entered it themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Consent,
    Deviation,
    DictionaryRelease,
    InfusionSession,
    Participant,
    Seriousness,
    TherapySession,
    Visit,
    VitalSigns,
    Withdrawal,
)

if TYPE_CHECKING:
    from outcomes.exports.odm.records import RecordWriter


@dataclass(frozen=True)
class Item:
    code: str
    field: str  # the model field's attname
    type: str  # ODM data type
    label: str
    # the item's value from the field's, ``derive(value, writer)`` (the writer knows the batch's visits)
    derive: Callable[[object, RecordWriter], object] | None = None
    # the item whose reason for being empty this one shares (core.missing; odm.reasons), if not its own
    reason_of: str | None = None


@dataclass(frozen=True)
class Group:
    code: str
    label: str
    model: type
    items: tuple[Item, ...]
    who: str | None  # the field naming who entered the row
    when: str | None  # the field with the time of entry (None: the caller gives the parent's)
    repeating: bool = True
    self_entry: str | None = None  # the field set when the participant entered the row themselves


def _list(value) -> list:
    """A JSON list field's value (the audit trail may hold it as text)."""
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


def _any(value, _w) -> bool:
    return bool(_list(value))


def _joined(value, _w) -> str | None:
    return "; ".join(str(v) for v in _list(value)) or None


def _has(code: str) -> Callable[[object, RecordWriter], bool]:
    return lambda value, _w: code in _list(value)


def _appointment_event(value, w: RecordWriter) -> str | None:
    return w.event_keys.get(int(value)) if value else None


def _infusion_event(value, w: RecordWriter) -> str | None:
    return w.infusion_keys.get(int(value)) if value else None


def _user_oid(value, w: RecordWriter) -> str | None:
    return w.user_oid(value) if value else None


def _code(value, _w) -> int | None:
    """A dictionary code as the number SDTM's ``--CD`` variables hold (None before coding)."""
    return int(value) if value else None


def _text(value, _w) -> str | None:
    return value or None


def _dictionary(value, w: RecordWriter) -> str | None:
    """The release an event is coded to, as "MedDRA 27.1" (releases never change: one query each)."""
    if not value:
        return None
    if value not in w.dictionaries:
        w.dictionaries[value] = str(DictionaryRelease.objects.get(pk=value))
    return w.dictionaries[value]


SUBJECT = Group(
    "SUBJECT",
    "Subject",
    Participant,
    (
        Item("SEX", "sex", "text", "Sex"),
        Item("AGE", "age_at_consent", "integer", "Age at consent"),
        Item("WEIGHT", "baseline_weight_kg", "float", "Baseline weight (kg)"),
        Item("ENROLLED_ON", "enrolled_on", "date", "Enrolment date"),
        Item("BASELINE_ON", "baseline_completed_on", "date", "Baseline completed on"),
    ),
    "enrolled_by_id",
    "created_at",
    repeating=False,
)
CONSENT = Group(
    "CONSENT",
    "Consent",
    Consent,
    (
        Item("FORM_VERSION", "form_version", "text", "Consent form version"),
        Item("CONSENTED_ON", "consented_on", "date", "Consented on"),
    ),
    "taken_by_id",
    "created_at",
)
RANDOMISATION = Group(
    "RANDOMISATION",
    "Randomisation",
    Allocation,
    (
        Item("ALLOCATED_ON", "allocated_on", "date", "Randomised on"),
        Item("METHOD", "method", "text", "Allocation method"),
    ),
    "allocated_by_id",
    "allocated_at",
    repeating=False,
)
WITHDRAWAL = Group(
    "WITHDRAWAL",
    "Withdrawal",
    Withdrawal,
    (Item("SCOPE", "scope", "text", "What was stopped"), Item("WITHDRAWN_ON", "withdrawn_on", "date", "Withdrawn on")),
    "recorded_by_id",
    "created_at",
)
APPOINTMENT = Group(
    "APPOINTMENT",
    "Appointment",
    Appointment,
    (
        Item("EVENT", "event_code", "text", "Schedule event"),
        Item("TARGET_DATE", "target_date", "date", "Target date"),
        Item("WINDOW_START", "window_start", "date", "Window start"),
        Item("WINDOW_END", "window_end", "date", "Window end"),
        Item("BOOKED_DATE", "booked_date", "date", "Booked date"),
        Item("STATUS", "status", "text", "Status"),
    ),
    None,
    "created_at",
    repeating=False,
)
VISIT = Group(
    "VISIT",
    "Visit",
    Visit,
    (
        Item("ACTUAL_DATE", "actual_date", "date", "Actual date"),
        Item("ATTENDED", "attended", "boolean", "Attended"),
        Item("SEEN_BY", "seen_by_id", "text", "Seen by (a user OID of AdminData)", _user_oid),
    ),
    "recorded_by_id",
    "created_at",
    repeating=False,
)
INFUSION = Group(
    "INFUSION",
    "Infusion",
    InfusionSession,
    (
        Item("WEIGHT_KG", "weight_kg", "float", "Weight (kg)"),
        Item("MG_PER_KG", "mg_per_kg", "float", "Dose (mg/kg)"),
        Item("DOSE_MG", "dose_mg", "float", "Computed dose (mg)"),
        Item("DOSE_MG_GIVEN", "dose_mg_given", "float", "Dose given (mg)"),
        Item("VOLUME_ML", "volume_ml", "float", "Volume (ml)"),
        Item("BREATH_ALCOHOL", "breath_alcohol", "float", "Breath alcohol"),
        Item("STARTED_AT", "started_at", "datetime", "Started at"),
        Item("STOPPED_AT", "stopped_at", "datetime", "Stopped at"),
        Item("INTERRUPTIONS", "interruptions", "integer", "Interruptions"),
        Item("COMPLETED", "completed", "boolean", "Completed"),
        Item("DISSOCIATION", "dissociation_score", "integer", "Dissociation score"),
        Item("SAFETY_FLAGGED", "safety_flags", "boolean", "Vital signs past a safety threshold", _any),
        Item("SAFETY_FLAGS", "safety_flags", "text", "Safety thresholds passed", _joined),
    ),
    "recorded_by_id",
    "created_at",
    repeating=False,
)
VITALS = Group(
    "VITALS",
    "Vital signs",
    VitalSigns,
    (
        Item("PHASE", "phase", "text", "Phase of the infusion (before, during, after)"),
        Item("MINUTE", "minute", "integer", "Minutes from the start of the infusion"),
        Item("SYSTOLIC", "systolic", "integer", "Systolic blood pressure (mmHg)"),
        Item("DIASTOLIC", "diastolic", "integer", "Diastolic blood pressure (mmHg)"),
        Item("HEART_RATE", "heart_rate", "integer", "Heart rate (beats per minute)"),
        Item("SPO2", "spo2", "integer", "Oxygen saturation (SpO2, %)"),
    ),
    None,  # entered with the infusion: its author and time
    None,
)
SESSION = Group(
    "SESSION",
    "Session",
    TherapySession,
    (
        Item("SESSION_NUMBER", "session_number", "integer", "Session number"),
        Item("SESSION_ATTENDED", "attended", "boolean", "Attended"),
        Item("MINUTES", "minutes", "integer", "Minutes"),
    ),
    "recorded_by_id",
    "created_at",
    repeating=False,
)
DRINKING = Group(
    "DRINKING",
    "Daily drinking record",
    DrinkingRecord,
    (
        Item("DAY", "day", "date", "Day"),
        Item("SOURCE", "source", "text", "Source"),
        Item("AMOUNT", "amount", "float", "Amount as entered"),
        Item("UNIT", "unit", "text", "Unit as entered"),
        Item("GRAMS", "grams", "float", "Grams of ethanol", reason_of="amount"),
        Item("DRINK_VISIT", "visit_code", "text", "Recall visit"),
    ),
    "entered_by_id",
    "entered_at",
    self_entry="entered_by_participant",
)
BIOMARKER = Group(
    "BIOMARKER",
    "Biomarker sample",
    BiomarkerSample,
    (
        Item("KIND", "kind", "text", "Kind"),
        Item("TAKEN_ON", "taken_on", "date", "Taken on"),
        Item("VALUE", "value", "float", "Value"),
        Item("POSITIVE", "positive", "boolean", "Positive"),
    ),
    "entered_by_id",
    "entered_at",
)
QUESTIONNAIRE = Group(
    "QUESTIONNAIRE",
    "Questionnaire",
    QuestionnaireResponse,
    (
        Item("INSTRUMENT", "instrument", "text", "Instrument"),
        Item("ADMINISTERED_ON", "administered_on", "date", "Administered on"),
        Item("TOTAL", "total", "float", "Total score"),
        Item("MISSING_ITEMS", "missing_items", "integer", "Items not answered"),
        Item("PRORATED", "prorated", "boolean", "Total prorated"),
    ),
    "entered_by_id",
    "entered_at",
)
ADVERSE_EVENT = Group(
    "AE",
    "Adverse event",
    AdverseEvent,
    (
        Item("TERM", "term", "text", "Term"),
        Item("ONSET", "onset_date", "date", "Onset"),
        Item("END", "end_date", "date", "End"),
        Item("GRADE", "grade", "integer", "Grade (CTCAE)"),
        Item("SERIOUS", "seriousness", "boolean", "Serious", _any),
        *(
            Item(f"SERIOUS_{c.value.upper()}", "seriousness", "boolean", f"Serious: {c.label}", _has(c.value))
            for c in Seriousness
        ),
        # labels that name no factor: a blinded file must not say which factor is which
        Item("AERELDRG", "drug_causality", "text", "Relatedness to the investigational medicinal product"),
        Item("AERELTHR", "therapy_causality", "text", "Relatedness to the psychological sessions"),
        Item("EXPECTED", "expected", "boolean", "Expected, in the investigator's judgement"),
        # the coding, named as SDTM's AE domain names it (empty until coded)
        Item("AELLT", "llt_name", "text", "Lowest level term", _text),
        Item("AELLTCD", "llt_code", "integer", "Lowest level term code", _code),
        Item("AEDECOD", "pt_name", "text", "Dictionary-derived term (preferred term)", _text),
        Item("AEPTCD", "pt_code", "integer", "Preferred term code", _code),
        Item("AEBODSYS", "soc_name", "text", "Body system or organ class (the primary SOC)", _text),
        Item("AEBDSYCD", "soc_code", "integer", "Body system or organ class code", _code),
        Item("AESOC", "soc_name", "text", "Primary system organ class", _text),
        Item("AESOCCD", "soc_code", "integer", "Primary system organ class code", _code),
        Item("AE_DICTIONARY", "dictionary_id", "text", "Dictionary and version coded to", _dictionary),
        Item("AE_CODED_BY", "coded_by_id", "text", "Coded by (a user OID of AdminData)", _user_oid),
        Item("AE_CODED_AT", "coded_at", "datetime", "Coded at"),
        Item(
            "RSI_EXPECTED", "rsi_expected", "boolean", "Listed by the reference safety information (empty: not coded)"
        ),
        Item("RSI_VERSION", "rsi_version", "text", "Version of the reference safety information consulted", _text),
        Item("ACTION_TAKEN", "action_taken", "text", "Action taken"),
        Item("AE_OUTCOME", "outcome", "text", "Outcome"),
        Item("AE_INFUSION_EVENT", "infusion_id", "text", "Infusion the event followed (its visit)", _infusion_event),
        Item("AWARE_AT", "aware_at", "datetime", "Site aware at (the reporting clock starts)"),
        Item("SPONSOR_REPORTED_AT", "sponsor_reported_at", "datetime", "Reported to the sponsor at"),
        Item("REGULATOR_REPORTED_AT", "regulator_reported_at", "datetime", "Reported to the regulator at"),
    ),
    "recorded_by_id",
    "created_at",
)
DEVIATION = Group(
    "DEVIATION",
    "Protocol deviation",
    Deviation,
    (
        Item("DEV_KIND", "kind", "text", "Kind of deviation"),
        Item("DEV_DESCRIPTION", "description", "text", "Description (written by the tracker)"),
        Item("DEV_AUTOMATIC", "automatic", "boolean", "Detected by the tracker"),
        Item("DEV_OCCURRED_ON", "occurred_on", "date", "Occurred on"),
        Item("DEV_EVENT", "appointment_id", "text", "Visit concerned", _appointment_event),
        Item("DEV_IMPORTANT", "important", "boolean", "Important (empty until reviewed)"),
        Item("DEV_REVIEWED_BY", "reviewed_by_id", "text", "Reviewed by (a user OID of AdminData)", _user_oid),
        Item("DEV_REVIEWED_AT", "reviewed_at", "datetime", "Reviewed at"),
    ),
    "reported_by_id",
    "created_at",
)

FORMS = {
    "ENROLMENT": ("Enrolment", (SUBJECT, CONSENT, RANDOMISATION, WITHDRAWAL)),
    "VISIT": ("Visit", (APPOINTMENT, VISIT, INFUSION, VITALS, SESSION)),
    "DRINKING": ("Daily drinking", (DRINKING,)),
    "BIOMARKERS": ("Biomarkers", (BIOMARKER,)),
    "QUESTIONNAIRES": ("Questionnaires", (QUESTIONNAIRE,)),
    "ADVERSE_EVENTS": ("Adverse events", (ADVERSE_EVENT,)),
    "DEVIATIONS": ("Protocol deviations", (DEVIATION,)),
}
ONGOING_FORMS = ("DRINKING", "BIOMARKERS", "QUESTIONNAIRES", "ADVERSE_EVENTS", "DEVIATIONS")
ONGOING_GROUPS = (
    ("BIOMARKERS", BIOMARKER),
    ("QUESTIONNAIRES", QUESTIONNAIRE),
    ("ADVERSE_EVENTS", ADVERSE_EVENT),
    ("DEVIATIONS", DEVIATION),
)
