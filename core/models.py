"""People's roles at sites, the requests for roles that a second administrator approves, API
tokens and what was done to people's sign-in. The roles themselves are declared in :mod:`core.roles`.

A membership names its site through a foreign key to ``trials.Site`` by label: the base layer
imports no app, and reaches the site and trial models through that key (:func:`site_model`).
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit


class RoleDefinition(models.Model):
    """A role as declared in code; rows are written by migration, never by hand."""

    code = models.CharField(primary_key=True, max_length=40)
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    read_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


@audit.track()
class SiteMembership(models.Model):
    """A person holds a role at a site; all they may see and do follows from these rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="memberships")
    role = models.ForeignKey(RoleDefinition, on_delete=models.PROTECT, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "site", "role"], name="membership_unique_user_site_role")
        ]
        ordering = ["user_id", "site_id", "role_id"]

    def __str__(self) -> str:
        return f"{self.user} as {self.role_id} at {self.site}"


def site_model():
    """The model of a trial's sites, as the membership's foreign key names it."""
    return SiteMembership._meta.get_field("site").related_model


def trial_model():
    """The model of trials, as a site's foreign key names it."""
    return site_model()._meta.get_field("trial").related_model


class ApiToken(models.Model):
    """An API token (``Authorization: Token <key>``) that ends.

    DRF's own ``authtoken.Token`` cannot: one row per user, the same key handed back for ever, no
    expiry, kept in clear in the database. A token here is one of many a person may hold (one per
    script or machine), ends ``API_TOKEN_HOURS`` after it was issued, is revoked on request, by an
    administrator or by any change of its owner's password (``password_stamp`` is the password's
    keyed hash at issue, as Django's sessions keep it), and records whether a second factor was
    verified when it was issued. Only a SHA-256 digest of the key is stored: a copy of the database
    holds no usable token. Written only by :mod:`core.tokens`.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="The key's first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    address = models.GenericIPAddressField(null=True, blank=True, help_text="Where it was asked from.")
    second_factor = models.BooleanField(default=False, help_text="A one-time code was verified to issue it.")
    password_stamp = models.CharField(max_length=128)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "expires_at"], name="apitoken_user_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoke_reason=""), name="apitoken_revoked_with_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… of {self.user}"


class AccountEvent(models.Model):
    """What was done to a person's sign-in, by whom and why: an unlock, a second factor enrolled or
    reset, a token revoked. Append-only: on PostgreSQL the database refuses UPDATE and DELETE.

    Failed sign-ins themselves are kept by django-axes (``AccessFailureLog``, with the address).
    """

    class Kind(models.TextChoices):
        UNLOCKED = "unlocked", "Lockout lifted"
        SECOND_FACTOR_STARTED = "second_factor_started", "Second factor enrolment started"
        SECOND_FACTOR_CONFIRMED = "second_factor_confirmed", "Second factor enrolled"
        SECOND_FACTOR_RESET = "second_factor_reset", "Second factor reset"
        TOKEN_REVOKED = "token_revoked", "API token revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="account_events"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "id"]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user} by {self.actor or 'the system'}"


class RequestState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


@audit.track()
class RoleRequest(models.Model):
    """A grant that a second administrator of the trial must approve before it takes effect.

    Asked for when a role would see a factor of the protocol in force, or is the administrator's
    own (:func:`core.services.membership_request`); the memberships are created by the approval.
    The database refuses a request for oneself, a decision by the requester or by the person the
    role is for, a decision without its decider and time, a refusal without its reason, and a
    second pending request for the same person, role and trial.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="role_requests")
    role = models.ForeignKey(RoleDefinition, on_delete=models.PROTECT, related_name="requests")
    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="role_requests")
    sites = models.ManyToManyField("trials.Site", through="RoleRequestSite", related_name="role_requests")
    reason = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=RequestState.values), name="rolerequest_state_known"),
            models.CheckConstraint(
                condition=~models.Q(user=models.F("requested_by")), name="rolerequest_not_for_oneself"
            ),
            models.CheckConstraint(
                condition=models.Q(state=RequestState.PENDING, decided_by__isnull=True, decided_at__isnull=True)
                | (
                    ~models.Q(state=RequestState.PENDING)
                    & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    & ~models.Q(decided_by=models.F("requested_by"))
                    & ~models.Q(decided_by=models.F("user"))
                ),
                name="rolerequest_decided_by_another",
            ),
            models.CheckConstraint(
                condition=~models.Q(state=RequestState.REFUSED, decision_reason=""),
                name="rolerequest_refusal_has_reason",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "trial"],
                condition=models.Q(state=RequestState.PENDING),
                name="rolerequest_one_pending",
            ),
        ]
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.role_id} for {self.user} in {self.trial} ({self.state})"


@audit.track()
class RoleRequestSite(models.Model):
    """A site a role request names (its own row, so that the audit trail holds what was asked)."""

    request = models.ForeignKey(RoleRequest, on_delete=models.CASCADE, related_name="request_sites")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "site"], name="rolerequestsite_unique")]
        ordering = ["request_id", "site_id"]

    def __str__(self) -> str:
        return f"request {self.request_id} at {self.site}"
