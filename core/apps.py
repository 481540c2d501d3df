from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class CoreConfig(AppConfig):
    name = "core"
    # The label its tables, migrations, permissions and audit events were created under.
    label = "trialtracker"
    verbose_name = "Trial tracker: people, roles and sites"

    def ready(self) -> None:
        from django.urls import register_converter

        from core import audit  # noqa: F401  (connects the audit context to Celery's task signals)
        from core.converters import DatabaseId

        # before any URL module is read: every app's pages and API name ids with <id:...>
        register_converter(DatabaseId, "id")


class AdminConfig(DjangoAdminConfig):
    """Django's admin on :class:`core.admin_site.AdminSite`, which lets in only a verified second factor."""

    default_site = "core.admin_site.AdminSite"
