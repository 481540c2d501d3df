"""Tables as CDISC Dataset-JSON 1.1, streamed.

One JSON document per table: the dataset's metadata and columns first, then ``rows`` written as
they arrive (so memory stays flat), then ``records``, the row count, which is only known at the
end (JSON objects are unordered, and the schema asks only that it be there).

Types follow the standard: ``string``, ``integer``, ``decimal`` (written as a string, so no
digit is lost), ``date`` (``YYYY-MM-DD``) and ``boolean``; a missing value is ``null``.
Variable names are those of the CSV; ``itemOID`` is ``IT.<DATASET>.<NAME>``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from outcomes.exports.tables import BOOLEAN, DATE, DECIMAL, INTEGER, STRING, Table

VERSION = "1.1.0"
BLOCK = 256 * 1024
_TYPES = {STRING: "string", INTEGER: "integer", DECIMAL: "decimal", DATE: "date", BOOLEAN: "boolean"}


def _value(value, kind: str):
    if value is None:
        return None
    if kind == DECIMAL:
        return str(value) if isinstance(value, Decimal) else str(Decimal(str(value)))
    if kind == DATE:
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    if kind == INTEGER:
        return int(value)
    if kind == BOOLEAN:
        return bool(value)
    return str(value)


def header(table: Table, *, study_oid: str, metadata_version_oid: str, file_oid: str) -> dict:
    now = timezone.now().replace(microsecond=0).isoformat()
    columns = []
    for c in table.columns:
        column = {
            "itemOID": f"IT.{table.member}.{c.name}",
            "name": c.name,
            "label": c.label,
            "dataType": _TYPES[c.type],
        }
        if c.name in table.keys:
            column["keySequence"] = table.keys.index(c.name) + 1
        if c.type == DECIMAL:
            column["targetDataType"] = "decimal"
        columns.append(column)
    return {
        "creationDateTime": now,
        "datasetJSONVersion": VERSION,
        "fileOID": file_oid,
        "asOfDateTime": now,
        "originator": "Trial tracker",
        "sourceSystem": {"name": "trialtracker", "version": "0.1.0"},
        "studyOID": study_oid,
        "metaDataVersionOID": metadata_version_oid,
        "itemGroupOID": f"IG.{table.member}",
        "isReferenceData": table.name == "dictionary",
        "name": table.member,
        "label": table.label,
        "columns": columns,
    }


def chunks(table: Table, counter: list[int], **oids: str) -> Iterator[bytes]:
    """The table as one Dataset-JSON document, in blocks; ``counter[0]`` holds the rows so far."""
    head = json.dumps(header(table, **oids), ensure_ascii=False)
    parts = [head[:-1], ', "rows": [']
    size = 0
    kinds = [c.type for c in table.columns]
    first = True
    for row in table.rows():
        text = json.dumps([_value(v, k) for v, k in zip(row, kinds, strict=True)], ensure_ascii=False)
        parts.append(text if first else "," + text)
        first = False
        counter[0] += 1
        size += len(text) + 1
        if size >= BLOCK:
            yield "".join(parts).encode()
            parts, size = [], 0
    parts.append(f'], "records": {counter[0]}}}\n')
    yield "".join(parts).encode()
