"""Admin for people's roles at sites (grants and revocations go through the services), the requests
for roles, and the record of what was done to people's sign-in.

Adding a membership here asks as an administrator does through the API
(:func:`core.services.membership_request`), whoever is signed in, superusers included: a role that
sees a factor, or the administrator's, becomes a request that a second administrator of the trial
decides through the API; nobody grants a role to themselves. Requests are listed read-only.
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import DomainError
from core.models import AccountEvent, RoleDefinition, RoleRequest, SiteMembership
from core.services import membership_request, membership_revoke


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoleDefinition)
class RoleDefinitionAdmin(ReadOnly):
    """Roles are declared in code and written by migration: read-only here."""

    list_display = ["code", "title", "read_only"]


@admin.register(RoleRequest)
class RoleRequestAdmin(ReadOnly):
    """Requests for roles, read-only: administrators decide them through the API."""

    list_display = ["user", "role", "trial", "state", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["state", "role", "trial"]
    search_fields = ["user__username", "requested_by__username"]


class MembershipForm(forms.ModelForm):
    reason = forms.CharField(required=True, help_text="Why this role is granted (kept in the audit trail).")

    class Meta:
        model = SiteMembership
        fields = ["user", "site", "role"]

    actor = None  # the signed-in user, set by the admin's get_form

    def clean(self):
        cleaned = super().clean()
        if self.actor is not None and cleaned.get("user") == self.actor:
            raise forms.ValidationError("Nobody grants a role to themselves: another administrator must give it.")
        return cleaned


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role", "site__trial", "site"]
    search_fields = ["user__username"]

    def has_change_permission(self, request, obj=None):
        return False  # a role is granted or revoked, never edited in place

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request, obj, form, change):
        """Ask for the role as an administrator would; what came of it is said by :meth:`response_add`."""
        try:
            result = membership_request(
                user=obj.user,
                role=obj.role_id,
                sites=[obj.site],
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            request._membership_outcome = exc
            return
        if isinstance(result, RoleRequest):
            request._membership_outcome = result
            return
        obj.pk = result[0].pk

    def log_addition(self, request, obj, message):
        if obj.pk is not None:  # nothing was added when a request was made or refused
            return super().log_addition(request, obj, message)
        return None

    def response_add(self, request, obj, post_url_continue=None):
        outcome = getattr(request, "_membership_outcome", None)
        if isinstance(outcome, DomainError):
            self.message_user(request, f"Nothing was granted: {outcome}.", messages.ERROR)
            return HttpResponseRedirect(request.path)
        if isinstance(outcome, RoleRequest):
            self.message_user(
                request,
                f"{outcome.role_id} for {outcome.user} needs a second administrator of {outcome.trial}: "
                f"request {outcome.pk} is pending, and nothing is granted until it is approved.",
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:trialtracker_sitemembership_changelist"))
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request, obj):
        membership_revoke(membership=obj, actor=request.user, reason="revoked in the admin")

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self.delete_model(request, membership)


# Second factors are enrolled and reset through audited services only (core.second_factor); the
# device admin django-otp brings would show secrets and add devices unrecorded.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(AccountEvent)
class AccountEventAdmin(admin.ModelAdmin):
    """Unlocks, second factors enrolled and reset, tokens revoked: read-only, as the database keeps them."""

    list_display = ["at", "kind", "user", "actor", "reason"]
    list_filter = ["kind"]
    search_fields = ["user__username", "actor__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
