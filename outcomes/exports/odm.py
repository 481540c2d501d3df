"""The clinical data as CDISC ODM 1.3.2 XML, written incrementally (memory stays flat).

One transactional ODM file (``FileType="Transactional"``):

* ``Study``: the trial's name and the metadata version of the protocol in force: a study event
  per scheduled visit (plus ``ENROLMENT``, ``UNSCHEDULED`` and ``ONGOING`` for data not tied to a
  visit), their forms, item groups and items, and code lists for the factor levels the export
  carries;
* ``AdminData``: the trial's staff (login name only), ``SYSTEM`` and ``PARTICIPANT`` (a record the
  participant entered themselves), and the sites as locations;
* ``ClinicalData``: per participant of the export's sites, enrolment (subject, consents,
  randomisation, withdrawals), each appointment with its visit, infusion (with its vital signs)
  and session, and the daily drinking records, biomarker samples, questionnaires, adverse events
  and protocol deviations.

Each record is one ``ItemGroupData`` per audit event of its row (``Insert``, then one ``Update``
per change, carrying the items that changed), each with its ``AuditRecord`` (who, where, when,
why), as read from the audit trail through :func:`core.history.events_for`. Where the
database keeps no audit trail (SQLite, or rows older than it) the record is one ``Insert`` with
the row's own author and time (a vital sign's are its infusion's).

Blinding, as :mod:`participants.blinding.presenter` decides it: factor items (and the arm)
appear only for the factors the export carries; the infusion's dose fields only when it carries
the dosing factor; no free text that staff write (notes, reasons for withdrawal, missed-visit
reasons, deviation descriptions and reviews) and no identity is exported. A deviation's
description is exported only when a service wrote it from the record alone
(:func:`~participants.blinding.presenter.deviation_text_shown`): the duration one quotes the
infusion length of the participant's drug level, so it too needs the dosing factor.

Queries: a fixed number per batch of participants (one per group, one per group's audit events,
the drinking records through one server-side cursor with their audit events a chunk at a time),
never one per participant or row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from core import history
from outcomes.exports.tables import levels_by_participant, participants_in
from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse
from participants.blinding import presenter
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Consent,
    Deviation,
    InfusionSession,
    Participant,
    Seriousness,
    TherapySession,
    Visit,
    VitalSigns,
    Withdrawal,
)

NS = "http://www.cdisc.org/ns/odm/v1.3"
BATCH = 200
SYSTEM_USER = "USR.SYSTEM"
PARTICIPANT_USER = "USR.PARTICIPANT"  # the participant, for what they entered themselves
DRINKING_CHUNK = 2000


@dataclass(frozen=True)
class Item:
    code: str
    field: str  # the model field's attname
    type: str  # ODM data type
    label: str
    # the item's value from the field's, ``derive(value, writer)`` (the writer knows the batch's visits)
    derive: Callable[[object, _Writer], object] | None = None


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


def _has(code: str) -> Callable[[object, _Writer], bool]:
    return lambda value, _w: code in _list(value)


def _appointment_event(value, w: _Writer) -> str | None:
    return w.event_keys.get(int(value)) if value else None


def _infusion_event(value, w: _Writer) -> str | None:
    return w.infusion_keys.get(int(value)) if value else None


def _user_oid(value, w: _Writer) -> str | None:
    return w.user_oid(value) if value else None


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
    (Item("ACTUAL_DATE", "actual_date", "date", "Actual date"), Item("ATTENDED", "attended", "boolean", "Attended")),
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
        Item("GRAMS", "grams", "float", "Grams of ethanol"),
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
        Item("CAUSALITY", "causality", "text", "Causality"),
        Item("EXPECTED", "expected", "boolean", "Expected"),
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


def _hidden(scope) -> dict[str, tuple[str, ...]]:
    """Fields left out per group: the dose reveals the dosing factor."""
    if presenter.dose_shown(protocol=scope.trial.version_on().protocol, factors=scope.factors):
        return {}
    return {INFUSION.code: presenter.DOSE_FIELDS}


def _items(group: Group, hidden: dict[str, tuple[str, ...]]) -> tuple[Item, ...]:
    return tuple(i for i in group.items if i.field not in hidden.get(group.code, ()))


def _text(value, kind: str) -> str | None:
    if value is None or value == "":
        return None
    if kind == "boolean" or isinstance(value, bool):
        return "true" if value in (True, "True", "true", 1) else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, Decimal, int, float)):
        return str(value)
    if kind == "datetime" and " " in str(value):
        return str(value).replace(" ", "T", 1)
    return str(value)


def _stamp(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace(" ", "T", 1)


class _Writer:
    def __init__(self, xf, scope):
        self.xf = xf
        self.scope = scope
        self.hidden = _hidden(scope)
        self.dose_hidden = INFUSION.code in self.hidden
        self.users = set(get_user_model().objects.values_list("pk", flat=True))
        self.usernames = dict(get_user_model().objects.values_list("username", "pk"))
        # the batch's visits as they are named in the file: by appointment id, and by infusion id
        self.event_keys: dict[int, str] = {}
        self.infusion_keys: dict[int, str] = {}

    def element(self, tag: str, attrs: dict | None = None, text: str | None = None):
        el = etree.Element(tag, {k: v for k, v in (attrs or {}).items() if v is not None})
        if text is not None:
            el.text = text
        self.xf.write(el)

    def user_oid(self, user_id=None, actor=None) -> str:
        """The OID of a listed user: ``actor`` is what the audit trail holds (a username, or a
        user id when the username was not recorded)."""
        if user_id is None and actor:
            user_id = self.usernames.get(actor, actor)
        try:
            user_id = int(user_id) if user_id is not None else None
        except (TypeError, ValueError):
            user_id = None
        return f"USR.{user_id}" if user_id in self.users else SYSTEM_USER

    def audit(self, *, user: str, location: str, at, reason: str = "") -> etree._Element:
        record = etree.Element("AuditRecord")
        etree.SubElement(record, "UserRef", UserOID=user)
        etree.SubElement(record, "LocationRef", LocationOID=location)
        etree.SubElement(record, "DateTimeStamp").text = _stamp(at)
        if reason:
            etree.SubElement(record, "ReasonForChange").text = reason
        return record

    def row_items(self, group: Group, row) -> tuple[Item, ...]:
        """The group's items this row carries: a deviation's description only when
        :func:`participants.blinding.presenter.deviation_text_shown` says so."""
        items = _items(group, self.hidden)
        if group is DEVIATION and not presenter.deviation_text_shown(row, dose_shown=not self.dose_hidden):
            items = tuple(i for i in items if i.field != "description")
        return items

    def group_data(
        self,
        group: Group,
        row,
        events: list[dict],
        location: str,
        extra: dict[str, str] | None = None,
        origin: tuple[int | None, object] | None = None,
    ):
        """One ``ItemGroupData`` per audit event of ``row`` (one ``Insert`` without events, by the
        row's author at its time, or ``origin`` ``(user id, time)`` for a group without them)."""
        items = self.row_items(group, row)
        key = str(row.pk) if group.repeating else None
        if not events:
            who, when = origin or (getattr(row, group.who) if group.who else None, getattr(row, group.when))
            events = [
                {
                    "label": "insert",
                    "at": when,
                    "actor_id": who,
                    "reason": "",
                    "values": {i.field: getattr(row, i.field) for i in items},
                    "changes": None,
                }
            ]
        for n, event in enumerate(events):
            kind = {"insert": "Insert", "update": "Update", "delete": "Remove"}.get(event["label"], "Upsert")
            if n == 0 and kind == "Update":
                kind = "Upsert"  # the row predates the audit trail
            attrs = {"ItemGroupOID": f"IG.{group.code}", "ItemGroupRepeatKey": key, "TransactionType": kind}
            el = etree.Element("ItemGroupData", {k: v for k, v in attrs.items() if v is not None})
            el.append(
                self.audit(
                    user=self.author(group, row, event),
                    location=location,
                    at=event["at"],
                    reason=event.get("reason") or "",
                )
            )
            if kind != "Remove":
                changed = event.get("changes")
                for item in items:
                    if changed is not None and kind != "Insert" and item.field not in changed:
                        continue
                    value = event["values"].get(item.field)
                    if item.derive is not None:
                        value = item.derive(value, self)
                    value = _text(value, item.type)
                    if value is None and kind == "Insert":
                        continue
                    attrs = {"ItemOID": f"IT.{item.code}"}
                    if value is None:
                        attrs["IsNull"] = "Yes"
                    else:
                        attrs["Value"] = value
                    etree.SubElement(el, "ItemData", attrs)
                if n == 0:
                    for code, value in (extra or {}).items():
                        etree.SubElement(el, "ItemData", ItemOID=f"IT.{code}", Value=value)
            self.xf.write(el)

    def author(self, group: Group, row, event: dict) -> str:
        """Who made the change: a listed user, the participant for what they entered themselves
        with no one else named, or the system."""
        if group.self_entry and event.get("actor_id") is None and not event.get("actor"):
            values = event.get("values") or {}
            if values.get(group.self_entry, getattr(row, group.self_entry)):
                return PARTICIPANT_USER
        return self.user_oid(event.get("actor_id"), event.get("actor"))


def _events(group: Group, pks: Iterable[int], hidden: dict[str, tuple[str, ...]]) -> dict[str, list[dict]]:
    """The audit events of the rows ``pks`` of ``group``'s model, by object id, oldest first."""
    pks = list(pks)
    if not pks:
        return {}
    out: dict[str, list[dict]] = {}
    leave_out = set(hidden.get(group.code, ()))
    if group.model is Allocation:
        leave_out |= {"arm", "arm_id", "slot", "slot_id", "stratum"}
    for event in history.events_for([(group.model, Q(pgh_obj_id__in=pks))], hidden=leave_out):
        event["actor_id"] = None
        out.setdefault(event["object_id"], []).append(event)
    # In the order they were written: the events of one transaction share its time, and their ids
    # ("<model>:<n>") do not sort as numbers.
    for events in out.values():
        events.sort(key=lambda event: int(event["id"].rsplit(":", 1)[1]))
    return out


def write(scope, out) -> int:
    """Write the scope's clinical data as ODM 1.3.2 to ``out`` (a path or a binary file);
    returns the number of subjects written."""
    trial = scope.trial
    version = trial.version_on()
    protocol = version.protocol
    mdv = f"MDV.{version.number}"
    now = timezone.now().replace(microsecond=0).isoformat()
    subjects = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        root_attrs = {
            "FileType": "Transactional",
            "FileOID": f"ODM.{trial.code}.{now}",
            "CreationDateTime": now,
            "AsOfDateTime": now,
            "ODMVersion": "1.3.2",
            "Originator": "Trial tracker",
            "SourceSystem": "trialtracker",
            "SourceSystemVersion": "0.1.0",
            "Granularity": "All",
        }
        with xf.element("ODM", root_attrs, nsmap={None: NS}):
            w = _Writer(xf, scope)
            _study(w, scope, protocol, mdv, version)
            _admin(w, scope, mdv, version)
            with xf.element("ClinicalData", {"StudyOID": trial.code, "MetaDataVersionOID": mdv}):
                subjects = _clinical(w, scope)
    return subjects


def _description(parent, text: str):
    d = etree.SubElement(parent, "Description")
    t = etree.SubElement(d, "TranslatedText")
    t.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    t.text = text


def _study(w: _Writer, scope, protocol, mdv: str, version):
    trial = scope.trial
    study = etree.Element("Study", OID=trial.code)
    gv = etree.SubElement(study, "GlobalVariables")
    etree.SubElement(gv, "StudyName").text = trial.code
    etree.SubElement(gv, "StudyDescription").text = trial.title
    etree.SubElement(gv, "ProtocolName").text = f"{trial.code} {version.label}"
    meta = etree.SubElement(study, "MetaDataVersion", OID=mdv, Name=f"Protocol version {version.label}")
    events = [("ENROLMENT", "Enrolment", "Common", "No", ("ENROLMENT",))]
    events += [(e.code, e.title, "Scheduled", "No", ("VISIT",)) for e in protocol.schedule]
    events += [("UNSCHEDULED", "Unscheduled visit", "Unscheduled", "Yes", ("VISIT",))]
    events += [("ONGOING", "Data collected throughout", "Common", "No", ONGOING_FORMS)]
    proto = etree.SubElement(meta, "Protocol")
    for n, (code, *_rest) in enumerate(events, start=1):
        etree.SubElement(proto, "StudyEventRef", StudyEventOID=f"SE.{code}", OrderNumber=str(n), Mandatory="No")
    for code, name, kind, repeating, forms in events:
        sed = etree.SubElement(meta, "StudyEventDef", OID=f"SE.{code}", Name=name, Repeating=repeating, Type=kind)
        for n, form in enumerate(forms, start=1):
            etree.SubElement(sed, "FormRef", FormOID=f"F.{form}", OrderNumber=str(n), Mandatory="No")
    for code, (name, groups) in FORMS.items():
        fd = etree.SubElement(meta, "FormDef", OID=f"F.{code}", Name=name, Repeating="No")
        for n, g in enumerate(groups, start=1):
            etree.SubElement(fd, "ItemGroupRef", ItemGroupOID=f"IG.{g.code}", OrderNumber=str(n), Mandatory="No")
    factor_items = [(f"FACTOR_{code.upper()}", protocol.factor(code)) for code in scope.factors]
    all_items: list[Item] = []
    for _name, groups in FORMS.values():
        for g in groups:
            igd = etree.SubElement(
                meta, "ItemGroupDef", OID=f"IG.{g.code}", Name=g.label, Repeating="Yes" if g.repeating else "No"
            )
            items = list(_items(g, w.hidden))
            for n, item in enumerate(items, start=1):
                etree.SubElement(igd, "ItemRef", ItemOID=f"IT.{item.code}", OrderNumber=str(n), Mandatory="No")
            if g is RANDOMISATION:
                extra = [code for code, _ in factor_items] + (["ARM"] if scope.unblinded else [])
                for n, code in enumerate(extra, start=len(items) + 1):
                    etree.SubElement(igd, "ItemRef", ItemOID=f"IT.{code}", OrderNumber=str(n), Mandatory="No")
            all_items += items
    for item in all_items:
        idef = etree.SubElement(meta, "ItemDef", OID=f"IT.{item.code}", Name=item.code, DataType=item.type)
        _description(idef, item.label)
    for code, spec in factor_items:
        idef = etree.SubElement(meta, "ItemDef", OID=f"IT.{code}", Name=code, DataType="text")
        _description(idef, spec.title)
        etree.SubElement(idef, "CodeListRef", CodeListOID=f"CL.{spec.code}")
    if scope.unblinded:
        idef = etree.SubElement(meta, "ItemDef", OID="IT.ARM", Name="ARM", DataType="text")
        _description(idef, "Arm")
    for _code, spec in factor_items:
        cl = etree.SubElement(meta, "CodeList", OID=f"CL.{spec.code}", Name=spec.title, DataType="text")
        for n, level in enumerate(spec.levels, start=1):
            cli = etree.SubElement(cl, "CodeListItem", CodedValue=level.code, OrderNumber=str(n))
            decode = etree.SubElement(cli, "Decode")
            etree.SubElement(decode, "TranslatedText").text = level.title
    w.xf.write(study)


def _admin(w: _Writer, scope, mdv: str, version):
    trial = scope.trial
    admin = etree.Element("AdminData", StudyOID=trial.code)
    system = etree.SubElement(admin, "User", OID=SYSTEM_USER, UserType="Other")
    etree.SubElement(system, "LoginName").text = "system"
    # No login: the participant's own entries (the diary page of a reminder's link) name no one else.
    participant = etree.SubElement(admin, "User", OID=PARTICIPANT_USER, UserType="Other")
    etree.SubElement(participant, "DisplayName").text = "The participant (self-report)"
    staff = (
        get_user_model()
        .objects.filter(Q(memberships__site__trial=trial) | Q(is_superuser=True))
        .distinct()
        .order_by("pk")
    )
    listed = set()
    for pk, username in staff.values_list("pk", "username"):
        user = etree.SubElement(admin, "User", OID=f"USR.{pk}")
        etree.SubElement(user, "LoginName").text = username
        listed.add(pk)
    w.users = listed
    for site in trial.sites.order_by("code"):
        loc = etree.SubElement(admin, "Location", OID=f"LOC.{site.code}", Name=site.name, LocationType="Site")
        etree.SubElement(
            loc,
            "MetaDataVersionRef",
            StudyOID=trial.code,
            MetaDataVersionOID=mdv,
            EffectiveDate=str(version.effective_date),
        )
    w.xf.write(admin)


def _by_participant(qs) -> dict[int, list]:
    out: dict[int, list] = {}
    for row in qs:
        out.setdefault(row.participant_id, []).append(row)
    return out


def _clinical(w: _Writer, scope) -> int:
    people = list(participants_in(scope).order_by("study_id", "pk").values_list("pk", flat=True))
    arms = dict(Allocation.objects.filter(participant_id__in=people).values_list("participant_id", "arm__code"))
    subjects = 0
    for start in range(0, len(people), BATCH):
        batch = people[start : start + BATCH]
        levels = levels_by_participant(scope, batch)
        rows = {
            SUBJECT: {p.pk: [p] for p in Participant.objects.filter(pk__in=batch).select_related("site")},
            CONSENT: _by_participant(Consent.objects.filter(participant_id__in=batch).order_by("consented_on", "pk")),
            RANDOMISATION: _by_participant(Allocation.objects.filter(participant_id__in=batch)),
            WITHDRAWAL: _by_participant(
                Withdrawal.objects.filter(participant_id__in=batch).order_by("withdrawn_on", "pk")
            ),
            APPOINTMENT: _by_participant(
                Appointment.objects.filter(participant_id__in=batch).order_by("sequence", "booked_date", "pk")
            ),
            BIOMARKER: _by_participant(
                BiomarkerSample.objects.filter(participant_id__in=batch).order_by("taken_on", "pk")
            ),
            QUESTIONNAIRE: _by_participant(
                QuestionnaireResponse.objects.filter(participant_id__in=batch).order_by("administered_on", "pk")
            ),
            ADVERSE_EVENT: _by_participant(
                AdverseEvent.objects.filter(participant_id__in=batch).order_by("onset_date", "pk")
            ),
            DEVIATION: _by_participant(
                Deviation.objects.filter(participant_id__in=batch).order_by("occurred_on", "pk")
            ),
        }
        appointments = {a.pk: a for rows_ in rows[APPOINTMENT].values() for a in rows_}
        visits = {v.appointment_id: v for v in Visit.objects.filter(appointment_id__in=list(appointments))}
        infusions = {
            i.visit_id: i for i in InfusionSession.objects.filter(visit_id__in=[v.pk for v in visits.values()])
        }
        vitals: dict[int, list] = {}
        for reading in VitalSigns.objects.filter(infusion_id__in=[i.pk for i in infusions.values()]).order_by(
            "infusion_id", "minute", "pk"
        ):
            vitals.setdefault(reading.infusion_id, []).append(reading)
        sessions = {s.visit_id: s for s in TherapySession.objects.filter(visit_id__in=[v.pk for v in visits.values()])}
        w.event_keys = {pk: _event_key(a) for pk, a in appointments.items()}
        by_visit = {v.pk: v.appointment_id for v in visits.values()}
        w.infusion_keys = {i.pk: w.event_keys[by_visit[i.visit_id]] for i in infusions.values()}
        events = {g: _events(g, [r.pk for rs in rows[g].values() for r in rs], w.hidden) for g in rows}
        events[VISIT] = _events(VISIT, [v.pk for v in visits.values()], w.hidden)
        events[INFUSION] = _events(INFUSION, [i.pk for i in infusions.values()], w.hidden)
        events[VITALS] = _events(VITALS, [r.pk for rs in vitals.values() for r in rs], w.hidden)
        events[SESSION] = _events(SESSION, [s.pk for s in sessions.values()], w.hidden)
        drinking = _Drinking(w, batch)
        batch_data = {"rows": rows, "visits": visits, "infusions": infusions, "vitals": vitals, "sessions": sessions}
        for pid in batch:
            _subject(w, scope, pid, batch_data, events, levels.get(pid, {}), arms.get(pid), drinking)
            subjects += 1
            w.xf.flush()
        drinking.finish()
    return subjects


def _event_key(appointment: Appointment) -> str:
    """How the file names an appointment's study event: its code, and the repeat key of an
    unscheduled one (``UNSCHEDULED.<key>``)."""
    return f"UNSCHEDULED.{appointment.pk}" if appointment.unscheduled else appointment.event_code


def _subject(
    w: _Writer, scope, pid: int, data: dict, events: dict, own: dict[str, str], arm: str | None, drinking: _Drinking
):
    """One participant's ``SubjectData``: enrolment, each appointment, then what is ongoing."""
    rows = data["rows"]
    person = rows[SUBJECT][pid][0]
    location = f"LOC.{person.site.code}"
    upsert = {"TransactionType": "Upsert"}
    with w.xf.element("SubjectData", {"SubjectKey": person.study_id, **upsert}):
        w.element("SiteRef", {"LocationOID": location})
        with (
            w.xf.element("StudyEventData", {"StudyEventOID": "SE.ENROLMENT", **upsert}),
            w.xf.element("FormData", {"FormOID": "F.ENROLMENT", **upsert}),
        ):
            for group in (SUBJECT, CONSENT, RANDOMISATION, WITHDRAWAL):
                for row in rows[group].get(pid, []):
                    extra = None
                    if group is RANDOMISATION:
                        extra = {f"FACTOR_{f.upper()}": own[f] for f in scope.factors if f in own}
                        if scope.unblinded and arm:
                            extra["ARM"] = arm
                    w.group_data(group, row, events[group].get(str(row.pk), []), location, extra)
        for appointment in rows[APPOINTMENT].get(pid, []):
            code = "UNSCHEDULED" if appointment.unscheduled else appointment.event_code
            attrs = {"StudyEventOID": f"SE.{code}", **upsert}
            if appointment.unscheduled:
                attrs["StudyEventRepeatKey"] = str(appointment.pk)
            with w.xf.element("StudyEventData", attrs), w.xf.element("FormData", {"FormOID": "F.VISIT", **upsert}):
                w.group_data(APPOINTMENT, appointment, events[APPOINTMENT].get(str(appointment.pk), []), location)
                visit = data["visits"].get(appointment.pk)
                if visit is None:
                    continue
                w.group_data(VISIT, visit, events[VISIT].get(str(visit.pk), []), location)
                infusion = data["infusions"].get(visit.pk)
                if infusion is not None:
                    w.group_data(INFUSION, infusion, events[INFUSION].get(str(infusion.pk), []), location)
                    origin = (infusion.recorded_by_id, infusion.created_at)
                    for reading in data["vitals"].get(infusion.pk, []):
                        w.group_data(VITALS, reading, events[VITALS].get(str(reading.pk), []), location, origin=origin)
                session = data["sessions"].get(visit.pk)
                if session is not None:
                    w.group_data(SESSION, session, events[SESSION].get(str(session.pk), []), location)
        with w.xf.element("StudyEventData", {"StudyEventOID": "SE.ONGOING", **upsert}):
            with w.xf.element("FormData", {"FormOID": "F.DRINKING", **upsert}):
                for record, record_events in drinking.of(pid):
                    w.group_data(DRINKING, record, record_events, location)
            for form, group in ONGOING_GROUPS:
                with w.xf.element("FormData", {"FormOID": f"F.{form}", **upsert}):
                    for row in rows[group].get(pid, []):
                        w.group_data(group, row, events[group].get(str(row.pk), []), location)


class _Drinking:
    """The daily records of a batch of participants, in the batch's order (study id), read
    through one cursor and handed out a participant at a time with their audit events, which are
    read a chunk of records at a time: the batch's records are never all in memory."""

    def __init__(self, w: _Writer, batch: list[int], chunk: int = DRINKING_CHUNK):
        qs = DrinkingRecord.objects.filter(participant_id__in=batch).order_by(
            "participant__study_id", "participant_id", "day", "source"
        )
        self.pairs = self._with_events(w, qs.iterator(chunk_size=chunk), chunk)
        self.head = None
        self.started = False

    @staticmethod
    def _with_events(w: _Writer, records: Iterator, chunk: int) -> Iterator[tuple[DrinkingRecord, list[dict]]]:
        buffer: list = []
        for record in records:
            buffer.append(record)
            if len(buffer) >= chunk:
                yield from _drinking_chunk(w, buffer)
                buffer = []
        if buffer:
            yield from _drinking_chunk(w, buffer)

    def of(self, pid: int) -> Iterator[tuple[DrinkingRecord, list[dict]]]:
        """The participant's records; ``pid`` must come in the batch's order."""
        if not self.started:
            self.head, self.started = next(self.pairs, None), True
        while self.head is not None and self.head[0].participant_id == pid:
            yield self.head
            self.head = next(self.pairs, None)

    def finish(self) -> None:
        if self.head is not None:
            raise RuntimeError(f"drinking record {self.head[0].pk} was not written: the batch is out of order")


def _drinking_chunk(w: _Writer, records: list) -> Iterator[tuple[DrinkingRecord, list[dict]]]:
    events = _events(DRINKING, [r.pk for r in records], w.hidden)
    for record in records:
        yield record, events.get(str(record.pk), [])
