"""Signing in with a password, through django-axes: lockout per account and per address.

Every check of a password goes through :func:`sign_in` (the token endpoint, the sign-in page, the
admin's sign-in) or :func:`password_confirm` (the password asked again to unblind). Both hand the
request to ``authenticate()``, which is what lets axes count a failure and refuse a locked account
or address (its ``AxesStandaloneBackend`` comes first in ``AUTHENTICATION_BACKENDS``). A wrong
one-time code counts as a failure too (:func:`sign_in_failed`).

After ``LOGIN_FAILURE_LIMIT`` failures within ``LOGIN_COOLOFF_MINUTES``, of one username or from one
address (as :func:`core.network.client_address` sees it), both are refused for the cool-off time,
even with the right password, with :class:`Locked` (403, code ``locked``); an administrator lifts it
sooner with :func:`account_unlock` (or ``manage.py unlock``), which is recorded.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from core import audit
from core.errors import Forbidden, Invalid
from core.models import AccountEvent

BAD_CREDENTIALS = "Unable to log in with the credentials given."


class Locked(Forbidden):
    """Too many failed sign-ins of this account or from this address: refused whatever the password."""

    code = "locked"

    def __init__(self):
        minutes = settings.LOGIN_COOLOFF_MINUTES
        super().__init__(
            f"Too many failed sign-ins: this account or this address is locked for {minutes} minutes "
            "after the last attempt. An administrator can unlock it sooner."
        )


def _attempt(request) -> HttpRequest:
    """The request axes records an attempt against: Django's own under a DRF request, or a bare one
    (no address: the account still counts) when a service is called without a request."""
    if request is None:
        request = HttpRequest()
        request.method = "POST"
    return getattr(request, "_request", request)


def sign_in(request, *, username: str, password: str):
    """The active user with these credentials.

    Raises :class:`Locked` when the account or address is locked (or this failure locks it), and
    :class:`Invalid` with one message for a wrong password, an unknown or an inactive user alike.
    """
    attempt = _attempt(request)
    user = authenticate(attempt, username=username, password=password)
    if getattr(attempt, "axes_locked_out", False):
        raise Locked()
    if user is None or not user.is_active:
        raise Invalid(
            "the username and password do not match an active account",
            fields={"non_field_errors": [BAD_CREDENTIALS]},
        )
    return user


def sign_in_failed(request, *, username: str) -> None:
    """Count a failed step after the password (a wrong one-time code); raises :class:`Locked` if it locks."""
    attempt = _attempt(request)
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=attempt)
    if getattr(attempt, "axes_locked_out", False):
        raise Locked()


def password_confirm(*, user, password: str, request=None) -> bool:
    """Whether ``password`` is ``user``'s, asked again before a grave step; a wrong one counts
    towards the lockout like a failed sign-in. Raises :class:`Locked` when locked."""
    if not password:
        return False
    attempt = _attempt(request)
    found = authenticate(attempt, username=user.get_username(), password=password)
    if getattr(attempt, "axes_locked_out", False):
        raise Locked()
    return found is not None and found.pk == user.pk


def is_locked(*, username: str, request=None) -> bool:
    """Whether a sign-in as ``username`` (from ``request``'s address) would be refused now."""
    return not AxesProxyHandler.is_allowed(_attempt(request), {"username": username})


def account_unlock(*, user, actor, reason: str) -> int:
    """Lift the lockout of ``user``'s account (every failure counted against its username); recorded
    with the reason. Returns how many records of failures were cleared."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("unlocking needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        cleared = AxesProxyHandler.reset_attempts(username=user.get_username())
        AccountEvent.objects.create(
            user=user, kind=AccountEvent.Kind.UNLOCKED, actor=actor, reason=reason, detail={"cleared": cleared}
        )
    return cleared


def address_unlock(*, address: str, actor, reason: str) -> int:
    """Lift the lockout of a client address (a site's shared connection, say); recorded with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("unlocking needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        cleared = AxesProxyHandler.reset_attempts(ip_address=address)
        AccountEvent.objects.create(
            kind=AccountEvent.Kind.UNLOCKED, actor=actor, reason=reason, detail={"address": address, "cleared": cleared}
        )
    return cleared


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """axes' answer to a locked-out request: the view's own (which says so in its own shape), or a plain 403."""
    if original_response is not None:
        return original_response
    return HttpResponse(Locked().message, status=403, content_type="text/plain; charset=utf-8")
