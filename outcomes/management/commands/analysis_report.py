"""``manage.py analysis_report --trial CODE --out DIR (--as USERNAME | --system) [--blinded]``.

Writes ``DIR/report.html`` with its pictures as PNG and SVG beside it. ``--blinded`` shows arms
as coded groups for a data monitoring committee. The unblinded report shows every factor, so it is
written only for a person who may export the trial unblinded (:mod:`outcomes.exports.policy`: the
unblinded statistician, or a data manager or investigator once the trial is unblinded for
analysis), proven by their password on standard input; the system (``--system``) writes the
blinded one only. Exits non-zero with a message for an unknown trial, a refusal, or a trial with no
randomised participant. The report given is recorded in the export log (dataset ``report``).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import SYSTEM, actor_from_options, add_actor_arguments
from outcomes.analysis import NothingToAnalyse, write_report
from outcomes.exports.log import export_log_report
from outcomes.exports.policy import report_scope
from outcomes.management.commands._csv import trial_or_error


class Command(BaseCommand):
    help = "Write the analysis report (HTML with PNG and SVG pictures) of a trial into a directory."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--out", required=True, help="directory to write the report into")
        parser.add_argument("--blinded", action="store_true", help="arms as coded groups, no factor levels (for a DMC)")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_options(options)
        blinded = options["blinded"]
        if not blinded:
            self._ensure_may_unblind(actor, trial)
        try:
            path = write_report(trial=trial, out_dir=options["out"], blinded=blinded)
        except NothingToAnalyse as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write the report into {options['out']}: {exc.strerror or exc}") from None
        user = None if actor is SYSTEM else actor
        export_log_report(trial=trial, user=user, blinded=blinded, via="command", content=path.read_bytes())
        kind = "blinded" if blinded else "unblinded"
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: {kind} report written to {path}"))

    @staticmethod
    def _ensure_may_unblind(actor, trial) -> None:
        if actor is SYSTEM:
            raise CommandError("the system writes the blinded report only: add --blinded, or --as a person")
        try:
            scope = report_scope(user=actor, trial=trial)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if not scope.unblinded:
            raise CommandError(f"{actor.get_username()} may not see every factor of {trial.code}: add --blinded")
