"""Tables as CSV (streamed), Stata ``.dta``, SPSS ``.sav`` and SAS transport version 5 ``.xpt``.

CSV is written in blocks of about 256 kB as rows arrive, so memory stays flat whatever the
table's size. The other three are written by pyreadstat from a data frame, so the table is held
in memory once while it is written: fine for the per-participant tables, and for the daily drinking
records of a trial the size of KARE (280 participants over 15 months is about 130,000 rows). Above
:data:`STAT_MAX_ROWS` rows they are refused (400) with a pointer to CSV or Dataset-JSON, which
stream, rather than let one export take the server's memory.

Conventions, one per format:

* CSV: a header of variable names; empty for a missing value; ``1``/``0`` for true/false; dates
  ``YYYY-MM-DD``; decimals as stored (``37.04``).
* Stata and SPSS: variable names as in CSV, variable labels, and value labels: a coded text
  column (``Column.coded``: a factor, the site, sex, a ``Y``/``N`` flag, an arm code...) is stored
  as its value's position among the column's values (1, 2, ...; a factor's levels in the
  protocol's order) labelled with the value, so that reading it back with value labels applied
  gives the CSV's text, and the data dictionary gives what each value means; a coded number
  (relapse, a WHO level, censoring, a true/false) keeps its value and is labelled with its meaning.
* SAS transport version 5: upper-case names of at most 8 characters (the ``short`` name of each
  column, listed in the data dictionary), labels of at most 40, text as is (the format has no
  value labels), dates as SAS dates.

A numeric column may name the column holding the null flavour of its empty values
(``Column.reason_in``: the drinking records' ``grams`` and ``grams_nf``). There the value is the
reason's missing value of the format (:mod:`core.missing`): Stata's extended missing value
(``.n``, ``.u``, ``.a``, ``.d``, labelled), SPSS's code (``-91`` to ``-94``, labelled, in the range
declared user-missing), SAS's special missing value (``.N``, ``.U``, ``.A``, ``.D``, set in the
written file by :mod:`outcomes.exports.xport`); CSV and Dataset-JSON leave it empty and carry the
flavour in the other column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection

from core.errors import Invalid
from core.missing import NULL_FLAVOURS, SAS_LETTERS, SPSS_CODES, SPSS_RANGE, MissingCode
from outcomes.exports.tables import BOOLEAN, DATE, DECIMAL, INTEGER, Table
from outcomes.exports.xport import special_missing_set

BLOCK = 256 * 1024
STAT_FORMATS = ("dta", "sav", "xpt")
STAT_MAX_ROWS = 250_000  # about 70 MB of Python objects while the frame is built
_FLAVOUR_CODES = {flavour: code for code, flavour in NULL_FLAVOURS.items()}


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def csv_chunks(table: Table, counter: list[int]) -> Iterator[bytes]:
    """The table as UTF-8 CSV, in blocks; ``counter[0]`` holds the rows written so far.

    A table whose rows come from one query as text (``meta["copy"]``: the SQL and its parameters)
    is written on PostgreSQL by the database's own CSV writer, ``COPY (...) TO STDOUT``: the same
    bytes as Python's writer gives for such rows (a NULL is an empty field, as None is; no value
    is an empty text, none holds a comma, a quote or a line break), at the speed of COPY.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    copy = table.meta.get("copy")
    if copy is not None and connection.vendor == "postgresql":
        yield buffer.getvalue().encode()
        yield from _copied(*copy(), counter)
        return
    batches = table.meta.get("batches")
    if batches is not None:
        # Rows that come from the database as text already: written as they are, a batch at a time.
        for batch in batches():
            writer.writerows(batch)
            counter[0] += len(batch)
            if buffer.tell() >= BLOCK:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    else:
        for row in table.rows():
            writer.writerow([csv_cell(v) for v in row])
            counter[0] += 1
            if buffer.tell() >= BLOCK:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _copied(sql: str, params: list, counter: list[int]) -> Iterator[bytes]:
    """``COPY (sql) TO STDOUT`` as CSV, in blocks of about :data:`BLOCK` bytes; the rows counted at the end."""
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            parts: list[bytes] = []
            size = 0
            for data in copy:
                parts.append(bytes(data))
                size += len(data)
                if size >= BLOCK:
                    yield b"".join(parts)
                    parts, size = [], 0
            if parts:
                yield b"".join(parts)
        counter[0] = cursor.cursor.rowcount


def _numeric(value):
    if value is None:
        return float("nan")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


@dataclass
class Frame:
    """A table as pyreadstat takes it: the data frame, its row count, variable labels, value
    labels, and how the reasons items are empty are declared (:func:`_reasons`)."""

    df: Any
    rows: int
    labels: dict[str, str]
    value_labels: dict[str, dict]
    missing: dict[str, list]  # Stata: the extended missing values; SPSS: the user-missing range
    specials: list[tuple[int, str, str]]  # SAS transport: (row, variable, letter) to set in the file


def _reason_value(code: str, fmt: str):
    """The value a numeric cell empty for reason ``code`` holds in ``fmt``."""
    if fmt == "dta":
        return SAS_LETTERS[code].lower()  # an extended missing value, .a to .z
    if fmt == "sav":
        return float(SPSS_CODES[code])  # in the range declared user-missing
    return float("nan")  # SAS transport: set to .A to .Z in the file afterwards


