"""Loading a licensed medical dictionary release: MedDRA from its ASCII files, or the CTCAE v5 term
list as CSV. Nothing licensed ships with the tracker; a unit loads the release it holds.

MedDRA's ASCII files (``MedAscii/`` of a release) are ``$``-delimited, one record a line, each
ending with ``$``. Four are read, with the fields the MedDRA Distribution File Format Document
gives them (later fields are ignored):

* ``soc.asc``: soc_code, soc_name, soc_abbrev, ...
* ``pt.asc``: pt_code, pt_name, null_field, pt_soc_code (the primary SOC), ...
* ``llt.asc``: llt_code, llt_name, pt_code, five legacy codes, llt_icd10_code, llt_currency (Y/N), ...
* ``mdhier.asc``: pt_code, hlt_code, hlgt_code, soc_code, pt_name, hlt_name, hlgt_name, soc_name,
  soc_abbrev, null_field, pt_soc_code, primary_soc_fg (Y on the PT's primary path), ...

Each LLT is stored with its PT and the PT's primary SOC, which ``pt.asc`` and the primary rows of
``mdhier.asc`` must agree on. The CTCAE list is a CSV with the columns ``MedDRA Code``, ``MedDRA
SOC``, ``CTCAE Term`` and ``Grade 1`` to ``Grade 5`` (``-`` where a grade does not apply).

Parsing reads every file before anything is written and names each problem with its file and line;
:func:`dictionary_load` then writes the release and its terms in one transaction, or nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import IntegrityError, transaction

from core import audit
from core.errors import Conflict, Forbidden, Invalid
from core.permissions import has_role
from core.roles import LOAD_DICTIONARIES
from participants.models import DictionaryKind, DictionaryRelease, DictionaryTerm

MEDDRA_FILES = ("soc.asc", "pt.asc", "llt.asc", "mdhier.asc")
CTCAE_COLUMNS = ("MedDRA Code", "MedDRA SOC", "CTCAE Term", "Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5")
# fewest fields a record of each file has (its trailing "$" aside)
FIELDS = {"soc.asc": 3, "pt.asc": 4, "llt.asc": 10, "mdhier.asc": 12}
CODE = re.compile(r"^[0-9]{8}$")
VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,19}$")
BATCH = 5000
# enough to fix a file in one pass without drowning the reader
MOST_PROBLEMS = 20

Progress = Callable[[str, int], None]


class DictionaryInvalid(Invalid):
    """The files are not a release this loader reads; ``fields`` maps ``file line N`` to problems."""


@dataclass
class _Files:
    problems: dict[str, list[str]] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)

    def problem(self, where: str, message: str) -> None:
        if len(self.problems) < MOST_PROBLEMS:
            self.problems.setdefault(where, []).append(message)

    def read(self, path: Path) -> str:
        """The file's text (UTF-8, or Windows-1252 as older releases were written); its SHA-256 kept."""
        data = path.read_bytes()
        self.sha256[path.name] = hashlib.sha256(data).hexdigest()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1252", errors="replace")


