"""Admin for people's roles at sites (grants and revocations go through the services) and the record of
what was done to their sign-in."""

from django import forms
from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.models import AccountEvent, RoleDefinition, SiteMembership
from core.services import membership_grant, membership_revoke


@admin.register(RoleDefinition)
class RoleDefinitionAdmin(admin.ModelAdmin):
    """Roles are declared in code and written by migration: read-only here."""

    list_display = ["code", "title", "read_only"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    reason = forms.CharField(required=True, help_text="Why this role is granted (kept in the audit trail).")

    class Meta:
        model = SiteMembership
        fields = ["user", "site", "role"]


@admin.register(SiteMembership)
class SiteMembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "site", "role", "created_at"]
    list_filter = ["role", "site__trial", "site"]
    search_fields = ["user__username"]

    def has_change_permission(self, request, obj=None):
        return False  # a role is granted or revoked, never edited in place

    def save_model(self, request, obj, form, change):
        granted = membership_grant(
            user=obj.user,
            role=obj.role_id,
            sites=[obj.site],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
        obj.pk = granted[0].pk

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
