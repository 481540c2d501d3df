"""Reads of randomisation: the allocation lists and their slots (the unblinded statistician's only),
a participant's allocation, and the count of participants per arm as the user may see it."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from core import permissions
from core.errors import Forbidden, NotFound
from core.roles import MANAGE_RANDOMISATION_LIST
from participants import blinding
from participants.models import Allocation, ListSlot, Participant
from trials.models import ArmLevel
from trials.selectors import trial_get


def allocation_get(*, participant: Participant) -> Allocation:
    """The participant's allocation (show it through the blinding presenter), or a 404."""
    allocation = Allocation.objects.filter(participant=participant).select_related("arm").first()
    if allocation is None:
        raise NotFound("the participant is not randomised")
    allocation.participant = participant  # as the caller loaded it, its site and trial at hand
    return allocation


def statistician_trial(*, user, code: str):
    """The trial named ``code``, for one who may manage its allocation lists (403 otherwise)."""
    trial = trial_get(user=user, code=code)
    if not permissions.has_role(user, MANAGE_RANDOMISATION_LIST, trial=trial):
        raise Forbidden("only the unblinded statistician may see or change allocation lists")
    return trial


def _strata_of_sites(user, trial, *, prefix: str = "") -> Q:
    """The lists of the strata at the sites where ``user`` manages the allocation lists (a stratum's
    name begins with its site, ``site=exeter|sex=F``): at another site they may be blinded."""
    codes = trial.sites.filter(pk__in=permissions.site_ids(user, trial=trial, roles=MANAGE_RANDOMISATION_LIST))
    where = Q(pk__in=[])
    for code in codes.values_list("code", flat=True):
        where |= Q(**{f"{prefix}stratum": f"site={code}"}) | Q(**{f"{prefix}stratum__startswith": f"site={code}|"})
    return where


def list_summaries(*, user, trial) -> list[dict]:
    """Each stratum's list at the user's sites: its blocks, slots, slots used and fingerprint."""
    lists = (
        trial.randomisation_lists.filter(_strata_of_sites(user, trial))
        .annotate(
            n_slots=Count("slots", distinct=True), n_used=Count("slots", filter=Q(slots__allocation__isnull=False))
        )
        .order_by("stratum")
    )
    return [
        {"stratum": r.stratum, "blocks": r.blocks, "slots": r.n_slots, "used": r.n_used, "fingerprint": r.fingerprint}
        for r in lists
    ]


def slots_of(*, user, trial) -> QuerySet[ListSlot]:
    """Every slot of the lists of the strata at the sites where ``user`` manages the lists, by stratum
    and position, with ``study_id`` of the participant who took it (None while free)."""
    return (
        ListSlot.objects.filter(list__trial=trial)
        .filter(_strata_of_sites(user, trial, prefix="list__"))
        .select_related("list", "arm")
        .annotate(study_id=F("allocation__participant__study_id"))
        .order_by("list__stratum", "position")
    )


def allocation_counts(*, user, trial) -> list[dict]:
    """Randomised participants at the user's sites per group of the factor levels they may see at
    every one of those sites; one group without levels (the total) when they see none."""
    visible = sorted(blinding.factors_visible_everywhere(user=user, trial=trial))
    allocations = Allocation.objects.filter(
        participant__trial=trial, participant__site_id__in=permissions.site_ids(user, trial=trial)
    )
    if not visible:
        return [{"group": {}, "participants": allocations.count()}]
    per_arm = dict(allocations.values_list("arm_id").annotate(n=Count("pk")))
    levels: dict[int, dict[str, str]] = {}
    for al in ArmLevel.objects.filter(arm__trial=trial).select_related("level__factor"):
        if al.level.factor.code in visible:
            levels.setdefault(al.arm_id, {})[al.level.factor.code] = al.level.code
    groups: dict[tuple, int] = {}
    for arm_id, group in levels.items():
        key = tuple(sorted(group.items()))
        groups[key] = groups.get(key, 0) + per_arm.get(arm_id, 0)
    return [{"group": dict(key), "participants": n} for key, n in sorted(groups.items())]
