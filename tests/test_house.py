"""The house rules that a reader of the code relies on, checked on the source itself.

* No module outside migrations is longer than 500 lines and no function longer than 80: a concept
  that outgrows that is split along its seams (docs/development.md).
* Only :mod:`participants.blinding` uses the placeholder of a hidden level (``BLINDED``) or writes a
  factor's neutral name ("study drug", "psychological session"): everything that could reveal a
  factor is shown through its presenter.

The import layers are a contract of their own, checked by ``lint-imports`` (pyproject.toml).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "trials", "review", "participants", "outcomes", "reminders", "trialtracker", "bench", "tests")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_longer_than_the_house_allows():
    long = {str(p.relative_to(ROOT)): n for p in _sources() if (n := p.read_text().count("\n")) > MAX_MODULE_LINES}
    assert long == {}


def test_no_function_is_longer_than_the_house_allows():
    long = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert long == {}


# What only the blinding package writes: the placeholder of a hidden level and the neutral names.
BLINDING_WORDS = re.compile(r"""\bBLINDED\b|["'](study drug|psychological session)["']""")


def test_only_the_blinding_package_writes_what_a_blinded_user_sees():
    found = []
    for path in _sources():
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == ("participants", "blinding") or relative.parts[0] == "tests":
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            # The API's help texts describe what a blinded user sees; they show nothing.
            if BLINDING_WORDS.search(code) and "help_text" not in code:
                found.append(f"{relative}:{number}: {line.strip()}")
    assert found == []
