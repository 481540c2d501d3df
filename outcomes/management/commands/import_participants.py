"""``manage.py import_participants --trial CODE FILE.csv --as USERNAME``: participants randomised
before the trial used the tracker, with their allocation, all or nothing."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.errors import DomainError, Forbidden, Invalid
from core.management_utils import actor_from_option
from outcomes.management.commands._csv import read_rows, refusal, trial_or_error
from participants.randomisation.services import participant_import

COLUMNS = ["study_id", "site", "sex", "randomised_on"]


class Command(BaseCommand):
    help = (
        "Import participants (columns study_id, site, sex, randomised_on and one column per factor "
        "code with the level code). Administrators only. Every bad row is reported; nothing is "
        "written if any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--trial", required=True, help="trial code")
        parser.add_argument("--as", dest="actor", required=True, help="username of an administrator")

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_option(options["actor"])
        factors = [f.code for f in trial.version_on().protocol.factors]
        rows = read_rows(options["file"], COLUMNS + factors)
        problems: dict[str, list[str]] = {}
        seen: dict[str, int] = {}
        try:
            with transaction.atomic():
                for row in rows:
                    where = f"line {row['line']}"
                    try:
                        randomised_on = dt.date.fromisoformat(row["randomised_on"])
                    except ValueError:
                        problems[f"{where}.randomised_on"] = [f"{row['randomised_on']!r} is not a date (YYYY-MM-DD)."]
                        continue
                    if row["study_id"] in seen:
                        problems[f"{where}.study_id"] = [f"{row['study_id']} is also on line {seen[row['study_id']]}."]
                        continue
                    seen[row["study_id"]] = row["line"]
                    try:
                        with transaction.atomic():
                            participant_import(
                                actor=actor,
                                trial=trial,
                                study_id=row["study_id"],
                                site_code=row["site"],
                                sex=row["sex"],
                                randomised_on=randomised_on,
                                levels={code: row[code] for code in factors},
                            )
                    except Forbidden:
                        raise
                    except Invalid as exc:
                        for field, messages in exc.fields.items():
                            problems[f"{where}.{field}"] = messages
                if problems:
                    raise Invalid(f"{len(problems)} problem(s); nothing was imported", fields=problems)
        except DomainError as exc:
            raise refusal(exc) from None
        if not rows:
            raise CommandError("the file has no rows")
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: imported {len(rows)} participant(s)"))
