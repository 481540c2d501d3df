"""Reads of people and their roles: who the caller is, the people an administrator manages, their
tokens, and the requests for roles that administrators decide."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from core import permissions
from core.errors import NotFound
from core.models import ApiToken, RequestState, RoleRequest


def _with_memberships() -> QuerySet:
    return get_user_model().objects.prefetch_related("memberships__site__trial")


def user_with_memberships(*, pk: int):
    """A person with the roles they hold at which sites."""
    return _with_memberships().get(pk=pk)


def users_managed(*, user) -> QuerySet:
    """People holding or asked a role in a trial ``user`` administers, by username (a superuser
    administers no trial by being one)."""
    users = _with_memberships().order_by("username")
    administered = permissions.trials_administered(user)
    return users.filter(
        Q(memberships__site__trial_id__in=administered) | Q(role_requests__trial_id__in=administered)
    ).distinct()


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


def role_requests_visible(*, user) -> QuerySet[RoleRequest]:
    """Requests for roles in the trials ``user`` administers: the pending first, then the newest."""
    return (
        RoleRequest.objects.filter(trial_id__in=permissions.trials_administered(user))
        .select_related("user", "role", "trial", "requested_by", "decided_by")
        .prefetch_related("request_sites__site")
        .annotate(
            _decided=Case(
                When(state=RequestState.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("_decided", "-requested_at", "-pk")
    )


def role_request_get(*, user, pk: int) -> RoleRequest:
    """A request in a trial ``user`` administers; a 404 otherwise (never a hint it exists)."""
    request = role_requests_visible(user=user).filter(pk=pk).first()
    if request is None:
        raise NotFound("no such request")
    return request
