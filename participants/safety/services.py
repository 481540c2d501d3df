"""Adverse events with their reporting clocks, and protocol deviations with their review.

A serious adverse event must reach the sponsor within 24 hours of the site becoming aware of it;
a SUSAR (serious, related, unexpected) must reach the regulator within 7 days if fatal or
life-threatening, else 15 days. Until reported, each shows on the deadline list.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from core import audit
from core.clock import today_at
from core.errors import Conflict, Invalid
from core.roles import ENTER_DATA, Role
from participants.guards import ensure_may_enter_data, ensure_unlocked, require_blinded, require_role
from participants.models import (
    AdverseEvent,
    Causality,
    Deviation,
    DeviationKind,
    InfusionSession,
    Participant,
    Seriousness,
)
from review import changes as review_changes

SPONSOR_HOURS = 24


REGULATOR_DAYS_FATAL = 7


REGULATOR_DAYS_OTHER = 15


REVIEWERS = frozenset({Role.DATA_MANAGER, Role.INVESTIGATOR})


# Relatedness is assessed for each intervention of the factorial design, naming its kind only.
CAUSALITY_FIELDS = ("drug_causality", "therapy_causality")


# What an assessment may say; "not assessed" is only what events recorded before there were two say.
ASSESSED = tuple(c for c in Causality.values if c != Causality.NOT_ASSESSED)


def _refuse_unassessed(given: dict, problems: dict) -> None:
    for field in CAUSALITY_FIELDS:
        if field in given and given[field] == Causality.NOT_ASSESSED and field not in problems:
            problems[field] = [f"Assess it: choose one of: {', '.join(ASSESSED)}."]


AE_FIELDS = (
    "term",
    "onset_date",
    "end_date",
    "grade",
    "seriousness",
    "drug_causality",
    "therapy_causality",
    "expected",
    "action_taken",
    "outcome",
)


def deadlines(ae: AdverseEvent) -> dict[str, dt.datetime | None]:
    """When the event must be reported to the sponsor and the regulator (None: not required)."""
    sponsor = ae.aware_at + dt.timedelta(hours=SPONSOR_HOURS) if ae.serious else None
    regulator = None
    if ae.susar:
        fatal = {Seriousness.DEATH, Seriousness.LIFE_THREATENING} & set(ae.seriousness)
        regulator = ae.aware_at + dt.timedelta(days=REGULATOR_DAYS_FATAL if fatal else REGULATOR_DAYS_OTHER)
    return {"sponsor": sponsor, "regulator": regulator}


def _validate(participant: Participant, values: dict, problems: dict) -> None:
    if not (values.get("term") or "").strip():
        problems["term"] = ["This field is required."]
    grade = values.get("grade")
    if not isinstance(grade, int) or not (1 <= grade <= 5):
        problems["grade"] = ["Give a CTCAE grade from 1 to 5."]
    seriousness = values.get("seriousness") or []
    unknown = sorted(set(seriousness) - set(Seriousness.values))
    if unknown:
        problems["seriousness"] = [f"Unknown criteria: {', '.join(unknown)}."]
    if isinstance(grade, int) and grade == 5 and Seriousness.DEATH not in seriousness:
        problems["seriousness"] = ["Grade 5 is death: include the criterion death."]
    for field in CAUSALITY_FIELDS:
        if values.get(field) not in Causality.values:
            problems[field] = [f"Choose one of: {', '.join(ASSESSED)}."]
    onset, end = values.get("onset_date"), values.get("end_date")
    today = today_at(participant.site)
    if onset is None:
        problems["onset_date"] = ["This field is required."]
    elif onset > today:
        problems["onset_date"] = ["The date cannot be in the future."]
    elif onset < participant.enrolled_on:
        problems["onset_date"] = [f"The participant was enrolled on {participant.enrolled_on}."]
    if end is not None:
        if end > today:
            problems["end_date"] = ["The date cannot be in the future."]
        elif onset is not None and end < onset:
            problems["end_date"] = ["The event cannot end before its onset."]


def adverse_event_record(
    *,
    actor,
    participant: Participant,
    term: str,
    onset_date: dt.date,
    grade: int,
    drug_causality: str,
    therapy_causality: str,
    expected: bool,
    seriousness: list[str] | None = None,
    end_date: dt.date | None = None,
    action_taken: str = "",
    outcome: str = "",
    infusion: InfusionSession | None = None,
    aware_at: dt.datetime | None = None,
) -> AdverseEvent:
    """Record an adverse event. Seriousness is a list of criteria, separate from the grade; a
    serious event starts its reporting clock at ``aware_at`` (now by default). Relatedness is
    assessed for the study drug and for the therapy apart ("not assessed" is refused)."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="record adverse events at this site")
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="record adverse events")
    ensure_may_enter_data(participant)
    seriousness = sorted(set(seriousness or []))
    values = {
        "term": term,
        "onset_date": onset_date,
        "end_date": end_date,
        "grade": grade,
        "seriousness": seriousness,
        "drug_causality": drug_causality,
        "therapy_causality": therapy_causality,
    }
    problems: dict[str, list[str]] = {}
    _validate(participant, values, problems)
    _refuse_unassessed(values, problems)
    if infusion is not None and infusion.visit.appointment.participant_id != participant.pk:
        problems["infusion"] = ["The infusion is not this participant's."]
    aware_at = aware_at or timezone.now()
    if aware_at > timezone.now() + dt.timedelta(minutes=5):
        problems["aware_at"] = ["The time cannot be in the future."]
    if problems:
        raise Invalid("the adverse event is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="adverse event recorded"):
        return AdverseEvent.objects.create(
            participant=participant,
            term=term.strip(),
            onset_date=onset_date,
            end_date=end_date,
            grade=grade,
            seriousness=seriousness,
            drug_causality=drug_causality,
            therapy_causality=therapy_causality,
            expected=expected,
            action_taken=action_taken.strip(),
            outcome=outcome.strip(),
            infusion=infusion,
            aware_at=aware_at,
            recorded_by=actor,
        )


def adverse_event_update(*, actor, ae: AdverseEvent, reason: str, **changes) -> AdverseEvent:
    """Change an adverse event after first entry; a reason is required and audited."""
    require_role(actor, ENTER_DATA, site=ae.participant.site, doing="change adverse events at this site")
    require_blinded(actor, trial=ae.participant.trial, site=ae.participant.site, doing="change adverse events")
    ensure_unlocked(trial=ae.participant.trial, participant=ae.participant)
    unknown = sorted(set(changes) - set(AE_FIELDS))
    if unknown:
        raise Invalid("unknown fields", fields={k: ["Not a field of an adverse event."] for k in unknown})
    if not (reason or "").strip():
        raise Invalid("a change after first entry needs a reason", fields={"reason": ["This field is required."]})
    values = {k: getattr(ae, k) for k in AE_FIELDS} | changes
    if "seriousness" in changes:
        values["seriousness"] = sorted(set(changes["seriousness"] or []))
    problems: dict[str, list[str]] = {}
    _validate(ae.participant, values, problems)
    _refuse_unassessed(changes, problems)
    if problems:
        raise Invalid("the change is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        locked = AdverseEvent.objects.select_for_update().get(pk=ae.pk)
        changed = [key for key, value in values.items() if getattr(locked, key) != value]
        for key, value in values.items():
            setattr(locked, key, value)
        locked.save()
        review_changes.corrected(obj=locked, items=changed, actor=actor, reason=reason.strip())
        return locked


def adverse_event_report(*, actor, ae: AdverseEvent, to: str, reported_at: dt.datetime | None = None) -> AdverseEvent:
    """Record that a serious event was reported to the sponsor or (a SUSAR) to the regulator."""
    require_role(actor, ENTER_DATA, site=ae.participant.site, doing="report adverse events at this site")
    ensure_unlocked(trial=ae.participant.trial, participant=ae.participant)
    reported_at = reported_at or timezone.now()
    if to not in ("sponsor", "regulator"):
        raise Invalid("report to whom?", fields={"to": ["Choose sponsor or regulator."]})
    if reported_at < ae.aware_at or reported_at > timezone.now() + dt.timedelta(minutes=5):
        raise Invalid("the time is not plausible", fields={"reported_at": ["Between awareness and now."]})
    due = deadlines(ae)[to]
    if due is None:
        raise Conflict(f"this event does not need reporting to the {to}", code="not_reportable")
    field = f"{to}_reported_at"
    with transaction.atomic(), audit.context(actor=actor, reason=f"reported to the {to}"):
        locked = AdverseEvent.objects.select_for_update().get(pk=ae.pk)
        if getattr(locked, field) is not None:
            raise Conflict(f"already reported to the {to}", code="duplicate")
        setattr(locked, field, reported_at)
        locked.save(update_fields=[field, "updated_at"])
        return locked


def deviation_record(
    *, actor, participant: Participant, kind: str, description: str, occurred_on: dt.date, appointment=None
) -> Deviation:
    """Record a protocol deviation by hand (automatic ones are recorded by the visit services)."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="record deviations at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    problems: dict[str, list[str]] = {}
    if kind not in DeviationKind.values:
        problems["kind"] = [f"Choose one of: {', '.join(DeviationKind.values)}."]
    if not (description or "").strip():
        problems["description"] = ["This field is required."]
    if occurred_on > today_at(participant.site):
        problems["occurred_on"] = ["The date cannot be in the future."]
    elif occurred_on < participant.enrolled_on:
        problems["occurred_on"] = [f"The participant was enrolled on {participant.enrolled_on}."]
    if appointment is not None and appointment.participant_id != participant.pk:
        problems["appointment"] = ["The appointment is not this participant's."]
    if problems:
        raise Invalid("the deviation is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="deviation recorded"):
        return Deviation.objects.create(
            participant=participant,
            appointment=appointment,
            kind=kind,
            description=description.strip(),
            occurred_on=occurred_on,
            reported_by=actor,
        )


def deviation_review(*, actor, deviation: Deviation, important: bool, note: str = "") -> Deviation:
    """Class a deviation as important (may affect data reliability or a participant's safety or
    rights) or not. A data manager or investigator of the site reviews; a second review needs a note."""
    require_role(actor, REVIEWERS, site=deviation.participant.site, doing="review deviations at this site")
    ensure_unlocked(trial=deviation.participant.trial, participant=deviation.participant)
    note = (note or "").strip()
    with transaction.atomic(), audit.context(actor=actor, reason=note or "deviation reviewed"):
        locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
        if locked.reviewed_at is not None and not note:
            raise Invalid("changing a review needs a note", fields={"note": ["Say why the review changes."]})
        locked.important = important
        locked.review_note = note
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["important", "review_note", "reviewed_by", "reviewed_at"])
        return locked
