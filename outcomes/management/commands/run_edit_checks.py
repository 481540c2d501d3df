"""``manage.py run_edit_checks --trial CODE``: run the edit checks over a trial's participants now,
as the system (what the nightly task does), with progress. Raises what is new, never twice."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outcomes.checks import edit_checks_run_trial
from trials.models import Trial


class Command(BaseCommand):
    help = "Run the edit checks over a trial's participants: new findings become data queries."

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="The trial's code.")

    def handle(self, *args, trial: str, **options):
        found = Trial.objects.filter(code=trial).first()
        if found is None:
            raise CommandError(f"no trial {trial!r}")
        result = edit_checks_run_trial(
            trial=found, progress=lambda done, total: self.stdout.write(f"  {done}/{total} participants checked")
        )
        self.stdout.write(f"{result.raised} data queries raised, {result.answered} answered as no longer found.")
