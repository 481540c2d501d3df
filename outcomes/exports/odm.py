"""The clinical data as CDISC ODM 1.3.2 XML, written incrementally (memory stays flat).

One transactional ODM file (``FileType="Transactional"``):

* ``Study``: the trial's name and the metadata version of the protocol in force: a study event
  per scheduled visit (plus ``ENROLMENT``, ``UNSCHEDULED`` and ``ONGOING`` for data not tied to a
  visit), their forms, item groups and items, and code lists for the factor levels the export
  carries;
* ``AdminData``: the trial's staff (login name only) and ``SYSTEM``, and the sites as locations;
* ``ClinicalData``: per participant of the export's sites, enrolment (subject, consents,
  randomisation, withdrawals), each appointment with its visit, infusion and session, and the
  daily drinking records, biomarker samples, questionnaires and adverse events.

Each record is one ``ItemGroupData`` per audit event of its row (``Insert``, then one ``Update``
per change, carrying the items that changed), each with its ``AuditRecord`` (who, where, when,
why), as read from the audit trail through :func:`trialtracker.history.events_for`. Where the
database keeps no audit trail (SQLite, or rows older than it) the record is one ``Insert`` with
the row's own author and time.

Blinding: factor items (and the arm) appear only for the factors the export carries; the
infusion's dose fields only when it carries the dosing factor; no free text that staff write
(notes, reasons for withdrawal, missed-visit reasons) and no identity is exported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from outcomes.exports.tables import levels_by_participant, participants_in
from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Consent,
    InfusionSession,
    Participant,
    TherapySession,
    Visit,
    Withdrawal,
)
from trialtracker import history

NS = "http://www.cdisc.org/ns/odm/v1.3"
BATCH = 200
SYSTEM_USER = "USR.SYSTEM"


@dataclass(frozen=True)
class Item:
    code: str
    field: str  # the model field's attname
    type: str  # ODM data type
    label: str


@dataclass(frozen=True)
class Group:
    code: str
    label: str
    model: type
    items: tuple[Item, ...]
    who: str | None  # the field naming who entered the row
    when: str  # the field with the time of entry
    repeating: bool = True


DOSE_FIELDS = ("mg_per_kg", "dose_mg", "dose_mg_given")

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
    ),
    "recorded_by_id",
    "created_at",
    repeating=False,
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
        Item("CAUSALITY", "causality", "text", "Causality"),
        Item("EXPECTED", "expected", "boolean", "Expected"),
    ),
    "recorded_by_id",
    "created_at",
)

FORMS = {
    "ENROLMENT": ("Enrolment", (SUBJECT, CONSENT, RANDOMISATION, WITHDRAWAL)),
    "VISIT": ("Visit", (APPOINTMENT, VISIT, INFUSION, SESSION)),
    "DRINKING": ("Daily drinking", (DRINKING,)),
    "BIOMARKERS": ("Biomarkers", (BIOMARKER,)),
    "QUESTIONNAIRES": ("Questionnaires", (QUESTIONNAIRE,)),
    "ADVERSE_EVENTS": ("Adverse events", (ADVERSE_EVENT,)),
}
ONGOING_FORMS = ("DRINKING", "BIOMARKERS", "QUESTIONNAIRES", "ADVERSE_EVENTS")


def _hidden(scope) -> dict[str, tuple[str, ...]]:
    """Fields left out per group: the dose reveals the dosing factor."""
    protocol = scope.trial.version_on().protocol
    dosing = getattr(protocol, "dosing", None)
    if dosing is not None and dosing.factor not in scope.factors:
        return {INFUSION.code: DOSE_FIELDS}
    return {}


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
        self.users = set(get_user_model().objects.values_list("pk", flat=True))
        self.usernames = dict(get_user_model().objects.values_list("username", "pk"))

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

    def group_data(self, group: Group, row, events: list[dict], location: str, extra: dict[str, str] | None = None):
        """One ``ItemGroupData`` per audit event of ``row`` (one ``Insert`` without events)."""
        items = _items(group, self.hidden)
        key = str(row.pk) if group.repeating else None
        if not events:
            events = [
                {
                    "label": "insert",
                    "at": getattr(row, group.when),
                    "actor_id": getattr(row, group.who) if group.who else None,
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
            user = self.user_oid(event.get("actor_id"), event.get("actor"))
            el.append(self.audit(user=user, location=location, at=event["at"], reason=event.get("reason") or ""))
            if kind != "Remove":
                changed = event.get("changes")
                for item in items:
                    if changed is not None and kind != "Insert" and item.field not in changed:
                        continue
                    value = _text(event["values"].get(item.field), item.type)
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
    people = list(participants_in(scope).order_by("study_id").values_list("pk", flat=True))
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
        }
        appointments = [a.pk for rows_ in rows[APPOINTMENT].values() for a in rows_]
        visits = {v.appointment_id: v for v in Visit.objects.filter(appointment_id__in=appointments)}
        infusions = {
            i.visit_id: i for i in InfusionSession.objects.filter(visit_id__in=[v.pk for v in visits.values()])
        }
        sessions = {s.visit_id: s for s in TherapySession.objects.filter(visit_id__in=[v.pk for v in visits.values()])}
        events = {g: _events(g, [r.pk for rs in rows[g].values() for r in rs], w.hidden) for g in rows}
        events[VISIT] = _events(VISIT, [v.pk for v in visits.values()], w.hidden)
        events[INFUSION] = _events(INFUSION, [i.pk for i in infusions.values()], w.hidden)
        events[SESSION] = _events(SESSION, [s.pk for s in sessions.values()], w.hidden)
        events[DRINKING] = {}  # read per participant below, with the records
        batch_data = {"rows": rows, "visits": visits, "infusions": infusions, "sessions": sessions}
        for pid in batch:
            _subject(w, scope, pid, batch_data, events, levels.get(pid, {}), arms.get(pid))
            subjects += 1
            w.xf.flush()
    return subjects


def _subject(w: _Writer, scope, pid: int, data: dict, events: dict, own: dict[str, str], arm: str | None):
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
                for group, child in (
                    (INFUSION, data["infusions"].get(visit.pk)),
                    (SESSION, data["sessions"].get(visit.pk)),
                ):
                    if child is not None:
                        w.group_data(group, child, events[group].get(str(child.pk), []), location)
        with w.xf.element("StudyEventData", {"StudyEventOID": "SE.ONGOING", **upsert}):
            with w.xf.element("FormData", {"FormOID": "F.DRINKING", **upsert}):
                _drinking(w, pid, location)
            for form, group in (
                ("BIOMARKERS", BIOMARKER),
                ("QUESTIONNAIRES", QUESTIONNAIRE),
                ("ADVERSE_EVENTS", ADVERSE_EVENT),
            ):
                with w.xf.element("FormData", {"FormOID": f"F.{form}", **upsert}):
                    for row in rows[group].get(pid, []):
                        w.group_data(group, row, events[group].get(str(row.pk), []), location)


def _drinking(w: _Writer, pid: int, location: str, chunk: int = 2000):
    """One participant's daily records, a chunk at a time with their audit events."""
    qs = DrinkingRecord.objects.filter(participant_id=pid).order_by("day", "source")
    buffer: list = []
    for record in qs.iterator(chunk_size=chunk):
        buffer.append(record)
        if len(buffer) >= chunk:
            _drinking_chunk(w, buffer, location)
            buffer = []
    if buffer:
        _drinking_chunk(w, buffer, location)


def _drinking_chunk(w: _Writer, records: list, location: str):
    events = _events(DRINKING, [r.pk for r in records], w.hidden)
    for record in records:
        w.group_data(DRINKING, record, events.get(str(record.pk), []), location)
