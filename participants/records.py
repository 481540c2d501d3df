"""The participants' records under review (data queries, verification, signatures), registered
with :mod:`review.records` when the app starts: what each is, its items, what a person blinded
to a factor may not see of it (the allocation's arm, an infusion's dose), decided by the blinding
presenter as everywhere else, and the page a visit's records and an adverse event are corrected on
(which a query on them links to)."""

from __future__ import annotations

from django.urls import reverse

from core.roles import ENTER_DATA
from participants.blinding import presenter
from participants.blinding.decisions import visible_for_participant
from participants.guards import ensure_may_enter_data, ensure_unlocked, require_blinded, require_role
from participants.models import (
    AdverseEvent,
    Allocation,
    Consent,
    InfusionSession,
    Participant,
    Screening,
    TherapySession,
    Visit,
    Withdrawal,
)
from review.records import Item, Kind, register, register_lock_check

DOSE_ITEMS = frozenset({"mg_per_kg", "dose_mg", "dose_mg_given"})
# A data manager's coding of an adverse event and what the reference safety information says of it.
AE_CODING = (
    "dictionary",
    "llt_code",
    "llt_name",
    "pt_code",
    "pt_name",
    "soc_code",
    "soc_name",
    "coded_by",
    "coded_at",
    "rsi_expected",
    "rsi_version",
)


# The item that holds the reasons items were left empty (core.missing).
REASONS = Item("missing", "Reasons items are empty")


def _items(*pairs: tuple[str, str], empty_ok: tuple[str, ...] = ()) -> tuple[Item, ...]:
    """The items named by ``pairs``; those in ``empty_ok`` may be left empty with a reason, and the
    kind then has :data:`REASONS` among its items."""
    items = tuple(Item(name, label, empty_ok=name in empty_ok) for name, label in pairs)
    return (*items, REASONS) if empty_ok else items


def _participant_of(obj):
    if isinstance(obj, Participant):
        return obj
    if hasattr(obj, "participant"):
        return obj.participant
    return obj.visit.appointment.participant if hasattr(obj, "visit") else obj.appointment.participant


def may_enter(actor, obj) -> None:
    """Refuse whoever may not enter data for the record's participant now: the role to enter data
    at its site (403), a data lock, a withdrawal of consent for data use, a consent form to sign
    again (409)."""
    participant = _participant_of(obj)
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter data at this site")
    ensure_may_enter_data(participant)


def may_enter_blind(actor, obj) -> None:
    """:func:`may_enter`, and only for someone blind to every factor assessed blind (outcomes and
    adverse events are assessed blind)."""
    participant = _participant_of(obj)
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="enter outcome data")
    may_enter(actor, obj)


def _day(value) -> str:
    return f"{value:%-d %b %Y}" if value else "no date"


def _allocation_hidden(user, allocation: Allocation) -> frozenset[str]:
    return frozenset(presenter.allocation_hidden_fields(participant=allocation.participant, user=user))


def _dose_hidden(user, infusion: InfusionSession) -> frozenset[str]:
    participant = infusion.visit.appointment.participant
    factor = infusion.visit.appointment.protocol_version.protocol.dosing.factor
    return frozenset() if factor in visible_for_participant(user=user, participant=participant) else DOSE_ITEMS


def _vitals(infusion: InfusionSession) -> list[dict]:
    fields = ("phase", "minute", "systolic", "diastolic", "heart_rate", "spo2")
    return [{f: getattr(row, f) for f in fields} for row in infusion.vitals.all()]


def _page(name: str, pk: int) -> str:
    return reverse(f"web:{name}", args=[pk])


def _at_visit(visit: Visit) -> str:
    return f"{visit.appointment.event_code} ({visit.appointment.title})"


