"""Questionnaires: one administration of an instrument, entered item by item.

The instruments, their items' ranges and how a total is derived are in
:mod:`outcomes.instruments`; the service stores the items as entered and the total it derives.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core import audit
from core.clock import today_at
from core.errors import Invalid
from core.roles import ENTER_DATA
from outcomes import instruments
from outcomes.models import QuestionnaireResponse
from participants.guards import (
    earliest_record,
    ensure_may_enter_data,
    ensure_unlocked,
    require_blinded,
    require_role,
)
from participants.models import Participant


def questionnaire_record(
    *, actor, participant: Participant, instrument: str, administered_on: dt.date, items: dict, visit_code: str = ""
) -> QuestionnaireResponse:
    """Record one administration item by item; the total is derived (prorated with at most 2
    missing items, none with more). Refused: an unknown instrument, an item out of range, an
    unknown item, a future date."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="enter outcome data")
    ensure_unlocked(trial=participant.trial, participant=participant)
    ensure_may_enter_data(participant)
    spec = instruments.INSTRUMENTS.get(instrument)
    if spec is None:
        raise Invalid(
            "unknown instrument", fields={"instrument": [f"Choose one of: {', '.join(instruments.INSTRUMENTS)}."]}
        )
    clean, problems = instruments.check_items(spec, items)
    if administered_on > today_at(participant.site):
        problems["administered_on"] = ["The date cannot be in the future."]
    elif administered_on < (earliest := earliest_record(participant)):
        problems["administered_on"] = [f"Give a date from {earliest} on."]
    if problems:
        raise Invalid("the questionnaire is not valid", fields=problems)
    value, missing, prorated = instruments.total(spec, clean)
    with transaction.atomic(), audit.context(actor=actor, reason="questionnaire recorded"):
        return QuestionnaireResponse.objects.create(
            participant=participant,
            instrument=instrument,
            administered_on=administered_on,
            visit_code=visit_code,
            items=clean,
            missing_items=missing,
            total=value,
            prorated=prorated,
            entered_by=actor,
        )
