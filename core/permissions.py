"""Who may see and do what: roles held at sites, in one place.

Everything a person may see is scoped by the sites they hold a role at; querysets filter on
:func:`site_ids` (lists are scoped in the query, not only by object checks). Being a superuser
adds nothing here: a superuser holds the roles of their memberships and no other, so sees and does
in the API what those allow (nothing, without any). What anyone may see of an allocation is decided
by the protocol's factor visibility and their roles alone.
"""

from __future__ import annotations

from collections.abc import Iterable

import rules
from rest_framework.permissions import BasePermission

from core.models import SiteMembership
from core.roles import MANAGE_PEOPLE, MANAGE_PROTOCOL, Role


def memberships(user) -> list[SiteMembership]:
    """The roles ``user`` holds at sites (with each site and its trial), remembered for the request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = list(SiteMembership.objects.filter(user=user).select_related("site__trial"))
        user._membership_cache = cache
    return cache


def forget(user) -> None:
    """Drop the per-request cache of a user's memberships (after granting or revoking one)."""
    if hasattr(user, "_membership_cache"):
        del user._membership_cache


def site_ids(user, *, trial=None, roles: Iterable[str] | None = None) -> set[int]:
    """Ids of the sites where ``user`` holds a role (one of ``roles`` when given)."""
    wanted = set(roles) if roles is not None else None
    return {
        m.site_id
        for m in memberships(user)
        if (trial is None or m.site.trial_id == getattr(trial, "pk", trial)) and (wanted is None or m.role_id in wanted)
    }


def trial_ids(user) -> set[int]:
    """Ids of the trials where ``user`` holds a role at some site (a superuser holds none by being one)."""
    return {m.site.trial_id for m in memberships(user)}


def roles(user, *, site=None, trial=None) -> set[str]:
    """The roles ``user`` holds at ``site``, or at any site of ``trial``, or anywhere."""
    site_id = getattr(site, "pk", site)
    trial_id = getattr(trial, "pk", trial)
    return {
        m.role_id
        for m in memberships(user)
        if (site_id is None or m.site_id == site_id) and (trial_id is None or m.site.trial_id == trial_id)
    }


def has_role(user, wanted: Iterable[str], *, site=None, trial=None) -> bool:
    return bool(roles(user, site=site, trial=trial) & {str(r) for r in wanted})


def trials_administered(user) -> set[int]:
    """Ids of the trials where ``user`` holds the administrator role at some site."""
    return {m.site.trial_id for m in memberships(user) if m.role_id == Role.ADMINISTRATOR.value}


@rules.predicate
def is_administrator(user) -> bool:
    return has_role(user, MANAGE_PEOPLE)


@rules.predicate
def may_manage_protocol(user) -> bool:
    return has_role(user, MANAGE_PROTOCOL)


@rules.predicate
def is_trial_member(user, trial) -> bool:
    return trial is not None and trial.pk in trial_ids(user)


rules.add_perm("trialtracker.manage_people", is_administrator)
rules.add_perm("trials.manage_protocol", may_manage_protocol)
rules.add_perm("trials.view_trial", is_trial_member)


class IsAdministrator(BasePermission):
    message = "Only administrators may manage people and their roles."

    def has_permission(self, request, view) -> bool:
        # The predicate itself: Django's has_perm answers True to any superuser.
        return bool(request.user and is_administrator(request.user))
