"""Writes about people: adding users, granting or revoking their roles at sites, the requests for
roles that a second administrator decides, enrolling and resetting their second factor, revoking
their API tokens. The lockout's own writes (failures, unlocking) are in :mod:`core.login`.

Separation of duties: nobody grants a role to themselves, and a grant of a role that sees a factor
of the protocol in force, or of the administrator's role, is a :class:`~core.models.RoleRequest`
that another administrator of the trial approves or refuses (:func:`membership_request`). The
API and the admin ask through :func:`membership_request` and :func:`user_add`; the direct writes
:func:`user_create` and :func:`membership_grant` are for whoever operates the server (``manage.py
add_user``) and for the approval itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import audit, events, permissions, usernames
from core.errors import Conflict, Forbidden, Invalid
from core.models import (
    AccountEvent,
    ApiToken,
    RequestState,
    RoleDefinition,
    RoleRequest,
    RoleRequestSite,
    SiteMembership,
    site_model,
    trial_model,
)
from core.roles import MANAGE_PEOPLE, Role
from core.second_factor import DEVICE_NAME, digits


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
    role: str | None,
    sites: list,
    actor=None,
    reason: str = "user added",
):
    """Add a person with one role at the given sites (``role`` None: with no role yet).

    The role is granted directly, whatever it is: this is how whoever operates the server sets up
    the first accounts (``manage.py add_user``). Administrators add people through
    :func:`user_add`, which asks for a role that needs approval instead.
    With ``password`` it is checked by the password validators and set; without, the account has
    no usable password until its owner follows a set-password link (:func:`set_password_link`).
    A username already taken (in any case) is a :class:`Conflict`; one that mixes alphabets or looks
    like an existing one (:mod:`core.usernames`) is :class:`Invalid`. The name is stored NFKC-normalised.
    """
    User = get_user_model()
    username = usernames.normalise(username)
    if not username:
        raise Invalid("a username is needed", fields={"username": ["This field is required."]})
    role_obj = _role(role) if role is not None else None
    if role_obj is not None and not sites:
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
        problems = usernames.problems(username, existing=User.objects.values_list("username", flat=True).iterator())
        if problems:
            raise Invalid("the username could be mistaken for another", fields={"username": problems})
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save()
        for site in sites if role_obj is not None else ():
            SiteMembership.objects.create(user=user, site=site, role=role_obj)
    return user


def membership_grant(*, user, role: str, sites: list, actor=None, reason: str = "role granted") -> list[SiteMembership]:
    """Give ``user`` a role at each site at once; a role already held is left as it is.

    The direct write, for whoever operates the server and for :func:`role_request_approve`;
    administrators ask through :func:`membership_request`. Refuses (403) a grant to oneself.
    """
    _refuse_self(user=user, actor=actor)
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


# --- separation of duties: requests for roles ------------------------------------------------------


def _refuse_self(*, user, actor) -> None:
    if actor is not None and getattr(actor, "pk", actor) == user.pk:
        raise Forbidden("nobody grants a role to themselves: another administrator must give it")


def _one_trial(sites: list):
    """The trial of ``sites``; refuses (400) none, or sites of several trials."""
    trial_ids = {site.trial_id for site in sites}
    if len(trial_ids) != 1:
        raise Invalid("name the sites of one trial", fields={"sites": ["Name at least one site, all of one trial."]})
    return sites[0].trial


def roles_needing_approval(trial) -> frozenset[str]:
    """The roles whose grant in ``trial`` a second administrator approves: the administrator's,
    and every role that sees a factor of the protocol in force (its ``visible_to``)."""
    protocol = trial.version_on().protocol
    return frozenset({Role.ADMINISTRATOR.value, *(role for f in protocol.factors for role in f.visible_to)})


def membership_request(*, user, role: str, sites: list, actor, reason: str = "role granted"):
    """Give ``user`` a role at ``sites`` as an administrator does: at once for a role that sees no
    factor, as a pending :class:`RoleRequest` for one that does (or for the administrator's role).

    Returns the memberships granted, or the request. Refuses (403) a grant to oneself, (400) sites
    of several trials, and (409) a second pending request for the same person, role and trial
    naming other sites; the same request again returns the pending one. Sites where the person
    already holds the role are left out of a request; with none left, nothing is asked.
    """
    _refuse_self(user=user, actor=actor)
    role_obj = _role(role)
    trial = _one_trial(sites)
    held = set(SiteMembership.objects.filter(user=user, role=role_obj).values_list("site_id", flat=True))
    missing = [site for site in sites if site.pk not in held]
    if role_obj.code not in roles_needing_approval(trial) or not missing:
        return membership_grant(user=user, role=role_obj.code, sites=sites, actor=actor, reason=reason)
    if actor is None:
        raise Invalid("a request for a role names the administrator who asks", fields={"actor": ["Required."]})
    return _role_request_create(user=user, role=role_obj, trial=trial, sites=missing, actor=actor, reason=reason)


def _role_request_create(*, user, role: RoleDefinition, trial, sites: list, actor, reason: str) -> RoleRequest:
    reason = (reason or "").strip() or "role requested"
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        pending = RoleRequest.objects.filter(user=user, role=role, trial=trial, state=RequestState.PENDING).first()
        if pending is not None:
            if set(pending.request_sites.values_list("site_id", flat=True)) == {site.pk for site in sites}:
                return pending
            raise Conflict(
                f"a request for {role.code} in {trial.code} is already pending for this person: "
                "another administrator must decide it first",
                code="pending",
            )
        try:
            with transaction.atomic():
                request = RoleRequest.objects.create(
                    user=user, role=role, trial=trial, reason=reason, requested_by=actor
                )
        except IntegrityError:  # another administrator asked the same a moment ago
            raise Conflict(f"a request for {role.code} in {trial.code} is already pending", code="pending") from None
        RoleRequestSite.objects.bulk_create([RoleRequestSite(request=request, site=site) for site in sites])
        events.role_request_changed(request=request)
    return request


def _ensure_may_decide(request: RoleRequest, actor) -> None:
    """Refuse (403) anyone but a second administrator of the trial, not the one the role is for;
    (409) a request already decided."""
    if actor is None or not permissions.has_role(actor, MANAGE_PEOPLE, trial=request.trial_id):
        raise Forbidden("only an administrator of the trial decides its requests for roles")
    if actor.pk == request.requested_by_id:
        raise Forbidden("you asked for this role: a second administrator must decide")
    if actor.pk == request.user_id:
        raise Forbidden("nobody decides a request for a role of their own")
    if request.state != RequestState.PENDING:
        raise Conflict(f"the request is already {request.state}", code="decided")


def role_request_approve(*, request: RoleRequest, actor, reason: str = "") -> RoleRequest:
    """Approve a pending request as a second administrator of its trial: the memberships are
    created, and the decision recorded with its decider and time. Refuses as
    :func:`_ensure_may_decide` says."""
    reason = (reason or "").strip()
    why = reason or f"request {request.pk} for {request.role_id} approved"
    with transaction.atomic(), audit.context(actor=actor, reason=why):
        locked = RoleRequest.objects.select_for_update().select_related("trial", "user").get(pk=request.pk)
        _ensure_may_decide(locked, actor)
        sites = [link.site for link in locked.request_sites.select_related("site")]
        membership_grant(user=locked.user, role=locked.role_id, sites=sites, actor=actor, reason=why)
        _decide(locked, actor=actor, state=RequestState.APPROVED, reason=reason)
    return locked


def role_request_refuse(*, request: RoleRequest, actor, reason: str) -> RoleRequest:
    """Refuse a pending request as a second administrator of its trial, saying why (400 without)."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("refusing a request needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = RoleRequest.objects.select_for_update().select_related("trial", "user").get(pk=request.pk)
        _ensure_may_decide(locked, actor)
        _decide(locked, actor=actor, state=RequestState.REFUSED, reason=reason)
    return locked


def _decide(request: RoleRequest, *, actor, state: str, reason: str) -> None:
    request.state, request.decided_by, request.decided_at = state, actor, timezone.now()
    request.decision_reason = reason
    request.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    events.role_request_changed(request=request)


def user_add(
    *,
    username: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    role: str,
    sites: list,
    actor,
    reason: str = "user added",
):
    """Add a person as an administrator does: with the role at once when it sees no factor, else
    with no role yet and a pending request for it (:func:`membership_request`).

    Returns the user and the request (None when the role was granted). All or nothing.
    """
    role_obj = _role(role)
    trial = _one_trial(sites)
    if role_obj.code not in roles_needing_approval(trial):
        user = user_create(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            role=role_obj.code,
            sites=sites,
            actor=actor,
            reason=reason,
        )
        return user, None
    with transaction.atomic():
        user = user_create(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            password=password,
            role=None,
            sites=[],
            actor=actor,
            reason=reason,
        )
        request = membership_request(user=user, role=role_obj.code, sites=sites, actor=actor, reason=reason)
    return user, request


def set_password_link(user, *, base_url: str) -> str:
    """A one-time link to set the password (it stops working once a password is set)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{base_url.rstrip('/')}/accounts/reset/{uid}/{token}/"


def totp_enrol(*, user, actor=None) -> TOTPDevice:
    """Start enrolling a TOTP device for ``user``: a new secret, unconfirmed until :func:`totp_confirm`.

    Starting again replaces an unconfirmed one. Refused (409) while a confirmed device exists: an
    administrator resets it first (:func:`totp_reset`).
    """
    actor = actor or user
    with transaction.atomic(), audit.context(actor=actor, reason="second factor enrolment started"):
        if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
            raise Conflict(
                "a second factor is already enrolled: an administrator resets it before another is enrolled",
                code="already_enrolled",
            )
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
        AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_STARTED, actor=actor)
    return device


def totp_confirm(*, user, code: str) -> TOTPDevice:
    """Confirm the enrolment started by :func:`totp_enrol` with a code from the new device.

    Raises Conflict when no enrolment was started, Invalid when the code is not right.
    """
    with transaction.atomic(), audit.context(actor=user, reason="second factor enrolled"):
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            raise Conflict("start enrolling a second factor first", code="not_enrolling")
        if not device.verify_token(digits(code)):
            raise Invalid(
                "the code does not match the new second factor",
                fields={"code": ["The code is not right: enter the 6 digits your authenticator shows now."]},
            )
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        AccountEvent.objects.create(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_CONFIRMED, actor=user)
    return device


def totp_reset(*, user, actor, reason: str) -> int:
    """Remove ``user``'s second factor (a lost phone), so they enrol again at their next sign-in.

    By an administrator, with a reason, never for themselves; returns how many devices went.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("resetting a second factor needs a reason", fields={"reason": ["This field is required."]})
    if actor is not None and actor.pk == user.pk:
        raise Forbidden("another administrator resets your own second factor", code="own_account")
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        AccountEvent.objects.create(
            user=user,
            kind=AccountEvent.Kind.SECOND_FACTOR_RESET,
            actor=actor,
            reason=reason,
            detail={"devices": removed},
        )
    return removed


def token_revoke(*, token: ApiToken, actor, reason: str) -> ApiToken:
    """Revoke ``token`` with a reason; revoking one already revoked changes nothing.

    A token revoked by someone other than its owner is recorded as an account event too.
    """
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("revoking a token needs a reason", fields={"reason": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        if actor is None or actor.pk != locked.user_id:
            AccountEvent.objects.create(
                user_id=locked.user_id,
                kind=AccountEvent.Kind.TOKEN_REVOKED,
                actor=actor,
                reason=reason,
                detail={"token": locked.prefix},
            )
    return locked
