"""Reads of a participant's casebook: everything its page shows, loaded in a fixed number of queries
whatever the number of appointments, events and audit records.

What could reveal a factor is not decided here: the allocation is handed over as it is stored, for
the page to show through :func:`participants.blinding.present`, and the audit history comes from
:func:`participants.enrolment.selectors.participant_history`, which leaves out what the reader is
blinded to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.clock import today_at
from core.db import one_to_one
from core.errors import Forbidden
from participants.enrolment.selectors import identity_get, participant_history, participant_loaded
from participants.models import AdverseEvent, Allocation, Appointment, Deviation, Identity, Participant
from participants.safety.selectors import adverse_events_of, deviations_of
from participants.schedule.selectors import appointments_of


@dataclass(frozen=True)
class Casebook:
    participant: Participant
    today: dt.date
    allocation: Allocation | None
    identity: Identity | None  # None for a reader whose roles here do not include identities
    appointments: list[Appointment]
    adverse_events: list[AdverseEvent]
    deviations: list[Deviation]
    history: list[dict]


def casebook_get(*, user, study_id: str, trial_code: str | None = None, per_site: dict | None = None) -> Casebook:
    """The casebook of the participant ``study_id`` at one of the user's sites (a 404 otherwise).
    ``per_site``, the request's dict of blinding decisions (see :func:`participants.blinding.present`),
    is filled here for the page to present the allocation without deciding again."""
    participant = participant_loaded(user=user, study_id=study_id, trial_code=trial_code)
    try:
        identity = identity_get(user=user, participant=participant)
    except (Forbidden, Identity.DoesNotExist):  # a participant brought in from before may have none
        identity = None
    return Casebook(
        participant=participant,
        today=today_at(participant.site),
        allocation=one_to_one(participant, "allocation"),
        identity=identity,
        appointments=list(appointments_of(participant=participant)),
        adverse_events=list(adverse_events_of(participant=participant).order_by("onset_date", "pk")),
        deviations=list(deviations_of(participant=participant).order_by("occurred_on", "pk")),
        history=participant_history(user=user, participant=participant, per_site=per_site),
    )
