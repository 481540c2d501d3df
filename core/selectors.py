"""Reads of people and their roles: who the caller is, the people an administrator manages, their tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from core import permissions
from core.errors import NotFound
from core.models import ApiToken


def _with_memberships() -> QuerySet:
    return get_user_model().objects.prefetch_related("memberships__site__trial")


def user_with_memberships(*, pk: int):
    """A person with the roles they hold at which sites."""
    return _with_memberships().get(pk=pk)


def users_managed(*, user) -> QuerySet:
    """People holding a role in a trial ``user`` administers (everyone, for a superuser), by username."""
    users = _with_memberships().order_by("username")
    if user.is_superuser:
        return users
    return users.filter(memberships__site__trial_id__in=permissions.trials_administered(user)).distinct()


def user_get(*, pk: int):
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        raise NotFound("no such user")
    return user


def user_managed_get(*, user, pk: int):
    """A person ``user`` administers (404 for anyone else, as for no one)."""
    found = users_managed(user=user).filter(pk=pk).first()
    if found is None:
        raise NotFound("no such user")
    return found


def token_get(*, user, pk: int) -> ApiToken:
    """An API token of a person ``user`` administers (404 otherwise)."""
    found = ApiToken.objects.select_related("user").filter(pk=pk, user__in=users_managed(user=user)).first()
    if found is None:
        raise NotFound("no such token")
    return found
