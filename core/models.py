"""People's roles at sites. The roles themselves are declared in :mod:`core.roles`.

A membership names its site through a foreign key to ``trials.Site`` by label: the base layer
imports no app, and reaches the site and trial models through that key (:func:`site_model`).
"""

from django.conf import settings
from django.db import models

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
