"""Exports for investigators: a trial's data as files, each one permitted, blinded and audited.

:func:`export_open` is the one way in, for the API and the ``export`` command alike:

1. :func:`outcomes.exports.policy.export_scope` decides whether the user may export and which
   sites and factor columns the file may carry (403 otherwise);
2. an :class:`~outcomes.models.ExportLog` row records who, what, when and with which filters;
3. the file is produced, from one consistent view of the database (:func:`core.db.snapshot`:
   what others commit meanwhile is not seen): CSV and Dataset-JSON as a stream of blocks
   (``ExportFile.chunks``), Stata, SPSS, SAS transport and ODM written to a temporary file
   (``ExportFile.path``);
4. when the last byte is produced the log is completed with the row count, size and SHA-256.

Datasets (``DATASETS``): ``endpoints``, ``adsl``, ``adtte``, ``drinking``, ``signatures`` (the
investigators' signatures, each valid or not), ``dictionary`` in the tabular formats (``csv``,
``dta``, ``sav``, ``xpt``, ``dataset-json``); ``clinical`` in ``odm``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.db import snapshot
from core.errors import Invalid
from outcomes.exports import adam, dataset_json, odm, signatures, tables, tabular
from outcomes.exports.log import export_log_close, export_log_open
from outcomes.exports.policy import ExportScope, export_scope

TABULAR_FORMATS = ("csv", "dta", "sav", "xpt", "dataset-json")
FORMATS = (*TABULAR_FORMATS, "odm")
TABULAR_DATASETS = ("endpoints", "adsl", "adtte", "drinking", "signatures", "dictionary")
DATASETS = (*TABULAR_DATASETS, "clinical")
DEFAULT_DATASETS = dict.fromkeys(TABULAR_FORMATS, ("endpoints", "adsl", "adtte", "dictionary")) | {"odm": ("clinical",)}
EXTENSIONS = {"csv": "csv", "dta": "dta", "sav": "sav", "xpt": "xpt", "dataset-json": "json", "odm": "xml"}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "dta": "application/x-stata-dta",
    "sav": "application/x-spss-sav",
    "xpt": "application/x-sas-xport",
    "dataset-json": "application/json",
    "odm": "application/xml",
}
_BUILDERS: dict[str, Callable[[ExportScope], tables.Table]] = {
    "endpoints": tables.endpoint_table,
    "adsl": adam.adsl_table,
    "adtte": adam.adtte_table,
    "drinking": tables.drinking_table,
    "signatures": signatures.signatures_table,
}

__all__ = ["DATASETS", "FORMATS", "ExportFile", "export_open", "export_scope"]


@dataclass
class ExportFile:
    """One export under way. Exactly one of ``chunks`` (a stream to read to the end) and
    ``path`` (a finished temporary file, the caller's to move or delete) is set."""

    filename: str
    content_type: str
    log: object
    chunks: Iterator[bytes] | None = None
    path: Path | None = None


def table_for(scope: ExportScope, dataset: str) -> tables.Table:
    if dataset == "dictionary":
        names = ("endpoints", "adsl", "adtte", "drinking", "signatures")
        return tables.dictionary_table([_BUILDERS[name](scope) for name in names])
    return _BUILDERS[dataset](scope)


def _check(fmt: str, dataset: str) -> None:
    if fmt not in FORMATS:
        raise Invalid("unknown export format", fields={"format": [f"Choose one of: {', '.join(FORMATS)}."]})
    allowed = ("clinical",) if fmt == "odm" else TABULAR_DATASETS
    if dataset not in allowed:
        raise Invalid(
            "this dataset is not exported in this format", fields={"dataset": [f"Choose one of: {', '.join(allowed)}."]}
        )


def export_open(*, user, trial, format: str, dataset: str | None = None, via: str, blinded: bool = False) -> ExportFile:
    """Start an export of ``dataset`` of ``trial`` as ``format`` for ``user`` (None: the system).

    Raises Forbidden (403) when the user may not export, Invalid (400) for an unknown format or
    dataset. Logged before any data is read; the log is completed when the file is whole.
    """
    if not dataset and format in FORMATS:
        dataset = DEFAULT_DATASETS[format][0]
    _check(format, dataset or "")
    scope = export_scope(user=user, trial=trial, blinded=blinded)
    log = export_log_open(
        trial=trial,
        user=user,
        format=format,
        dataset=dataset,
        filters=scope.filters(),
        factors=list(scope.factors),
        via=via,
    )
    filename = f"{trial.code}_{dataset}.{EXTENSIONS[format]}"
    if format in ("csv", "dataset-json"):
        counter = [0]
        version = trial.version_on()

        def blocks() -> Iterator[bytes]:
            # The data are read when the first block is asked for, all of them in one snapshot.
            with snapshot():
                table = table_for(scope, dataset)
                if format == "csv":
                    yield from tabular.csv_chunks(table, counter)
                else:
                    yield from dataset_json.chunks(
                        table,
                        counter,
                        study_oid=trial.code,
                        metadata_version_oid=f"MDV.{version.number}",
                        file_oid=f"{trial.code}.{table.member}.{log.pk}",
                    )

        return ExportFile(filename, CONTENT_TYPES[format], log, chunks=_logged(blocks(), log, counter))
    handle, name = tempfile.mkstemp(prefix="export-", suffix=f".{EXTENSIONS[format]}")
    os.close(handle)
    path = Path(name)
    try:
        with snapshot():
            if format == "odm":
                rows = odm.write(scope, str(path))
            else:
                rows = tabular.write_stat(table_for(scope, dataset), format, path)
        digest, size = _digest(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    export_log_close(log=log, rows=rows, size=size, sha256=digest)
    return ExportFile(filename, CONTENT_TYPES[format], log, path=path)


def _logged(blocks: Iterator[bytes], log, counter: list[int]) -> Iterator[bytes]:
    """The blocks as they come; the log completed once the last is out. A stream closed early (a
    client that hung up) closes ``blocks`` at once, ending its snapshot, and leaves the log open."""
    digest = hashlib.sha256()
    size = 0
    try:
        for block in blocks:
            digest.update(block)
            size += len(block)
            yield block
    finally:
        blocks.close()
    export_log_close(log=log, rows=counter[0], size=size, sha256=digest.hexdigest())


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
