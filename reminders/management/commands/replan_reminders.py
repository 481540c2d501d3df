"""``manage.py replan_reminders --trial CODE [--dry-run]``: re-plan every pending reminder of a trial.

Run it after an amendment of the reminder policy (the daily planning task does the same within a
day). With ``--dry-run`` it lists what would be created, moved, revived or cancelled and writes
nothing; without, the changes are written with the audit reason given.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import audit
from core.management_utils import actor_from_options, add_actor_arguments
from participants.models import Participant
from reminders.planning import reminders_plan
from trials.models import Trial


class Command(BaseCommand):
    help = "Re-plan the pending reminders of every randomised participant of a trial."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="the trial's code")
        parser.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
        parser.add_argument("--reason", default="reminder policy amended", help="recorded in the audit trail")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        trial = Trial.objects.filter(code=options["trial"]).first()
        if trial is None:
            raise CommandError(f"no trial {options['trial']!r}")
        actor = actor_from_options(options)
        dry = options["dry_run"]
        counts = {"create": 0, "move": 0, "revive": 0, "cancel": 0}
        participants = Participant.objects.filter(trial=trial, allocation__isnull=False).select_related("site", "trial")
        with transaction.atomic(), audit.context(actor=actor, reason=options["reason"]):
            for participant in participants.order_by("study_id"):
                result = reminders_plan(participant=participant, dry_run=dry, reason=options["reason"])
                for change in result.changes:
                    counts[change.action] += 1
                    old = f"{change.old_due:%Y-%m-%d %H:%M}Z" if change.old_due else "-"
                    new = f"{change.new_due:%Y-%m-%d %H:%M}Z" if change.new_due else "-"
                    self.stdout.write(
                        f"{participant.study_id} {change.action:<6} {change.kind:<12} {change.label:<6} "
                        f"{change.channel:<5} {old} -> {new}"
                    )
        summary = ", ".join(f"{n} to {action}" for action, n in counts.items())
        prefix = "dry run, nothing written: " if dry else ""
        self.stdout.write(f"{prefix}{trial.code}: {summary}")
