"""The checks a service runs before it writes: the actor's role, and whether a participant's data
may be entered at all.

Every service that records clinical data calls :func:`require_role` (403 otherwise) and
:func:`ensure_may_enter_data` (409: the data are locked, the participant withdrew consent for data
use, or must re-consent to a new form). They sit below the services that use them, and below the
data lock's own services (:mod:`participants.locks`), so that none of those modules imports another
in a loop.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from core import permissions
from core.errors import Conflict, Forbidden
from participants.models import (
    Allocation,
    AnalysisUnblinding,
    Consent,
    DataLock,
    Participant,
    Withdrawal,
    WithdrawalScope,
)


def require_role(actor, roles, *, site=None, trial=None, doing: str) -> None:
    """Refuse with :class:`Forbidden` unless ``actor`` holds one of ``roles`` at ``site``/``trial``."""
    if actor is None or not permissions.has_role(actor, roles, site=site, trial=trial):
        raise Forbidden(f"your roles here do not allow you to {doing}")


def consent_is_current(participant: Participant, *, on: dt.date | None = None) -> bool:
    """True when the participant consented to the consent form version now in force."""
    current = participant.trial.version_on(on).protocol.current_consent_form().version
    if "consents" in getattr(participant, "_prefetched_objects_cache", {}):
        return any(c.form_version == current for c in participant.consents.all())
    return participant.consents.filter(form_version=current).exists()


def ensure_may_enter_data(participant: Participant) -> None:
    """Refuse (409) further data entry for a participant whose data are locked, who must re-consent
    or who withdrew consent for data use.

    Every service that records clinical data calls this: three EXISTS queries (cheaper to build
    than one query combining them) after the version in force, which the trial instance remembers.
    """
    current = participant.trial.version_on().protocol.current_consent_form().version
    locks = DataLock.objects.filter(trial_id=participant.trial_id, unlocked_at__isnull=True)
    if locks.filter(Q(participant__isnull=True) | Q(participant_id=participant.pk)).exists():
        ensure_unlocked(trial=participant.trial, participant=participant)  # raises, naming the lock
    if Withdrawal.objects.filter(participant_id=participant.pk, scope=WithdrawalScope.DATA_USE).exists():
        raise Conflict("the participant withdrew consent for further data use", code="withdrawn")
    if not Consent.objects.filter(participant_id=participant.pk, form_version=current).exists():
        raise Conflict(
            "the consent form has a new version: re-consent before further data entry", code="reconsent_required"
        )


def anchor_date(participant: Participant) -> dt.date | None:
    """The participant's anchor (study day 1): the randomisation date; None before randomisation."""
    allocation = Allocation.objects.filter(participant=participant).only("allocated_on").first()
    return allocation.allocated_on if allocation else None


# --- the data lock ------------------------------------------------------------------------------


def active_lock(*, trial, participant: Participant | None = None) -> DataLock | None:
    """The lock that stops changes to ``participant`` (or to the trial as a whole), if any."""
    locks = DataLock.objects.filter(trial=trial, unlocked_at__isnull=True)
    if participant is None:
        return locks.filter(participant__isnull=True).first()
    # One query; a trial-wide lock (no participant) sorts first.
    return (
        locks.filter(Q(participant__isnull=True) | Q(participant=participant))
        .order_by(F("participant").asc(nulls_first=True))
        .first()
    )


def ensure_unlocked(*, trial, participant: Participant | None = None) -> None:
    """Refuse (409) a change to locked data, naming the lock's reason."""
    lock = active_lock(trial=trial, participant=participant)
    if lock is not None:
        what = "the trial's data are" if lock.participant_id is None else "this participant's data are"
        raise Conflict(f"{what} locked ({lock.reason}); a data manager must unlock them first", code="locked")


def is_unblinded_for_analysis(trial) -> bool:
    """True once the whole trial was unblinded for analysis (which only a locked trial can be)."""
    return AnalysisUnblinding.objects.filter(trial=trial).exists()
