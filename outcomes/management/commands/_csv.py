"""Shared by the import commands: reading a CSV file with its line numbers, and reporting problems."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management.base import CommandError

from core.errors import DomainError
from trials.models import Trial


def trial_or_error(code: str) -> Trial:
    trial = Trial.objects.filter(code=code).first()
    if trial is None:
        raise CommandError(f"no trial {code!r}")
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
