"""Reads of trials and their protocols, scoped to the trials a user belongs to."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core import history, permissions
from core.errors import Forbidden, Invalid, NotFound
from core.roles import Role
from trials.models import Arm, ArmLevel, Factor, Level, ProtocolVersion, Site, Trial

HISTORY_READERS = frozenset(
    {Role.DATA_MANAGER, Role.MONITOR, Role.ADMINISTRATOR, Role.INVESTIGATOR, Role.UNBLINDED_STATISTICIAN}
)


def trials_visible(*, user) -> QuerySet[Trial]:
    return Trial.objects.filter(pk__in=permissions.trial_ids(user)).order_by("code")


def trial_get(*, user, code: str) -> Trial:
    """The trial with ``code`` if ``user`` belongs to it; a 404 otherwise (never a hint it exists)."""
    trial = trials_visible(user=user).filter(code=code).first()
    if trial is None:
        raise NotFound(f"no trial {code!r}")
    return trial


def version_get(*, trial: Trial, number: int | None = None) -> ProtocolVersion:
    versions = trial.versions.all()
    version = trial.version_on() if number is None else versions.filter(number=number).first()
    if version is None:
        raise NotFound(f"{trial.code} has no version {number}")
    return version


def sites_visible(*, user, trial: Trial) -> QuerySet[Site]:
    if permissions.has_role(user, {Role.ADMINISTRATOR}, trial=trial):
        return trial.sites.all()
    return trial.sites.filter(pk__in=permissions.site_ids(user, trial=trial))


def protocol_history(*, user, trial: Trial) -> list[dict]:
    """Audit events of the trial's protocol records (the trial, versions, sites, factors, arms)."""
    if not permissions.has_role(user, HISTORY_READERS, trial=trial):
        raise Forbidden("your roles in this trial do not include reading its audit trail")
    return history.events_for(
        [
            (Trial, Q(pgh_obj_id=trial.pk)),
            (ProtocolVersion, Q(trial_id=trial.pk)),
            (Site, Q(trial_id=trial.pk)),
            (Factor, Q(trial_id=trial.pk)),
            (Level, Q(factor_id__in=list(Factor.objects.filter(trial=trial).values_list("pk", flat=True)))),
            (Arm, Q(trial_id=trial.pk)),
            (ArmLevel, Q(arm_id__in=list(Arm.objects.filter(trial=trial).values_list("pk", flat=True)))),
        ]
    )


def site_of_trial(*, user, trial_code: str, site_code: str) -> Site:
    """A site of the trial among the user's sites; an unknown one is a 400 naming the field."""
    site = (
        Site.objects.filter(trial__code=trial_code, code=site_code, pk__in=permissions.site_ids(user))
        .select_related("trial")
        .first()
    )
    if site is None:
        raise Invalid("unknown site", fields={"site": [f"No site {site_code!r} of {trial_code} among your sites."]})
    return site
