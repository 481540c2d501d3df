"""Writes about people: adding users and granting or revoking their roles at sites."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from core import audit, permissions
from core.errors import Conflict, Invalid
from core.models import RoleDefinition, SiteMembership, site_model, trial_model


@dataclass(frozen=True)
class Grant:
    """A role at a site, named by codes: ``Grant(trial="KARE", site="exeter", role="coordinator")``."""

    trial: str
    site: str
    role: str


def sites_for(*, trial: str | None, sites: list[str]) -> list:
    """Resolve site codes (in one trial, or unique across trials) or every site of a trial.

    Raises :class:`Invalid` naming any unknown or ambiguous code.
    """
    Site, Trial = site_model(), trial_model()
    if trial is not None and not Trial.objects.filter(code=trial).exists():
        raise Invalid(f"unknown trial {trial!r}", fields={"trial": [f"Unknown trial {trial!r}."]})
    if not sites:
        if trial is None:
            raise Invalid("name a trial or at least one site", fields={"site": ["Name a trial or a site."]})
        return list(Site.objects.filter(trial__code=trial))
    found: list = []
    problems: list[str] = []
    for code in sites:
        matches = Site.objects.filter(code=code)
        if trial is not None:
            matches = matches.filter(trial__code=trial)
        matches = list(matches.select_related("trial"))
        if not matches:
            problems.append(f"Unknown site {code!r}" + (f" in {trial}." if trial else "."))
        elif len(matches) > 1:
            problems.append(
                f"Site {code!r} is in several trials ({', '.join(s.trial.code for s in matches)}): name the trial."
            )
        else:
            found.append(matches[0])
    if problems:
        raise Invalid(problems[0], fields={"site": problems})
    return found


def _role(code: str) -> RoleDefinition:
    role = RoleDefinition.objects.filter(code=code).first()
    if role is None:
        known = ", ".join(RoleDefinition.objects.values_list("code", flat=True))
        raise Invalid(f"unknown role {code!r}", fields={"role": [f"Unknown role {code!r}; known: {known}."]})
    return role


def user_create(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    role: str,
    sites: list,
    actor=None,
    reason: str = "user added",
):
    """Add a person with one role at the given sites.

    With ``password`` it is checked by the password validators and set; without, the account has
    no usable password until its owner follows a set-password link (:func:`set_password_link`).
    A username already taken is a :class:`Conflict`.
    """
    User = get_user_model()
    username = (username or "").strip()
    if not username:
        raise Invalid("a username is needed", fields={"username": ["This field is required."]})
    role_obj = _role(role)
    if not sites:
        raise Invalid("name at least one site", fields={"sites": ["At least one site is needed."]})
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise Invalid("the user is not valid", fields=exc.message_dict) from None
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise Invalid("the password is too weak", fields={"password": exc.messages}) from None
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        if User.objects.select_for_update().filter(username__iexact=username).exists():
            raise Conflict(f"the username {username!r} is taken", code="duplicate")
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        for site in sites:
            SiteMembership.objects.create(user=user, site=site, role=role_obj)
    return user


def membership_grant(*, user, role: str, sites: list, actor=None, reason: str = "role granted") -> list[SiteMembership]:
    """Give ``user`` a role at each site; a role already held is left as it is."""
    role_obj = _role(role)
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        granted = [SiteMembership.objects.get_or_create(user=user, site=site, role=role_obj)[0] for site in sites]
    permissions.forget(user)
    return granted


def membership_revoke(*, membership: SiteMembership, actor=None, reason: str) -> None:
    if not reason.strip():
        raise Invalid("revoking a role needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        membership.delete()
    permissions.forget(membership.user)


def set_password_link(user, *, base_url: str) -> str:
    """A one-time link to set the password (it stops working once a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url.rstrip('/')}/accounts/reset/{uid}/{token}/"


def token_for(*, user) -> Token:
    """The API token of ``user``, made on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token
