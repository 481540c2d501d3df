"""Reads of the database locks at the user's sites (another site's lock is a 404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core import permissions
from core.errors import NotFound
from participants.locks.services import LOCKERS
from participants.models import DataLock


def locks_of(*, user, trial) -> QuerySet[DataLock]:
    """The trial's locks, active and lifted: the trial-wide ones and those of participants at the
    user's sites."""
    return trial.locks.select_related("participant", "locked_by").filter(
        Q(participant__isnull=True) | Q(participant__site_id__in=permissions.site_ids(user))
    )


def lock_get(*, user, pk: int) -> DataLock:
    lock = (
        DataLock.objects.filter(pk=pk, trial_id__in=permissions.trial_ids(user))
        .select_related("trial", "participant__site", "locked_by")
        .first()
    )
    if lock is None or (lock.participant_id and lock.participant.site_id not in permissions.site_ids(user)):
        raise NotFound("no such lock")
    return lock


def may_lock(*, user, trial) -> bool:
    """Whether ``user`` holds a role that locks and unlocks ``trial``'s data (the services decide
    again, site by site, when they are asked)."""
    return permissions.has_role(user, LOCKERS, trial=trial)
