"""Shared by the import commands: reading a CSV file with its line numbers, reporting problems,
and :class:`CsvImportCommand`, everything an import does but what it imports."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from trials.models import Trial


def trial_or_error(code: str) -> Trial:
    trial = Trial.objects.filter(code=code).first()
    if trial is None:
        known = ", ".join(Trial.objects.order_by("code").values_list("code", flat=True)) or "none"
        raise CommandError(f"no trial {code!r} (known: {known})")
    return trial


def read_rows(path: str, columns: list[str]) -> list[dict]:
    """The file's rows as dicts with ``line`` (the line number in the file, header = 1)."""
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in columns if c not in header]
            if missing:
                raise CommandError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = []
            for row in reader:
                rows.append({"line": reader.line_num, **{k: (v or "").strip() for k, v in row.items() if k}})
            return rows
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text") from None


def refusal(exc: DomainError) -> CommandError:
    """Every problem on its own line (``line 7.amount: ...``)."""
    lines = [f"  {where}: {' '.join(messages)}" for where, messages in exc.fields.items()]
    return CommandError("\n".join([exc.message, *lines]))


class CsvImportCommand(BaseCommand):
    """``manage.py <import> --trial CODE FILE.csv --as USERNAME``: rows of a CSV file into one
    trial, as one user (their password on standard input), all or nothing.

    A subclass says only what differs: the file's ``columns`` (or :meth:`columns_for`, when the
    trial adds its own), what a row is (``noun``, for the summary) and :meth:`import_rows`. This
    class refuses an unknown trial or user, a file that cannot be read, lacks a column or has no
    rows; runs :meth:`import_rows` in one transaction; and turns its refusal (a
    :class:`~core.errors.DomainError`) into a :class:`CommandError` with every problem on its
    own line, nothing written.
    """

    columns: tuple[str, ...] = ()
    noun = "row(s)"
    stealth_options = ("stdin",)  # call_command(..., stdin=...) stands for a piped password

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--trial", required=True, help="trial code")
        add_actor_arguments(parser, system=False)

    def columns_for(self, trial: Trial) -> list[str]:
        """The columns the file must have."""
        return list(self.columns)

    def import_rows(self, *, actor, trial: Trial, rows: list[dict]) -> int:
        """Write the rows (dicts from :func:`read_rows`) and return how many were imported; raise
        a :class:`~core.errors.DomainError` naming each bad row's problems to refuse them all."""
        raise NotImplementedError

    def handle(self, *args, **options):
        trial = trial_or_error(options["trial"])
        actor = actor_from_options(options)
        rows = read_rows(options["file"], self.columns_for(trial))
        if not rows:
            raise CommandError("the file has no rows")
        try:
            with transaction.atomic():
                imported = self.import_rows(actor=actor, trial=trial, rows=rows)
        except DomainError as exc:
            raise refusal(exc) from None
        self.stdout.write(self.style.SUCCESS(f"{trial.code}: imported {imported} {self.noun}"))
