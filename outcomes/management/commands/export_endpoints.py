"""``manage.py export_endpoints --trial CODE --out FILE.csv --as USERNAME | --system``: one row per
participant and window, with the factor levels the person may see (none for the system)."""

from __future__ import annotations

import csv

from django.core.management.base import BaseCommand

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from outcomes import selectors
from outcomes.endpoints import COLUMNS
from outcomes.management.commands._csv import refusal, trial_or_error


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


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
        try:
            rows, factors = selectors.endpoints_for_export(user=actor, trial=trial)
        except DomainError as exc:
            raise refusal(exc) from None
        with open(options["out"], "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([*COLUMNS, *factors])
            for row in rows:
                writer.writerow([cell(getattr(row, c)) for c in COLUMNS] + [row.levels.get(f, "") for f in factors])
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: {len(rows)} row(s) written to {options['out']}"))
