from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self) -> None:
        from participants import events
        from reminders import planning, views

        # Every change to a participant's schedule re-plans their reminders, in the same transaction.
        events.subscribe(planning.reminders_plan)
        views.connect_delivery_webhooks()
