from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = "Participants"

    def ready(self) -> None:
        from core import events
        from participants import duties, records

        # Every request for a role, and its decision, is told to the trial's unblinded team.
        events.subscribe(duties.role_request_notify)
        records.register_kinds()
