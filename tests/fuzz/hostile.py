"""What an attacker sends, mixed into the fuzz: bodies nested deeper than any request needs, ids
beyond the database's columns, and dates in year 1 or 9999.

Each was once answered with a 500 (a RecursionError, an OverflowError, date arithmetic overflowing in
reminder planning); the fuzz's checks say every answer must now be a documented 4xx (or a 2xx that
matches the schema).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

KINDS = ("nesting", "ids", "dates")
DEPTH = 40  # past the parser's limit (core.parsers.MAX_DEPTH), well short of Python's own
HUGE_IDS = (10**18, 10**30, 2**63)
EXTREME_DATES = ("0001-01-01", "9999-12-31")
DATE_FIELD = re.compile(r"(^|_)(on|date|day)$|^date$|_before$")


def _nested(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _with_dates(value, date: str):
    """``value`` (a body or a query) with every date-like field set to ``date``."""
    if isinstance(value, dict):
        return {k: (date if DATE_FIELD.search(str(k)) and isinstance(v, str | type(None)) else _with_dates(v, date))
                for k, v in value.items()}  # fmt: skip
    if isinstance(value, list):
        return [_with_dates(v, date) for v in value]
    return value


def hostile() -> st.SearchStrategy[tuple[str, int, str]]:
    """``(kind, huge id, extreme date)`` to apply with :func:`apply`."""
    return st.tuples(st.sampled_from(KINDS), st.sampled_from(HUGE_IDS), st.sampled_from(EXTREME_DATES))


def apply(case, drawn: tuple[str, int, str]):
    kind, huge, date = drawn
    if kind == "nesting" and case.method.upper() in ("POST", "PUT", "PATCH"):
        case.body = {"reason": _nested(DEPTH)} if not isinstance(case.body, list) else _nested(DEPTH)
        case.media_type = "application/json"
    elif kind == "ids" and case.path_parameters:
        case.path_parameters = {k: (huge if isinstance(v, int) or str(v).isdigit() else v)
                                for k, v in case.path_parameters.items()}  # fmt: skip
    elif kind == "dates":
        if isinstance(case.body, dict | list):
            case.body = _with_dates(case.body, date)
        if case.query:
            case.query = _with_dates(dict(case.query), date)
    return case