def _records(files: _Files, path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's records with their line numbers, the ``$`` fields of each; a short record or one
    without its closing ``$`` is a problem named by its line, and skipped."""
    name = path.name
    for number, line in enumerate(files.read(path).splitlines(), start=1):
        if not line.strip():
            continue
        if not line.endswith("$"):
            files.problem(f"{name} line {number}", "a record ends with $")
            continue
        values = line[:-1].split("$")
        if len(values) < FIELDS[name]:
            files.problem(f"{name} line {number}", f"{len(values)} field(s), at least {FIELDS[name]} expected")
            continue
        yield number, [v.strip() for v in values]


def _coded(files: _Files, where: str, code: str, name: str, what: str) -> bool:
    ok = True
    if not CODE.match(code):
        files.problem(where, f"the {what} code {code!r} is not 8 digits")
        ok = False
    if not name:
        files.problem(where, f"the {what} has no name")
        ok = False
    return ok


def parse_meddra(directory: Path, *, progress: Progress | None = None) -> tuple[list[DictionaryTerm], dict]:
    """The release's terms (not saved) and the SHA-256 of each file read; raises
    :class:`DictionaryInvalid` naming every problem (up to twenty) with its file and line."""
    files = _Files()
    missing = [name for name in MEDDRA_FILES if not (directory / name).is_file()]
    if missing:
        raise DictionaryInvalid(
            f"{directory} is not a MedDRA ASCII directory", fields={"files": [f"missing: {', '.join(missing)}"]}
        )
    socs: dict[str, str] = {}
    for number, values in _records(files, directory / "soc.asc"):
        if _coded(files, f"soc.asc line {number}", values[0], values[1], "SOC"):
            socs[values[0]] = values[1]
    primary: dict[str, str] = {}
    for number, values in _records(files, directory / "mdhier.asc"):
        if values[11].upper() == "Y":
            if values[0] in primary and primary[values[0]] != values[3]:
                files.problem(f"mdhier.asc line {number}", f"PT {values[0]} has a second primary SOC")
            primary[values[0]] = values[3]
    pts: dict[str, tuple[str, str]] = {}
    for number, values in _records(files, directory / "pt.asc"):
        where = f"pt.asc line {number}"
        code, name, soc = values[0], values[1], values[3]
        if not _coded(files, where, code, name, "PT"):
            continue
        soc = primary.get(code, soc)
        if values[3] and values[3] != soc:
            files.problem(where, f"primary SOC {values[3]} differs from mdhier.asc's {soc}")
        elif soc not in socs:
            files.problem(where, f"primary SOC {soc!r} is not in soc.asc")
        else:
            pts[code] = (name, soc)
    terms = []
    seen: set[str] = set()
    for number, values in _records(files, directory / "llt.asc"):
        where = f"llt.asc line {number}"
        code, name, pt, currency = values[0], values[1], values[2], values[9].upper()
        if not _coded(files, where, code, name, "LLT"):
            continue
        if code in seen:
            files.problem(where, f"LLT {code} is listed twice")
        elif pt not in pts:
            files.problem(where, f"its PT {pt!r} is not in pt.asc")
        elif currency not in ("Y", "N"):
            files.problem(where, f"llt_currency is {values[9]!r}, not Y or N")
        else:
            seen.add(code)
            pt_name, soc = pts[pt]
            terms.append(
                DictionaryTerm(
                    llt_code=code, llt_name=name, pt_code=pt, pt_name=pt_name, soc_code=soc, soc_name=socs[soc],
                    current=currency == "Y",
                )
            )  # fmt: skip
        if progress is not None and number % 10000 == 0:
            progress("llt.asc", number)
    if files.problems:
        raise DictionaryInvalid(f"{directory} is not a valid MedDRA release", fields=files.problems)
    return terms, files.sha256


def parse_ctcae(path: Path, *, progress: Progress | None = None) -> tuple[list[DictionaryTerm], dict]:
    """The CTCAE list's terms (not saved) and the file's SHA-256; raises :class:`DictionaryInvalid`
    naming every problem (up to twenty) with its line."""
    files = _Files()
    if not path.is_file():
        raise DictionaryInvalid(f"no file {path}", fields={"file": ["not found"]})
    reader = csv.DictReader(io.StringIO(files.read(path)))
    absent = [c for c in CTCAE_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        raise DictionaryInvalid(
            f"{path.name} is not a CTCAE term list",
            fields={f"{path.name} line 1": [f"missing column(s) {', '.join(absent)}"]},
        )
    terms, seen = [], set()
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        code, soc, term = ((row.get(c) or "").strip() for c in CTCAE_COLUMNS[:3])
        if not _coded(files, where, code, term, "CTCAE term's MedDRA"):
            continue
        if not soc:
            files.problem(where, "the MedDRA SOC is empty")
        elif code in seen:
            files.problem(where, f"MedDRA code {code} is listed twice")
        else:
            seen.add(code)
            grades = {str(g): _grade(row.get(f"Grade {g}")) for g in range(1, 6)}
            terms.append(
                DictionaryTerm(llt_code=code, llt_name=term, pt_code=code, pt_name=term, soc_name=soc, grades=grades)
            )
        if progress is not None and reader.line_num % 10000 == 0:
            progress(path.name, reader.line_num)
    if files.problems:
        raise DictionaryInvalid(f"{path.name} is not a valid CTCAE term list", fields=files.problems)
    return terms, files.sha256


def _grade(text: str | None) -> str:
    text = (text or "").strip()
    return "" if text in ("-", "\u2013", "\u2014") else text


def dictionary_load(
    *, actor, kind: str, version: str, source: str | Path, progress: Progress | None = None
) -> DictionaryRelease:
    """Load one release of a dictionary: ``source`` is MedDRA's ASCII directory or the CTCAE CSV.

    An administrator or a data manager loads; a release is loaded once (a second load of its kind
    and version is a 409); the files are read and checked whole before anything is written, then
    the release and its terms are written in one transaction. Raises :class:`DictionaryInvalid`
    naming each problem's file and line.
    """
    if actor is None or not has_role(actor, LOAD_DICTIONARIES):
        raise Forbidden("only an administrator or a data manager loads a dictionary")
    if kind not in DictionaryKind.values:
        raise Invalid("unknown dictionary", fields={"kind": [f"Choose one of: {', '.join(DictionaryKind.values)}."]})
    if not VERSION.match(version or ""):
        raise Invalid("not a version", fields={"version": ["Give the release's version, such as 27.1."]})
    if DictionaryRelease.objects.filter(kind=kind, version=version).exists():
        raise Conflict(f"{DictionaryKind(kind).label} {version} is already loaded", code="duplicate")
    parse = parse_meddra if kind == DictionaryKind.MEDDRA else parse_ctcae
    terms, sha256 = parse(Path(source), progress=progress)
    if not terms:
        raise DictionaryInvalid("the files hold no terms", fields={"files": ["no term to load"]})
    try:
        with transaction.atomic(), audit.context(actor=actor, reason=f"dictionary loaded from {Path(source).name}"):
            release = DictionaryRelease.objects.create(
                kind=kind, version=version, loaded_by=actor, sha256=sha256, terms_loaded=len(terms)
            )
            for term in terms:
                term.release = release
            DictionaryTerm.objects.bulk_create(terms, batch_size=BATCH)
    except IntegrityError:
        raise Conflict(f"{DictionaryKind(kind).label} {version} is already loaded", code="duplicate") from None
    return release
