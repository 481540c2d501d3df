"""Recording a therapy or education session at a visit."""

from __future__ import annotations

from django.db import transaction

from core import audit
from core.errors import Conflict, Invalid
from participants import blinding
from participants.models import (
    Appointment,
    TherapySession,
    Visit,
)
from participants.schedule import selectors as schedule_selectors
from participants.schedule.services.visits import ensure_may_record


def session_record(
    *, actor, appointment: Appointment, session_number: int, attended: bool, minutes: int, therapist=None
) -> TherapySession:
    """Record a therapy or education session at a visit whose event includes one; a session
    attended needs the visit attended (409 otherwise)."""
    ensure_may_record(actor, appointment)
    participant = appointment.participant
    protocol = schedule_selectors.protocol_of(appointment)
    if protocol.therapy is None:
        raise Conflict("the protocol has no psychological sessions", code="no_sessions")
    event = next((e for e in protocol.schedule if e.code == appointment.event_code), None)
    if event is None or "psychological_session" not in event.procedures:
        raise Conflict("this appointment has no psychological session", code="not_a_session")
    visit = Visit.objects.filter(appointment=appointment).first()
    if visit is None:
        raise Conflict("record the visit before its session", code="no_visit")
    if attended and not visit.attended:
        raise Conflict("the visit was missed: its session cannot have been attended", code="visit_missed")
    allocation = schedule_selectors.allocation_of(participant)
    if allocation is None:
        raise Conflict("the participant is not randomised", code="not_randomised")
    level = blinding.arm_levels(allocation)[protocol.therapy.factor]
    programme = next(p for p in protocol.therapy.programmes if p.level == level)
    problems: dict[str, list[str]] = {}
    # The programmes look alike (the protocol requires it), so quoting the limits reveals nothing.
    if not (1 <= session_number <= programme.sessions):
        problems["session_number"] = [f"Give a session number from 1 to {programme.sessions}."]
    if not (0 <= minutes <= programme.minutes * 2):
        problems["minutes"] = [f"Give 0 to {programme.minutes * 2} minutes."]
    if attended and minutes == 0:
        problems["minutes"] = ["An attended session lasts more than 0 minutes."]
    if not attended and minutes:
        problems["minutes"] = ["A session not attended has 0 minutes."]
    if problems:
        raise Invalid("the session is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="session recorded"):
        Visit.objects.select_for_update().get(pk=visit.pk)
        if TherapySession.objects.filter(visit=visit).exists():
            raise Conflict("this session is already recorded", code="duplicate")
        if TherapySession.objects.filter(
            visit__appointment__participant=participant, session_number=session_number
        ).exists():
            raise Conflict(f"session {session_number} is already recorded for this participant", code="duplicate")
        return TherapySession.objects.create(
            visit=visit,
            session_number=session_number,
            attended=attended,
            minutes=minutes,
            therapist=therapist,
            recorded_by=actor,
        )
