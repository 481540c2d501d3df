"""``manage.py import_drinking_days --trial CODE FILE.csv --as USERNAME``: drinking days collected
before the trial used the tracker, all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_option
from outcomes.management.commands._csv import read_rows, refusal, trial_or_error
from outcomes.services import drinking_days_import

COLUMNS = ["study_id", "date", "amount", "unit", "source"]


class Command(BaseCommand):
    help = (
        "Import drinking days (columns study_id, date, amount, unit, source; unit g, uk_unit or "
        "us_drink; source tlfb or diary). Administrators only. Every bad row is reported; nothing "
        "is written if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--as", dest="actor", required=True, help="username of an administrator")

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_option(options["actor"])
        rows = read_rows(options["file"], COLUMNS)
        if not rows:
            raise CommandError("the file has no rows")
        try:
            created = drinking_days_import(actor=actor, trial=trial, rows=rows)
        except DomainError as exc:
            raise refusal(exc) from None
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: imported {len(created)} drinking day(s)"))
