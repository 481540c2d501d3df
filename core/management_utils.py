"""Helpers shared by management commands: who is acting, and turning refusals into exits."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def actor_from_option(username: str | None):
    """The user a command acts as (``--as USERNAME``), or None for the system itself."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"no active user {username!r}")
    return user
