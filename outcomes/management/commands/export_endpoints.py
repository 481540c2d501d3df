"""``manage.py export_endpoints --trial CODE --out FILE.csv --as USERNAME | --system``: one row per
participant and window, with the participant's site and sex and the factor levels the person may
see (none for the system).

The file is the ``endpoints`` dataset of ``manage.py export --format csv`` (the same table, written
by the same CSV writer, so the same columns in the same order); only who may write it differs
(:func:`outcomes.exports.policy.endpoints_scope`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.db import snapshot
from core.management_utils import actor_from_options, add_actor_arguments
from outcomes.exports.policy import endpoints_scope
from outcomes.exports.tables import endpoint_table
from outcomes.exports.tabular import csv_chunks
from outcomes.management.commands._csv import trial_or_error


class Command(BaseCommand):
    help = (
        "Export the drinking endpoints. With --as (the password on standard input), the person's sites "
        "and the factors they may see at all of them; with --system every site and no factor column."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--out", required=True, help="the CSV file to write")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_options(options)
        scope = endpoints_scope(user=actor, trial=trial)
        counter = [0]
        try:
            with open(options["out"], "wb") as handle, snapshot():
                for block in csv_chunks(endpoint_table(scope), counter):
                    handle.write(block)
        except OSError as exc:
            raise CommandError(f"cannot write {options['out']}: {exc.strerror or exc}") from None
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: {counter[0]} row(s) written to {options['out']}"))
