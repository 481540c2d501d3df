"""Read-only admin of protocols: they change only by loading a file (``load_protocol``)."""

from django.contrib import admin

from trials.models import Arm, ProtocolVersion, Site, Trial


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Trial)
class TrialAdmin(ReadOnly):
    list_display = ["code", "title", "sponsor"]


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReadOnly):
    list_display = ["trial", "number", "label", "effective_date", "created_at"]
    list_filter = ["trial"]


@admin.register(Site)
class SiteAdmin(ReadOnly):
    list_display = ["trial", "code", "name", "time_zone"]
    list_filter = ["trial"]


@admin.register(Arm)
class ArmAdmin(ReadOnly):
    list_display = ["trial", "code", "title", "ratio"]
    list_filter = ["trial"]
