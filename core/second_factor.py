"""The second factor: a time-based one-time code (TOTP, django-otp), who needs one, enrolling, resetting.

Administrators, superusers and everyone holding a role that may see a factor in some trial (a role
in a factor's ``visible_to`` of the protocol in force) need one; so does everyone when the site
sets ``SECOND_FACTOR_FOR_ALL`` or a trial's protocol sets ``access.second_factor_for_all`` for its
members. Others may enrol one, and once enrolled it is asked of them too.

Enrolling is two steps, services in :mod:`core.services`: ``totp_enrol`` makes an unconfirmed
device and gives its secret (as an ``otpauth://`` URI for an authenticator app), ``totp_confirm``
confirms it with a first code. Only an administrator resets someone's device (``totp_reset``, with
a reason; never their own). Each step is an :class:`~core.models.AccountEvent`.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import permissions
from core.roles import Role

DEVICE_NAME = "authenticator"


def required_for(user) -> bool:
    """Whether ``user`` must give a one-time code to sign in."""
    if settings.SECOND_FACTOR_FOR_ALL or user.is_superuser or user.is_staff:
        return True
    held_by_trial: dict = {}
    for membership in permissions.memberships(user):
        held_by_trial.setdefault(membership.site.trial, set()).add(membership.role_id)
    for trial, held in held_by_trial.items():
        if Role.ADMINISTRATOR.value in held:
            return True
        protocol = trial.version_on().protocol
        if protocol.access.second_factor_for_all:
            return True
        if any(held & set(factor.visible_to) for factor in protocol.factors):
            return True
    return False


def device_of(user) -> TOTPDevice | None:
    """The user's confirmed TOTP device, if they have one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolling_device_of(user) -> TOTPDevice | None:
    """The device of an enrolment started and not yet confirmed."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def secret_of(device: TOTPDevice) -> str:
    """The device's secret in base 32, as authenticator apps take it typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_verify(*, user, code: str) -> TOTPDevice | None:
    """The confirmed device that accepts ``code`` (each code once), or None.

    django-otp slows repeated failures down on the device itself; callers count a failure towards
    the lockout too (:func:`core.login.sign_in_failed`).
    """
    device = device_of(user)
    if device is None or not code:
        return None
    return verify_token(user, device.persistent_id, digits(code))


def digits(code: str) -> str:
    return "".join((code or "").split())
