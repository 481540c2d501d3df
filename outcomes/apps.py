from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from outcomes import checks, records
        from participants import events

        records.register_kinds()
        # The edit checks look again at a participant whose schedule changed (a visit recorded...).
        events.subscribe(checks.run_after_commit)
