"""``manage.py load_analysis_plan FILE``: store a trial's statistical analysis plan, or amend it.

The file names its trial; it is checked against the trial's protocol in force and every problem is
named with its path. The same file again changes nothing; a changed file needs ``--amend --reason``.
"""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from outcomes.management.commands._csv import refusal
from outcomes.plan.document import load_file
from outcomes.plan.services import analysis_plan_load
from trials.models import Trial
from trials.protocol import ProtocolInvalid


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Load a statistical analysis plan file (YAML). The first becomes version 1; the same file again "
        "changes nothing; a changed file needs --amend --reason. An invalid file names every problem and "
        "writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--amend", action="store_true", help="store a changed plan as an amendment")
        parser.add_argument("--reason", default="", help="why the plan is amended (required with --amend)")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        path = options["file"]
        try:
            draft = load_file(path)
            trial = Trial.objects.filter(code=draft.trial).first()
            if trial is None:
                raise CommandError(f"{path}: no trial {draft.trial!r}; load its protocol first")
            plan = load_file(path, protocol=trial.version_on().protocol)
        except ProtocolInvalid as exc:
            lines = [f"  {where}: {message}" for where, message in exc.problems]
            raise CommandError(
                f"{path} is not a valid analysis plan ({len(exc.problems)} problem(s)):\n" + "\n".join(lines)
            ) from None
        actor = actor_from_options(options)
        try:
            version, created = analysis_plan_load(
                trial=trial, plan=plan, actor=actor, source=str(path), amend=options["amend"], reason=options["reason"]
            )
        except DomainError as exc:
            raise refusal(exc) from None
        state = "stored as" if created else "unchanged:"
        self.stdout.write(
            f"{trial.code}: analysis plan {state} version {version.number} ({version.label}), "
            f"fingerprint {version.sha256[:12]}"
        )
