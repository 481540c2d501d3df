"""The infusion day recorded at once: the visit, the infusion with its vitals and the session.

A coordinator enters the day in one form; either all of it is recorded or none of it is, so a
refused infusion never leaves a visit behind that would then block the form as "already recorded".
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from core.errors import DomainError
from participants.models import Appointment, InfusionSession
from participants.schedule.services.infusions import infusion_record
from participants.schedule.services.sessions import session_record
from participants.schedule.services.visits import visit_record


def _prefixed(error: DomainError, part: str) -> DomainError:
    """The same refusal with its field paths named by the part of the day they belong to."""
    fields = {f"{part}.{path}": messages for path, messages in error.fields.items()}
    return type(error)(error.message, fields=fields, code=error.code)


def infusion_day_record(
    *,
    actor,
    appointment: Appointment,
    visit_date: dt.date | None,
    infusion: dict[str, Any],
    session: dict[str, Any] | None = None,
) -> InfusionSession:
    """Record the infusion day of ``appointment`` in one transaction, through the same services as
    each part alone: the visit as attended on ``visit_date`` (None when it is already recorded), the
    infusion (``infusion`` holds :func:`infusion_record`'s arguments) and, when given, the session
    (:func:`session_record`'s). A refusal of any part writes nothing; its fields are named
    ``visit.<field>`` and ``session.<field>`` for those parts, as the infusion service names its own.
    """
    with transaction.atomic():
        if visit_date is not None:
            try:
                visit_record(actor=actor, appointment=appointment, actual_date=visit_date, attended=True, seen_by=actor)
            except DomainError as error:
                raise _prefixed(error, "visit") from error
        recorded = infusion_record(actor=actor, appointment=appointment, **infusion)
        if session is not None:
            try:
                session_record(actor=actor, appointment=appointment, **session)
            except DomainError as error:
                raise _prefixed(error, "session") from error
    return recorded
