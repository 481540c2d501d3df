from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    # The label its tables, migrations, permissions and audit events were created under.
    label = "trialtracker"
    verbose_name = "Trial tracker: people, roles and sites"

    def ready(self) -> None:
        from core import audit  # noqa: F401  (connects the audit context to Celery's task signals)