def _reasons(fmt: str) -> tuple[list, dict]:
    """How ``fmt`` declares the reasons on a numeric variable, and their value labels."""
    if fmt == "dta":
        letters = {SAS_LETTERS[c].lower(): c.label for c in MissingCode}
        return list(letters), letters
    if fmt == "sav":
        return [{"lo": float(SPSS_RANGE[0]), "hi": float(SPSS_RANGE[1])}], {
            float(SPSS_CODES[c]): c.label for c in MissingCode
        }
    return [], {}


def _cells(table: Table, fmt: str, names: list[str], codes: dict[str, dict]):
    """The table's columns as lists, the row count, and the SAS transport cells to set."""
    data: dict[str, list] = {n: [] for n in names}
    at = {c.name: i for i, c in enumerate(table.columns)}
    reason_at = [at[c.reason_in] if c.reason_in else None for c in table.columns]
    specials: list[tuple[int, str, str]] = []
    rows = 0
    for row in table.rows():
        rows += 1
        if rows > STAT_MAX_ROWS:
            raise Invalid(
                f"{table.name} has more than {STAT_MAX_ROWS:,} rows, too many to build as a {fmt} file in memory",
                fields={"format": [f"Export {table.name} as csv or dataset-json: they stream, whatever the size."]},
            )
        for c, n, v, r in zip(table.columns, names, row, reason_at, strict=True):
            if n in codes:
                v = codes[n].get(v) if v is not None else None
                data[n].append(float("nan") if v is None else float(v))
            elif c.type in (INTEGER, DECIMAL, BOOLEAN):
                code = _FLAVOUR_CODES.get(row[r]) if r is not None and v is None else None
                data[n].append(_numeric(v) if code is None else _reason_value(code, fmt))
                if code is not None and fmt == "xpt":
                    specials.append((rows - 1, n, SAS_LETTERS[code]))
            elif c.type == DATE:
                data[n].append(v if isinstance(v, dt.date) else None)
            else:
                data[n].append("" if v is None else str(v))
    return data, rows, specials


def _dtype(column, coded: bool, values: list):
    """The column's pandas type: dates stay ``datetime.date`` objects (pyreadstat writes them as
    dates, not date-times); an empty numeric column is declared numeric, as its value labels are."""
    if column.type == DATE:
        return object
    if not values and (coded or column.type in (INTEGER, DECIMAL, BOOLEAN)):
        return "float64"
    return None


def frame(table: Table, fmt: str) -> Frame:
    """The table as a pandas data frame for pyreadstat, with its labels and, for a numeric column
    with a ``reason_in`` column, the reason each empty cell has as ``fmt`` says it."""
    import pandas as pd

    xpt = fmt == "xpt"
    names = [c.short if xpt else c.name for c in table.columns]
    codes: dict[str, dict] = {}
    for c, n in zip(table.columns, names, strict=True):
        if c.coded and not xpt:
            codes[n] = {code: i for i, code in enumerate(c.values or {}, start=1)}
    data, rows, specials = _cells(table, fmt, names, codes)
    df = pd.DataFrame(
        {
            n: pd.Series(data[n], dtype=_dtype(c, n in codes, data[n]))
            for c, n in zip(table.columns, names, strict=True)
        },
        columns=names,
    )
    labels = {n: c.label for c, n in zip(table.columns, names, strict=True)}
    value_labels: dict[str, dict] = {}
    missing: dict[str, list] = {}
    declared, reason_labels = _reasons(fmt)
    if not xpt:
        for c, n in zip(table.columns, names, strict=True):
            if n in codes:
                value_labels[n] = {float(i): str(code) for code, i in codes[n].items()}
            elif c.values and c.type in (INTEGER, BOOLEAN):
                value_labels[n] = {float(k): str(v) for k, v in c.values.items()}
            if c.reason_in:
                value_labels[n] = {**value_labels.get(n, {}), **reason_labels}
                missing[n] = declared
    return Frame(df, rows, labels, value_labels, missing, specials)


def write_stat(table: Table, fmt: str, path: Path) -> int:
    """Write ``table`` as ``fmt`` (dta, sav or xpt) to ``path``; returns the number of rows.

    A numeric value empty for a reason (``Column.reason_in``) is written as Stata's extended
    missing value, SPSS's user-missing code, or SAS's special missing value of the reason
    (:mod:`core.missing`), each labelled with the reason where the format has value labels."""
    import pyreadstat

    f = frame(table, fmt)
    if fmt == "xpt":
        pyreadstat.write_xport(
            f.df,
            str(path),
            file_label=table.label[:40],
            column_labels=f.labels,
            table_name=table.member,
            file_format_version=5,
        )
        if f.specials:
            special_missing_set(path, f.specials)
    elif fmt == "dta":
        pyreadstat.write_dta(
            f.df,
            str(path),
            file_label=table.label[:80],
            column_labels=f.labels,
            variable_value_labels=f.value_labels,
            missing_user_values=f.missing or None,
        )
    elif fmt == "sav":
        pyreadstat.write_sav(
            f.df,
            str(path),
            file_label=table.label[:64],
            column_labels=f.labels,
            variable_value_labels=f.value_labels,
            missing_ranges=f.missing or None,
        )
    else:
        raise ValueError(f"not a pyreadstat format: {fmt}")
    return f.rows
