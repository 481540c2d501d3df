"""``manage.py analysis_report --trial CODE --out DIR [--blinded]``: the analysis report.

Writes ``DIR/report.html`` with its pictures as PNG and SVG beside it. ``--blinded`` shows arms
as coded groups for a data monitoring committee. Exits non-zero with a message for an unknown
trial or a trial with no randomised participant.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from outcomes.analysis import NothingToAnalyse, write_report
from trials.models import Trial


class Command(BaseCommand):
    help = "Write the analysis report (HTML with PNG and SVG pictures) of a trial into a directory."

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--out", required=True, help="directory to write the report into")
        parser.add_argument("--blinded", action="store_true", help="arms as coded groups, no factor levels (for a DMC)")

    def handle(self, *args, **options):
        trial = Trial.objects.filter(code=options["trial"]).first()
        if trial is None:
            known = ", ".join(Trial.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"no trial {options['trial']!r} (known: {known})")
        try:
            path = write_report(trial=trial, out_dir=options["out"], blinded=options["blinded"])
        except NothingToAnalyse as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write the report into {options['out']}: {exc.strerror or exc}") from None
        kind = "blinded" if options["blinded"] else "unblinded"
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: {kind} report written to {path}"))
