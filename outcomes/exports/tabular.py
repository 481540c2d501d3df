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
* Stata and SPSS: variable names as in CSV, variable labels, and value labels: a factor column is
  stored as its level's position in the protocol (1, 2, ...) labelled with the level's code, so
  that reading it back with value labels applied gives the CSV's text; the data dictionary gives
  the level titles.
* SAS transport version 5: upper-case names of at most 8 characters (the ``short`` name of each
  column, listed in the data dictionary), labels of at most 40, text as is (the format has no
  value labels), dates as SAS dates.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from django.db import connection

from core.errors import Invalid
from outcomes.exports.tables import BOOLEAN, DATE, DECIMAL, INTEGER, Table

BLOCK = 256 * 1024
STAT_FORMATS = ("dta", "sav", "xpt")
STAT_MAX_ROWS = 250_000  # about 70 MB of Python objects while the frame is built


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
    bytes as Python's writer gives for such rows (no value is empty, none holds a comma, a quote or
    a line break), at the speed of COPY.
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


def frame(table: Table, fmt: str):
    """The table as a pandas data frame for pyreadstat, with its labels.

    Returns ``(frame, rows, labels, value_labels)``."""
    import pandas as pd

    xpt = fmt == "xpt"
    names = [c.short if xpt else c.name for c in table.columns]
    data: dict[str, list] = {n: [] for n in names}
    codes: dict[str, dict] = {}
    for c, n in zip(table.columns, names, strict=True):
        if c.factor and not xpt:
            codes[n] = {code: i for i, code in enumerate(c.values or {}, start=1)}
    rows = 0
    for row in table.rows():
        rows += 1
        if rows > STAT_MAX_ROWS:
            raise Invalid(
                f"{table.name} has more than {STAT_MAX_ROWS:,} rows, too many to build as a {fmt} file in memory",
                fields={"format": [f"Export {table.name} as csv or dataset-json: they stream, whatever the size."]},
            )
        for c, n, v in zip(table.columns, names, row, strict=True):
            if n in codes:
                v = codes[n].get(v) if v is not None else None
                data[n].append(float("nan") if v is None else float(v))
            elif c.type in (INTEGER, DECIMAL, BOOLEAN):
                data[n].append(_numeric(v))
            elif c.type == DATE:
                data[n].append(v if isinstance(v, dt.date) else None)
            else:
                data[n].append("" if v is None else str(v))
    # Dates stay ``datetime.date`` objects: pyreadstat writes them as dates (not date-times).
    df = pd.DataFrame(
        {
            n: pd.Series(data[n], dtype=object if c.type == DATE else None)
            for c, n in zip(table.columns, names, strict=True)
        },
        columns=names,
    )
    labels = {n: c.label for c, n in zip(table.columns, names, strict=True)}
    value_labels: dict[str, dict] = {}
    if not xpt:
        for c, n in zip(table.columns, names, strict=True):
            if n in codes:
                value_labels[n] = {float(i): str(code) for code, i in codes[n].items()}
            elif c.values and c.type in (INTEGER, BOOLEAN):
                value_labels[n] = {float(k): str(v) for k, v in c.values.items()}
    return df, rows, labels, value_labels


def write_stat(table: Table, fmt: str, path: Path) -> int:
    """Write ``table`` as ``fmt`` (dta, sav or xpt) to ``path``; returns the number of rows."""
    import pyreadstat

    df, rows, labels, value_labels = frame(table, fmt)
    if fmt == "xpt":
        pyreadstat.write_xport(
            df,
            str(path),
            file_label=table.label[:40],
            column_labels=labels,
            table_name=table.member,
            file_format_version=5,
        )
    elif fmt == "dta":
        pyreadstat.write_dta(
            df, str(path), file_label=table.label[:80], column_labels=labels, variable_value_labels=value_labels
        )
    elif fmt == "sav":
        pyreadstat.write_sav(
            df,
            str(path),
            file_label=table.label[:64],
            column_labels=labels,
            variable_value_labels=value_labels,
        )
    else:
        raise ValueError(f"not a pyreadstat format: {fmt}")
    return rows
