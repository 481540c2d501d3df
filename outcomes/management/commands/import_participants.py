"""``manage.py import_participants --trial CODE FILE.csv --as USERNAME``: participants randomised
before the trial used the tracker, with their allocation, all or nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from core.errors import Forbidden, Invalid
from outcomes.management.commands._csv import CsvImportCommand
from participants.randomisation.services import participant_import


class Command(CsvImportCommand):
    help = (
        "Import participants (columns study_id, site, sex, randomised_on and one column per factor "
        "code with the level code). Administrators only. Every bad row is reported; nothing is "
        "written if any row is bad."
    )
    columns = ("study_id", "site", "sex", "randomised_on")
    noun = "participant(s)"

    def columns_for(self, trial) -> list[str]:
        return [*self.columns, *_factors(trial)]

    def import_rows(self, *, actor, trial, rows: list[dict]) -> int:
        """Each row through :func:`~participants.randomisation.services.participant_import`, in
        its own savepoint so one bad row does not hide the next one's problems. Reports a date that
        is not one, a study id given twice and whatever the service refuses as ``line <n>.<field>``;
        an actor who may not import stops at the first row."""
        factors = _factors(trial)
        problems: dict[str, list[str]] = {}
        seen: dict[str, int] = {}
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
        return len(rows)


def _factors(trial) -> list[str]:
    """The codes of the trial's factors: one column each, holding the participant's level."""
    return [f.code for f in trial.version_on().protocol.factors]
