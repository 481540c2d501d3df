from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project on top of the apps: the simulation command and the system checks."""

    name = "trialtracker"
    label = "project"
    verbose_name = "Trial tracker project"

    def ready(self) -> None:
        from trialtracker import checks  # noqa: F401  (registers the system checks)