KINDS = (
    Kind(
        code="screening",
        label="Eligibility",
        model=Screening,
        participant="participant",
        items=_items(
            ("screened_on", "Date of screening"),
            ("answers", "Eligibility checklist"),
            ("outcome", "Outcome"),
            ("failed_criteria", "Criteria not met"),
            ("outcome_text", "Notes"),
        ),
        describe=lambda s: f"Screening {s.number} on {_day(s.screened_on)}",
        critical=True,
    ),
    Kind(
        code="consent",
        label="Consent",
        model=Consent,
        participant="participant",
        items=_items(("form_version", "Form version"), ("consented_on", "Date of consent"), ("taken_by", "Taken by")),
        describe=lambda c: f"Consent (form {c.form_version}) on {_day(c.consented_on)}",
        critical=True,
    ),
    Kind(
        code="baseline",
        guard=may_enter,
        label="Enrolment and baseline",
        model=Participant,
        participant="",
        items=_items(
            ("sex", "Sex"),
            ("age_at_consent", "Age at consent"),
            ("enrolled_on", "Date of enrolment"),
            ("baseline_completed_on", "Date of the baseline"),
            ("baseline_weight_kg", "Weight at baseline (kg)"),
            empty_ok=("baseline_weight_kg",),
        ),
        describe=lambda p: f"Enrolment and baseline of {p.study_id}",
    ),
    Kind(
        code="randomisation",
        label="Randomisation",
        model=Allocation,
        participant="participant",
        items=_items(
            ("arm", "Arm"),
            ("slot", "List slot"),
            ("method", "Method"),
            ("stratum", "Stratum"),
            ("allocated_on", "Date of randomisation"),
        ),
        describe=lambda a: f"Randomisation on {_day(a.allocated_on)}",
        hidden=_allocation_hidden,
        critical=True,
    ),
    Kind(
        code="withdrawal",
        label="Withdrawal",
        model=Withdrawal,
        participant="participant",
        items=_items(("scope", "What stops"), ("withdrawn_on", "Date"), ("reason", "Reason")),
        describe=lambda w: f"Withdrawal ({w.get_scope_display().lower()}) on {_day(w.withdrawn_on)}",
    ),
    Kind(
        code="visit",
        guard=may_enter,
        label="Visit",
        model=Visit,
        participant="appointment__participant",
        items=_items(
            ("attended", "Attended"),
            ("actual_date", "Date of the visit"),
            ("missed_reason", "Why it was missed"),
            ("seen_by", "Seen by"),
            empty_ok=("seen_by",),
        ),
        describe=lambda v: f"Visit {_at_visit(v)} on {_day(v.actual_date)}",
        page=lambda v: _page("visit", v.appointment_id),
        appointment="appointment",
        related=("appointment",),
    ),
    Kind(
        code="infusion",
        guard=may_enter,
        label="Infusion",
        model=InfusionSession,
        participant="visit__appointment__participant",
        items=_items(
            ("weight_kg", "Weight (kg)"),
            ("mg_per_kg", "Dose per kg"),
            ("dose_mg", "Dose"),
            ("dose_mg_given", "Dose given"),
            ("volume_ml", "Volume given (ml)"),
            ("breath_alcohol", "Breath alcohol"),
            ("started_at", "Infusion started"),
            ("stopped_at", "Infusion stopped"),
            ("interruptions", "Interruptions"),
            ("completed", "Completed"),
            ("dissociation_score", "Dissociation score"),
            ("safety_flags", "Safety flags"),
            ("interval_override_reason", "Why the interval was overridden"),
            empty_ok=("dose_mg_given", "dissociation_score"),
        ),
        describe=lambda i: f"Infusion at {_at_visit(i.visit)}",
        page=lambda i: _page("infusion-day", i.visit.appointment_id),
        hidden=_dose_hidden,
        children=_vitals,
        critical=True,
        appointment="visit__appointment",
        related=("visit__appointment__protocol_version",),
    ),
    Kind(
        code="session",
        guard=may_enter,
        label="Session",
        model=TherapySession,
        participant="visit__appointment__participant",
        items=_items(
            ("session_number", "Session number"),
            ("attended", "Attended"),
            ("minutes", "Minutes"),
            ("therapist", "Delivered by"),
            empty_ok=("therapist",),
        ),
        describe=lambda s: f"Session {s.session_number} at {_at_visit(s.visit)}",
        page=lambda s: _page("session", s.visit.appointment_id),
        appointment="visit__appointment",
        related=("visit__appointment",),
    ),
    Kind(
        code="adverse_event",
        guard=may_enter_blind,
        label="Adverse event",
        model=AdverseEvent,
        participant="participant",
        items=_items(
            ("term", "Term"),
            ("onset_date", "Onset"),
            ("end_date", "End"),
            ("grade", "Grade"),
            ("seriousness", "Seriousness criteria"),
            ("drug_causality", "Related to the study drug"),
            ("therapy_causality", "Related to the therapy"),
            ("expected", "Expected"),
            ("action_taken", "Action taken"),
            ("outcome", "Outcome"),
            ("infusion", "During the infusion"),
            ("aware_at", "Site aware"),
            ("sponsor_reported_at", "Reported to the sponsor"),
            ("regulator_reported_at", "Reported to the regulator"),
            empty_ok=("end_date", "action_taken", "outcome"),
        ),
        describe=lambda ae: f"Adverse event '{ae.term}' from {_day(ae.onset_date)}",
        critical=True,
        derived=AE_CODING,
        page=lambda ae: _page("adverse-event", ae.pk),
    ),
)


def _unlocked(participant) -> None:
    ensure_unlocked(trial=participant.trial, participant=participant)


def register_kinds() -> None:
    for kind in KINDS:
        register(kind)
    register_lock_check(_unlocked)
