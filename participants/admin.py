"""Read-only admin of participants for the back office, scoped to the user's sites (a superuser's
too: being one holds no role at any site) and blinded.

Allocations, allocation lists and identities are not in the admin at all: the allocation is shown
only through :mod:`participants.blinding` (the API), identities only through the identity endpoint.
Changes go through the API and its services, never through these pages.
"""

from django.contrib import admin

from core import permissions
from participants.models import Consent, Participant, Screening, Withdrawal


class ScopedReadOnly(admin.ModelAdmin):
    site_field = "site_id"

    def get_queryset(self, request):
        # Superusers too: being one gives no role at any site, so no participant of one.
        return super().get_queryset(request).filter(**{f"{self.site_field}__in": permissions.site_ids(request.user)})

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Screening)
class ScreeningAdmin(ScopedReadOnly):
    list_display = ["number", "trial", "site", "screened_on", "outcome"]
    list_filter = ["trial", "site", "outcome"]
    search_fields = ["number"]


@admin.register(Participant)
class ParticipantAdmin(ScopedReadOnly):
    list_display = ["study_id", "trial", "site", "sex", "age_at_consent", "enrolled_on", "baseline_completed_on"]
    list_filter = ["trial", "site", "sex"]
    search_fields = ["study_id"]
    exclude = []
    fields = [
        "study_id",
        "trial",
        "site",
        "screening",
        "sex",
        "age_at_consent",
        "baseline_weight_kg",
        "enrolled_on",
        "baseline_completed_on",
    ]


@admin.register(Consent)
class ConsentAdmin(ScopedReadOnly):
    site_field = "participant__site_id"
    list_display = ["participant", "form_version", "consented_on"]


@admin.register(Withdrawal)
class WithdrawalAdmin(ScopedReadOnly):
    site_field = "participant__site_id"
    list_display = ["participant", "scope", "withdrawn_on"]
