"""``manage.py lock_analysis_plan --trial CODE --reason TEXT --as USERNAME``: lock the trial's
latest statistical analysis plan version, before the trial is unblinded for analysis. An
investigator of the trial, with their password on standard input."""

from django.core.management.base import BaseCommand

from core.errors import DomainError
from core.management_utils import add_actor_arguments, person_from_options
from outcomes.management.commands._csv import refusal, trial_or_error
from outcomes.plan.services import analysis_plan_lock


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = "Lock the trial's latest analysis plan version (an investigator; their password on standard input)."

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True)
        parser.add_argument("--reason", required=True, help="why the plan is final now")
        add_actor_arguments(parser, system=False)

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor, password = person_from_options(options)
        try:
            lock = analysis_plan_lock(actor=actor, trial=trial, reason=options["reason"], password=password)
        except DomainError as exc:
            raise refusal(exc) from None
        self.stdout.write(
            f"{trial.code}: analysis plan version {lock.plan.number} ({lock.plan.label}) locked, "
            f"fingerprint {lock.plan.sha256}"
        )
