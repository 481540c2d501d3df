"""``manage.py import_drinking_days --trial CODE FILE.csv --as USERNAME``: drinking days collected
before the trial used the tracker, all or nothing."""

from __future__ import annotations

from outcomes.management.commands._csv import CsvImportCommand
from outcomes.services import drinking_days_import


class Command(CsvImportCommand):
    help = (
        "Import drinking days (columns study_id, date, amount, unit, source; unit g, uk_unit or "
        "us_drink; source tlfb or diary; optional columns missing and note for a day without an "
        "amount: missing is not_done, unknown, not_applicable or declined). Administrators only. "
        "Every bad row is reported; nothing "
        "is written if any row is bad."
    )
    columns = ("study_id", "date", "amount", "unit", "source")
    noun = "drinking day(s)"

    def import_rows(self, *, actor, trial, rows: list[dict]) -> int:
        return len(drinking_days_import(actor=actor, trial=trial, rows=rows))
