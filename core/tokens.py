"""API tokens that end: issued, looked up and listed here (revoked by ``token_revoke`` in
:mod:`core.services`; the model is :class:`core.models.ApiToken`).

A key is shown once, when it is issued; the database keeps its SHA-256 digest. A token is refused
once it has expired, been revoked, or its owner's password has changed since it was issued.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.models import ApiToken


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _password_stamps(user) -> list[str]:
    """The keyed hash of the user's password now (and under the fallback secret keys, during a rotation)."""
    return [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]


def token_issue(*, user, second_factor: bool, address: str | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``, ending ``API_TOKEN_HOURS`` from now; returns it with its key (shown once)."""
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        digest=_digest(key),
        prefix=key[:8],
        expires_at=timezone.now() + dt.timedelta(hours=settings.API_TOKEN_HOURS),
        address=address,
        second_factor=second_factor,
        password_stamp=user.get_session_auth_hash(),
    )
    return token, key


def token_problem(token: ApiToken, *, now: dt.datetime | None = None) -> str | None:
    """Why ``token`` may no longer be used (None while it may)."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return "The token was revoked."
    if token.expires_at <= now:
        return "The token has expired: ask for a new one."
    if not token.user.is_active:
        return "The account is inactive."
    if not any(constant_time_compare(token.password_stamp, stamp) for stamp in _password_stamps(token.user)):
        return "The password changed since the token was issued: ask for a new one."
    return None


def token_find(key: str) -> ApiToken | None:
    """The token whose key is ``key`` (used or not), with its owner."""
    return ApiToken.objects.select_related("user").filter(digest=_digest(key)).first()


def tokens_live(*, users) -> list[ApiToken]:
    """The tokens of ``users`` (a queryset) that may still be used, newest first."""
    now = timezone.now()
    candidates = ApiToken.objects.filter(user__in=users, revoked_at__isnull=True, expires_at__gt=now)
    return [token for token in candidates.select_related("user") if token_problem(token, now=now) is None]
