"""The ``ClinicalData`` of the ODM file: per participant of the export's sites, enrolment, each
appointment with its visit, infusion, vital signs and session, then what is collected
throughout; each record with its data queries (:mod:`~outcomes.exports.odm.annotations`).

Queries: a fixed number per batch of :data:`BATCH` participants (one per group, one per group's
audit events, two for the data queries with their threads, the drinking records through one
server-side cursor with their audit events a chunk of :data:`DRINKING_CHUNK` at a time), never one
per participant or row.
"""

from __future__ import annotations

from collections.abc import Iterator

from outcomes.exports.odm.annotations import QueryAnnotations
from outcomes.exports.odm.items import (
    ADVERSE_EVENT,
    APPOINTMENT,
    BIOMARKER,
    CONSENT,
    DEVIATION,
    DRINKING,
    INFUSION,
    ONGOING_GROUPS,
    QUESTIONNAIRE,
    RANDOMISATION,
    SESSION,
    SUBJECT,
    VISIT,
    VITALS,
    WITHDRAWAL,
)
from outcomes.exports.odm.records import RecordWriter, audit_events
from outcomes.exports.tables import levels_by_participant, participants_in
from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Consent,
    Deviation,
    InfusionSession,
    Participant,
    TherapySession,
    Visit,
    VitalSigns,
    Withdrawal,
)
from review.models import Signature

BATCH = 200
DRINKING_CHUNK = 2000


def _by_participant(qs) -> dict[int, list]:
    out: dict[int, list] = {}
    for row in qs:
        out.setdefault(row.participant_id, []).append(row)
    return out


def write_clinical(w: RecordWriter, scope) -> int:
    """Each participant of the scope as ``SubjectData``, by study id, a batch at a time; returns
    how many were written."""
    people = list(participants_in(scope).order_by("study_id", "pk").values_list("pk", flat=True))
    arms = dict(Allocation.objects.filter(participant_id__in=people).values_list("participant_id", "arm__code"))
    queries = QueryAnnotations(w, scope)
    subjects = 0
    for start in range(0, len(people), BATCH):
        batch = people[start : start + BATCH]
        levels = levels_by_participant(scope, batch)
        w.annotations = queries.batch(batch)
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
        events = {g: audit_events(g, [r.pk for rs in rows[g].values() for r in rs], w.hidden) for g in rows}
        events[VISIT] = audit_events(VISIT, [v.pk for v in visits.values()], w.hidden)
        events[INFUSION] = audit_events(INFUSION, [i.pk for i in infusions.values()], w.hidden)
        events[VITALS] = audit_events(VITALS, [r.pk for rs in vitals.values() for r in rs], w.hidden)
        events[SESSION] = audit_events(SESSION, [s.pk for s in sessions.values()], w.hidden)
        drinking = _Drinking(w, batch)
        batch_data = {
            "rows": rows,
            "visits": visits,
            "infusions": infusions,
            "vitals": vitals,
            "sessions": sessions,
            "signatures": _latest_signatures(batch),
        }
        for pid in batch:
            _subject(w, scope, pid, batch_data, events, levels.get(pid, {}), arms.get(pid), drinking)
            subjects += 1
            w.xf.flush()
        drinking.finish()
    return subjects


def _latest_signatures(batch: list[int]) -> dict[tuple[int, int | None], Signature]:
    """The latest signature of each casebook (key ``(participant, None)``) and visit of the batch."""
    latest = {}
    for signature in Signature.objects.filter(participant_id__in=batch).order_by("signed_at", "pk"):
        latest[(signature.participant_id, signature.appointment_id)] = signature
    return latest


def _signature(w: RecordWriter, signature: Signature | None, location: str) -> None:
    """An ODM ``Signature``: who signed (their ``User`` carries the printed name), where, with which
    meaning (its ``SignatureDef``) and when."""
    if signature is None:
        return
    with w.xf.element("Signature"):
        w.element("UserRef", {"UserOID": f"USR.{signature.signer_id}"})
        w.element("LocationRef", {"LocationOID": location})
        w.element("SignatureRef", {"SignatureOID": f"SD.{signature.meaning}"})
        w.element("DateTimeStamp", text=signature.signed_at.replace(microsecond=0).isoformat())


def _event_key(appointment: Appointment) -> str:
    """How the file names an appointment's study event: its code, and the repeat key of an
    unscheduled one (``UNSCHEDULED.<key>``)."""
    return f"UNSCHEDULED.{appointment.pk}" if appointment.unscheduled else appointment.event_code


def _subject(
    w: RecordWriter,
    scope,
    pid: int,
    data: dict,
    events: dict,
    own: dict[str, str],
    arm: str | None,
    drinking: _Drinking,
):
    """One participant's ``SubjectData``: enrolment, each appointment, then what is ongoing."""
    rows = data["rows"]
    person = rows[SUBJECT][pid][0]
    location = f"LOC.{person.site.code}"
    upsert = {"TransactionType": "Upsert"}
    signatures = data["signatures"]
    with w.xf.element("SubjectData", {"SubjectKey": person.study_id, **upsert}):
        _signature(w, signatures.get((pid, None)), location)
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
            with w.xf.element("StudyEventData", attrs):
                _signature(w, signatures.get((pid, appointment.pk)), location)
                with w.xf.element("FormData", {"FormOID": "F.VISIT", **upsert}):
                    _visit_groups(w, data, events, appointment, location)
        with w.xf.element("StudyEventData", {"StudyEventOID": "SE.ONGOING", **upsert}):
            with w.xf.element("FormData", {"FormOID": "F.DRINKING", **upsert}):
                for record, record_events in drinking.of(pid):
                    w.group_data(DRINKING, record, record_events, location)
            for form, group in ONGOING_GROUPS:
                with w.xf.element("FormData", {"FormOID": f"F.{form}", **upsert}):
                    for row in rows[group].get(pid, []):
                        w.group_data(group, row, events[group].get(str(row.pk), []), location)


def _visit_groups(w: RecordWriter, data: dict, events: dict, appointment: Appointment, location: str) -> None:
    """An appointment's groups: itself, its visit, the infusion with its vital signs, the session."""
    w.group_data(APPOINTMENT, appointment, events[APPOINTMENT].get(str(appointment.pk), []), location)
    visit = data["visits"].get(appointment.pk)
    if visit is None:
        return
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


class _Drinking:
    """The daily records of a batch of participants, in the batch's order (study id), read
    through one cursor and handed out a participant at a time with their audit events, which are
    read a chunk of records at a time: the batch's records are never all in memory."""

    def __init__(self, w: RecordWriter, batch: list[int], chunk: int = DRINKING_CHUNK):
        qs = DrinkingRecord.objects.filter(participant_id__in=batch).order_by(
            "participant__study_id", "participant_id", "day", "source"
        )
        self.pairs = self._with_events(w, qs.iterator(chunk_size=chunk), chunk)
        self.head = None
        self.started = False

    @staticmethod
    def _with_events(w: RecordWriter, records: Iterator, chunk: int) -> Iterator[tuple[DrinkingRecord, list[dict]]]:
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


def _drinking_chunk(w: RecordWriter, records: list) -> Iterator[tuple[DrinkingRecord, list[dict]]]:
    events = audit_events(DRINKING, [r.pk for r in records], w.hidden)
    for record in records:
        yield record, events.get(str(record.pk), [])
