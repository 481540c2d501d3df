"""Helpers for the export tests: the example trial imported, files read back, secrets searched for.

Every export test works on the shared example (six KARE participants with their drinking days,
imported through the commands). :func:`hidden_words` lists what a file for a user blinded to a
factor must never contain: the factor's code and title, its levels' codes and titles, and every
arm code (an arm names all factors).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from participants import locks

STANDARDS = Path(__file__).resolve().parents[3] / "outcomes" / "exports" / "standards"
PASSWORD = "correct-horse-battery-staple"  # what make_user gives everyone


def hidden_words(trial, factors) -> set[str]:
    protocol = trial.version_on().protocol
    words: set[str] = set()
    for code in factors:
        spec = protocol.factor(code)
        words |= {spec.code, spec.title} | {lv.code for lv in spec.levels} | {lv.title for lv in spec.levels}
    if factors:
        words |= {arm.code for arm in protocol.arms} | {arm.title for arm in protocol.arms}
    return words


def found(text: str, words) -> set[str]:
    """The ``words`` that appear in ``text`` as whole words."""
    return {w for w in words if re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", text)}


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def read_stat(path):
    """A pyreadstat file read back: ``(frame, metadata)``, value labels applied where it has them."""
    import pyreadstat

    path = str(path)
    if path.endswith(".xpt"):
        return pyreadstat.read_xport(path)
    if path.endswith(".dta"):
        return pyreadstat.read_dta(path, apply_value_formats=True)
    return pyreadstat.read_sav(path, apply_value_formats=True)


def secrets_in(path, words) -> set[str]:
    """The ``words`` a file gives away. Text files are searched whole; a Stata, SPSS or SAS file is
    read back (values, variable names and labels, value labels) and searched, and its raw bytes
    are searched too for words of four letters or more (shorter ones turn up in binary numbers)."""
    path = Path(path)
    raw = path.read_bytes().decode("latin-1")
    if path.suffix not in (".dta", ".sav", ".xpt"):
        return found(raw, words)
    frame, meta = read_stat(path)
    labels = [meta.variable_value_labels or {}, meta.value_labels or {}]
    parts = [frame.to_csv(), " ".join(meta.column_names), json.dumps(meta.column_names_to_labels)]
    parts += [
        str(meta.file_label),
        json.dumps([{k: {str(a): b for a, b in v.items()} for k, v in x.items()} for x in labels]),
    ]
    return found("\n".join(parts), words) | found(raw, {w for w in words if len(w) >= 4})


def export(tmp_path, fmt: str, *, user=None, datasets=(), blinded: bool = False) -> Path:
    """Run ``manage.py export`` into a fresh directory; returns it."""
    out = tmp_path / f"{fmt}-{user.username if user else 'system'}{'-blinded' if blinded else ''}"
    options = {"trial": "KARE", "format": fmt, "out": str(out), "stdout": io.StringIO()}
    if user is not None:
        options["actor"] = user.username
    if datasets:
        options["dataset"] = list(datasets)
    if blinded:
        options["blinded"] = True
    call_command("export", **options)
    return out


@pytest.fixture
def data_manager(imported, make_user):
    return make_user("data_manager", imported, username="dm")


@pytest.fixture
def unblind(imported, data_manager):
    """``unblind()``: lock the trial and unblind it for analysis, as the data manager would."""

    def run():
        locks.data_lock(actor=data_manager, trial=imported, reason="final analysis")
        locks.trial_unblind_for_analysis(actor=data_manager, trial=imported, reason="final analysis", password=PASSWORD)

    return run
