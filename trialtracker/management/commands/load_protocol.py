"""``manage.py load_protocol FILE``: create a trial from a protocol file, or add an amendment.

A command of the project, not of ``trials``: an amendment also brings the participants' open
appointments in line with the amended schedule, which is the business of ``participants``.
"""

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from participants.schedule.services import appointments_apply_amendment
from trials.protocol import ProtocolInvalid, load_file
from trials.services import protocol_load


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Load a protocol file (YAML or JSON). A new trial gets version 1; the same file again changes "
        "nothing; a changed file needs --amend --reason. An invalid file names every problem and "
        "writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--amend", action="store_true", help="store a changed file as an amendment")
        parser.add_argument("--reason", default="", help="why the protocol is amended (required with --amend)")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        path = options["file"]
        try:
            protocol = load_file(path)
        except ProtocolInvalid as exc:
            lines = [f"  {where}: {message}" for where, message in exc.problems]
            raise CommandError(
                f"{path} is not a valid protocol ({len(exc.problems)} problem(s)):\n" + "\n".join(lines)
            ) from None
        actor = actor_from_options(options)
        try:
            result = protocol_load(
                protocol=protocol,
                actor=actor,
                source=str(path),
                amend=options["amend"],
                reason=options["reason"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        version = result.version
        if not result.changed:
            self.stdout.write(f"{version.trial.code}: unchanged (version {version.number}, {version.label})")
        elif result.created_trial:
            self.stdout.write(self.style.SUCCESS(f"{version.trial.code}: created with version 1 ({version.label})"))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{version.trial.code}: amendment stored as version {version.number} ({version.label}), "
                    f"effective {version.effective_date}"
                )
            )
            # Participants not yet past the changed events follow the amended schedule.
            changed = appointments_apply_amendment(trial=version.trial, actor=actor, reason=options["reason"])
            self.stdout.write(f"{version.trial.code}: {changed} open appointment(s) brought in line with the schedule")
