"""Database lock and unblinding: the trial's (or one participant's) data locked and unlocked, the
whole trial unblinded for analysis, one participant unblinded in an emergency.

A data manager locks a trial (or one participant) with a reason; while the lock stands, every
service that changes clinical data refuses (409) through :func:`participants.guards.ensure_unlocked`.
Unlocking needs a reason too; both are audited. Unblinding the whole trial for analysis happens
only while the trial is locked, with a reason and the password again, and cannot be undone; from
then on the trial cannot be unlocked, and every member of the trial may see every factor.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import audit, login
from core.errors import Conflict, Invalid
from core.listeners import Listeners
from core.roles import (
    Role,
)
from participants.guards import active_lock, require_role
from participants.models import (
    Allocation,
    AnalysisUnblinding,
    DataLock,
    EmergencyUnblinding,
    Participant,
    StaffNotification,
)
from participants.notifications import unblinded_team
from participants.tasks import staff_notifications_queue

LOCKERS = frozenset({Role.DATA_MANAGER})
# Told ``trial=`` before a trial is unblinded for analysis; a listener that raises refuses it (the
# outcomes app refuses while the statistical analysis plan is not locked).
before_analysis_unblinding = Listeners()


def data_lock(*, actor, trial, reason: str, participant: Participant | None = None) -> DataLock:
    site = participant.site if participant is not None else None
    require_role(actor, LOCKERS, site=site, trial=None if site else trial, doing="lock data")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("locking needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        if active_lock(trial=trial, participant=participant) is not None:
            raise Conflict("already locked", code="locked")
        return DataLock.objects.create(trial=trial, participant=participant, reason=reason, locked_by=actor)


def data_unlock(*, actor, lock: DataLock, reason: str) -> DataLock:
    site = lock.participant.site if lock.participant_id else None
    require_role(actor, LOCKERS, site=site, trial=None if site else lock.trial, doing="unlock data")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("unlocking needs a reason", fields={"reason": ["This field is required."]})
    if lock.participant_id is None and AnalysisUnblinding.objects.filter(trial=lock.trial).exists():
        raise Conflict("the trial was unblinded for analysis: its data stay locked", code="unblinded")
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = DataLock.objects.select_for_update().get(pk=lock.pk)
        if locked.unlocked_at is not None:
            raise Conflict("this lock was already lifted", code="unlocked")
        locked.unlocked_at = timezone.now()
        locked.unlocked_by = actor
        locked.unlock_reason = reason
        locked.save(update_fields=["unlocked_at", "unlocked_by", "unlock_reason"])
        return locked


def ensure_reason_and_password(actor, reason: str, password: str, *, what: str, request=None) -> None:
    """Refuse (400, naming each field) an unblinding without a reason or with the wrong password.

    The password goes through the sign-in lockout (:func:`core.login.password_confirm`): a wrong one
    counts as a failed sign-in, and a locked account or address is refused (403) even with the right
    one. ``request`` (the API's) gives the address; without it the account alone counts.
    """
    problems: dict[str, list[str]] = {}
    if not (reason or "").strip():
        problems["reason"] = ["This field is required."]
    if not login.password_confirm(user=actor, password=password, request=request):
        problems["password"] = ["The password is not right."]
    if problems:
        raise Invalid(f"{what} needs a reason and your password", fields=problems)


def trial_unblind_for_analysis(*, actor, trial, reason: str, password: str, request=None) -> AnalysisUnblinding:
    require_role(actor, LOCKERS, trial=trial, doing="unblind the trial for analysis")
    ensure_reason_and_password(actor, reason, password, what="unblinding for analysis", request=request)
    if active_lock(trial=trial) is None:
        raise Conflict("lock the trial's data before unblinding it for analysis", code="not_locked")
    before_analysis_unblinding.tell(trial=trial)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        if AnalysisUnblinding.objects.filter(trial=trial).exists():
            raise Conflict("the trial is already unblinded for analysis", code="duplicate")
        return AnalysisUnblinding.objects.create(trial=trial, reason=reason.strip(), unblinded_by=actor)


# --- emergency unblinding -------------------------------------------------------------------------


def participant_unblind(
    *, actor, participant: Participant, reason: str, password: str, request=None
) -> EmergencyUnblinding:
    """Reveal one participant's allocation to ``actor`` in an emergency.

    Only roles the protocol allows, at the participant's site, with a reason and the actor's
    password entered again (within the sign-in lockout; ``request`` is the API's, for the address).
    The event is audited, the participant is flagged as unblinded, and a notification is queued for
    each member of the trial's unblinded team.
    """
    protocol = participant.trial.version_on().protocol
    require_role(
        actor, protocol.unblinding.emergency_roles, site=participant.site, doing="unblind participants at this site"
    )
    ensure_reason_and_password(actor, reason, password, what="unblinding", request=request)
    if not Allocation.objects.filter(participant=participant).exists():
        raise Conflict("the participant is not randomised", code="not_randomised")
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        event = EmergencyUnblinding.objects.create(participant=participant, requested_by=actor, reason=reason.strip())
        for member in unblinded_team(participant.trial):
            StaffNotification.objects.create(
                recipient=member,
                kind="emergency_unblinding",
                subject=f"{participant.trial.code}: emergency unblinding of {participant.study_id}",
                body=(
                    f"{actor.get_username()} unblinded participant {participant.study_id} at site "
                    f"{participant.site.code} on {event.created_at:%Y-%m-%d %H:%M} UTC.\nReason: {event.reason}"
                ),
            )
    staff_notifications_queue()
    return event
