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
        # The statistical analysis plan is locked before the trial is unblinded for analysis.
        from outcomes.plan.selectors import ensure_plan_locked
        from participants.locks import services as locks

        locks.before_analysis_unblinding.subscribe(ensure_plan_locked)
