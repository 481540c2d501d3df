from django.apps import AppConfig


class TrialTrackerConfig(AppConfig):
    name = "trialtracker"
    verbose_name = "Trial tracker: people, roles and sites"

    def ready(self) -> None:
        from trialtracker import audit, checks  # noqa: F401  (registers system checks and task hooks)
