"""``manage.py export --trial CODE --format csv|dta|sav|xpt|odm|dataset-json --out DIR``

Writes one file per dataset into ``DIR`` (``KARE_endpoints.csv``, ``KARE_adsl.csv``, ...), each
permitted, blinded and logged by :func:`outcomes.exports.export_open`. With ``--as USERNAME``
(their password on standard input) it exports what that person may (see
:mod:`outcomes.exports.policy`); with ``--system`` every site, blinded, logged as the system.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from outcomes.exports import DATASETS, DEFAULT_DATASETS, FORMATS, export_open
from outcomes.management.commands._csv import refusal, trial_or_error


class Command(BaseCommand):
    help = "Export a trial's data for investigators: endpoint and analysis tables, or the clinical data as ODM."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--format", required=True, choices=FORMATS)
        parser.add_argument("--out", required=True, help="directory to write the files into (made if missing)")
        add_actor_arguments(parser)
        parser.add_argument(
            "--dataset",
            action="append",
            choices=DATASETS,
            help="a dataset to export (repeatable); by default endpoints, adsl, adtte and dictionary, "
            "or clinical for odm",
        )
        parser.add_argument("--blinded", action="store_true", help="leave every factor column out")

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_options(options)
        fmt = options["format"]
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot make {out}: {exc.strerror or exc}") from None
        for dataset in options["dataset"] or DEFAULT_DATASETS[fmt]:
            try:
                export = export_open(
                    user=actor, trial=trial, format=fmt, dataset=dataset, via="command", blinded=options["blinded"]
                )
            except DomainError as exc:
                raise refusal(exc) from None
            target = out / export.filename
            if export.path is not None:
                shutil.move(export.path, target)
            else:
                with target.open("wb") as handle:
                    for block in export.chunks:
                        handle.write(block)
            log = export.log
            log.refresh_from_db()
            self.stdout.write(f"{target}: {log.rows} row(s), {log.bytes} bytes, sha256 {log.sha256}")
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: exported as {fmt} to {out}"))
