"""``manage.py dmc_report --trial CODE (--open | --closed) --out DIR [--cutoff YYYY-MM-DD] [--pdf]
(--as USERNAME | --system)``.

Writes a data monitoring committee report at the data cut-off (today by default): ``--open``
pools every figure over the arms and is given to anyone who may read the trial's reports
(:func:`outcomes.exports.policy.report_scope`), and to the system (``--system``); ``--closed``
shows every figure by arm, with the listing of serious adverse events, and is given only to a person
who may see every factor (``report_scope(...).unblinded``: the unblinded statistician, or a data
manager or investigator once the trial is unblinded for analysis), proven by their password on
standard input, and written readable by its owner only. ``--pdf`` adds the PDF beside the HTML.

Exits non-zero with a message for an unknown trial, a date that is not a date, a cut-off in the
future or before the first randomisation, a trial with nobody randomised, a refusal, or a PDF that
WeasyPrint cannot lay out here. Each file given is recorded in the export log (dataset
``dmc-open`` or ``dmc-closed``, format ``html`` or ``pdf``).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import SYSTEM, actor_from_options, add_actor_arguments
from outcomes.analysis.committee import NothingRandomised, PdfUnavailable, write_committee_report
from outcomes.exports.log import export_log_committee
from outcomes.exports.policy import report_scope
from outcomes.management.commands._csv import trial_or_error


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--cutoff {value!r} is not a date: write it as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Write the open or closed data monitoring committee report (HTML, and PDF with --pdf) at a data cut-off."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="trial code")
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--open", action="store_true", help="pooled over the arms, for everyone")
        which.add_argument("--closed", action="store_true", help="by arm, for the unblinded only")
        parser.add_argument("--out", required=True, help="directory to write the report into")
        parser.add_argument("--cutoff", help="data cut-off date, YYYY-MM-DD (default: today)")
        parser.add_argument("--pdf", action="store_true", help="write the PDF beside the HTML")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        cutoff = _date(options["cutoff"]) if options.get("cutoff") else None
        actor = actor_from_options(options)
        closed = options["closed"]
        self._ensure_may_read(actor, trial, closed)
        verbose = options.get("verbosity", 1) >= 1
        try:
            written = write_committee_report(
                trial=trial,
                out_dir=options["out"],
                closed=closed,
                cutoff=cutoff,
                pdf=options["pdf"],
                progress=(lambda line: self.stderr.write(f"{line} …")) if verbose else None,
            )
        except (DomainError, NothingRandomised, PdfUnavailable) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"cannot write the report into {options['out']}: {exc.strerror or exc}") from None
        user = None if actor is SYSTEM else actor
        for path, format in ((written.html, "html"), (written.pdf, "pdf")):
            if path is not None:
                export_log_committee(
                    trial=trial,
                    user=user,
                    closed=closed,
                    cutoff=written.cutoff,
                    randomised=written.randomised,
                    format=format,
                    via="command",
                    content=path.read_bytes(),
                )
        kind = "closed" if closed else "open"
        where = ", ".join(str(p) for p in (written.html, written.pdf) if p is not None)
        self.stdout.write(
            self.style.SUCCESS(
                f"{trial.code}: {kind} report at the cut-off {written.cutoff.isoformat()} written to {where}"
            )
        )

    @staticmethod
    def _ensure_may_read(actor, trial, closed: bool) -> None:
        if actor is SYSTEM:
            if closed:
                raise CommandError("the system writes the open report only: --closed needs --as a person")
            return
        try:
            scope = report_scope(user=actor, trial=trial)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        if closed and not scope.unblinded:
            raise CommandError(
                f"{actor.get_username()} may not see every factor of {trial.code}: the closed report is not for them"
            )
