"""The tables an export holds, described once and written by every tabular format.

A :class:`Table` is its columns (name, short name for SAS transport, label, type, value labels)
and a function giving its rows lazily, so that building a table reads no participant's data (only
the protocol and the trial's sites, for the value labels): the data dictionary is made from the
tables' columns alone, and a writer pulls rows as it writes them. Every coded variable has value
labels (``Column.values``: code → meaning).

Tables here: ``endpoints`` (one row per participant and window), ``drinking`` (the raw daily
records, read with a server-side cursor; a day without an amount has the null flavour of its
reason, :mod:`core.missing`, in ``grams_nf``) and ``dictionary``; the analysis datasets ``adsl`` and
``adtte`` are in :mod:`outcomes.exports.adam`. Every table is built from an
:class:`~outcomes.exports.policy.ExportScope`: only its sites' participants, only its factors.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from core.missing import NULL_FLAVOURS, MissingCode
from outcomes import endpoints
from outcomes.models import Source
from participants.blinding import presenter
from participants.models import Participant, Sex
from trials.models import Site

STRING, INTEGER, DECIMAL, DATE, BOOLEAN = "string", "integer", "decimal", "date", "boolean"
CHUNK = 10_000


@dataclass(frozen=True)
class Column:
    name: str  # CSV, Stata, SPSS, Dataset-JSON
    short: str  # SAS transport version 5: at most 8 characters
    label: str  # at most 40 characters (SAS transport version 5)
    type: str
    values: dict | None = None  # value labels: code → label
    factor: bool = False
    # Written in Stata and SPSS as the position of its value among ``values`` (1, 2, ...), labelled
    # with the value itself: a text variable carries value labels there only as a number.
    coded: bool = False
    # A numeric column's null flavour (core.missing) is in the column of this name: where it is
    # set, the stat formats write the value as the reason's missing value (tabular.py).
    reason_in: str | None = None

    def __post_init__(self):
        if len(self.short) > 8 or len(self.label) > 40:
            raise ValueError(f"column {self.name}: short name or label too long for SAS transport")


@dataclass
class Table:
    name: str  # the dataset's code in URLs, commands, file names
    member: str  # at most 8 characters: the SAS member and Dataset-JSON name
    label: str
    columns: list[Column]
    rows: Callable[[], Iterator[tuple]]
    keys: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)


def factor_columns(scope, taken: set[str] | None = None, *, upper: bool = False) -> list[Column]:
    """One string column per factor the scope carries (in ``scope.factors``' order), with its levels
    as value labels; their short names avoid those in ``taken``. Named by the factor's code, or
    with ``upper`` by the short name (the code upper-cased, at most 8 characters), as ADaM names are."""
    protocol = scope.trial.version_on().protocol
    taken = set() if taken is None else taken
    columns = []
    for code in scope.factors:
        spec = protocol.factor(code)
        short = unique_short(code, taken)
        columns.append(
            Column(
                name=short if upper else code,
                short=short,
                label=spec.title[:40],
                type=STRING,
                values={lv.code: lv.title for lv in spec.levels},
                factor=True,
                coded=True,
            )
        )
    return columns


YES_NO = {0: "no", 1: "yes"}
# Every attribute a protocol may stratify (or minimise) its randomisation by (``stratify_by``,
# ``minimise_over``), each a column of the endpoint table (and SITEID, SEX of the analysis datasets).
STRATUM_COLUMNS = ("site", "sex")


def site_column(scope, name: str = "site", short: str = "SITE") -> Column:
    """The participant's site, coded: the codes of the scope's sites, labelled with their names."""
    sites = Site.objects.filter(trial=scope.trial)
    if scope.site_ids is not None:
        sites = sites.filter(pk__in=scope.site_ids)
    values = dict(sites.order_by("code").values_list("code", "name"))
    return Column(name, short, "Study site identifier", STRING, values=values, coded=True)


def sex_column(name: str = "sex", short: str = "SEX") -> Column:
    return Column(name, short, "Sex", STRING, values=dict(Sex.choices), coded=True)


def unique_short(name: str, taken: set[str]) -> str:
    """An upper-case SAS name of at most 8 characters, not yet in ``taken`` (which it joins)."""
    base = re.sub(r"[^A-Z0-9_]", "_", name.upper())[:8] or "VAR"
    if base[0].isdigit():
        base = ("_" + base)[:8]
    short, n = base, 1
    while short in taken:
        suffix = str(n)
        short = base[: 8 - len(suffix)] + suffix
        n += 1
    taken.add(short)
    return short


def levels_by_participant(scope, participant_ids=None) -> dict[int, dict[str, str]]:
    """``{participant id: {factor: level}}`` for the scope's factors only (nothing when blinded)."""
    return presenter.levels_of_participants(
        trial=scope.trial, factors=scope.factors, site_ids=scope.site_ids, participant_ids=participant_ids
    )


def participants_in(scope):
    qs = Participant.objects.filter(trial=scope.trial)
    if scope.site_ids is not None:
        qs = qs.filter(site_id__in=scope.site_ids)
    return qs


# --- the endpoint table -------------------------------------------------------------------------

_ENDPOINT_COLUMNS = [
    Column("study_id", "SUBJID", "Study id", STRING),
    Column("window", "WINDOW", "Window (study days)", STRING),
    Column("window_start_day", "WINSTART", "First study day of the window", INTEGER),
    Column("window_end_day", "WINEND", "Last study day of the window", INTEGER),
    Column("days_in_window", "WINDAYS", "Days in the window", INTEGER),
    Column("assessed_days", "ASSESSED", "Days with an amount recorded", INTEGER),
    Column("abstinent_days", "ABSTDAYS", "Abstinent days (0 g)", INTEGER),
    Column("drinking_days", "DRNKDAYS", "Drinking days (more than 0 g)", INTEGER),
    Column("heavy_days", "HEAVYDAY", "Heavy drinking days", INTEGER),
    Column("pda", "PDA", "Percent days abstinent", DECIMAL),
    Column("phdd", "PHDD", "Percent heavy drinking days", DECIMAL),
    Column("ddd", "DDD", "Drinks per drinking day (units)", DECIMAL),
    Column("grams_per_day", "GPD", "Grams of ethanol per assessed day", DECIMAL),
    Column("first_drink_day", "FDRNKDAY", "Study day of the first drinking day", INTEGER),
    Column("first_heavy_day", "FHVYDAY", "Study day of the first heavy day", INTEGER),
    Column("relapse", "RELAPSE", "Relapse (protocol rule)", INTEGER, values=YES_NO),
    Column("relapse_day", "RELDAY", "Study day of relapse", INTEGER),
    Column("completeness", "COMPLETE", "Percent of the window's days assessed", DECIMAL),
    Column("unknown_days", "UNKNDAYS", "Days recorded as not known (no amount)", INTEGER),
    Column("total_grams", "TOTGRAMS", "Grams of ethanol in the window", DECIMAL),
    Column("last_assessed_day", "LASTADAY", "Study day of the last record", INTEGER),
    Column("first_positive_marker_day", "FMARKDAY", "Study day of the first positive marker", INTEGER),
    Column("psnhdd_responder", "PSNHDD", "No heavy day after the grace period", BOOLEAN, values=YES_NO),
    Column("who_level_baseline", "WHOBL", "WHO risk level at baseline", INTEGER, values=dict(endpoints.WHO_LEVELS)),
    Column("who_level", "WHOLVL", "WHO risk level in the window", INTEGER, values=dict(endpoints.WHO_LEVELS)),
    Column("who_level_drop", "WHODROP", "WHO risk levels dropped from baseline", INTEGER),
]


def endpoint_table(scope) -> Table:
    """One row per randomised participant and window of the protocol in force: the endpoint
    engine's columns, then the participant's site and sex (which hold every stratification factor
    of the randomisation), then the factors the scope carries. ``manage.py export_endpoints`` and
    ``manage.py export --dataset endpoints`` both write this table."""
    strata = [site_column(scope), sex_column()]
    factors = factor_columns(scope, taken={c.short for c in [*_ENDPOINT_COLUMNS, *strata]})

    def rows() -> Iterator[tuple]:
        computed = endpoints.compute(trial=scope.trial, site_ids=scope.site_ids)
        people = {pk: (site, sex) for pk, site, sex in participants_in(scope).values_list("pk", "site__code", "sex")}
        levels = levels_by_participant(scope)
        for row in computed:
            own = levels.get(row.participant_id, {})
            yield (
                *(getattr(row, c.name) for c in _ENDPOINT_COLUMNS),
                *people[row.participant_id],
                *(own.get(c.name) for c in factors),
            )

    return Table(
        name="endpoints",
        member="ENDPTS",
        label="Drinking endpoints per participant and window",
        columns=[*_ENDPOINT_COLUMNS, *strata, *factors],
        rows=rows,
        keys=("study_id", "window"),
    )


# --- the daily drinking records -------------------------------------------------------------------

# The null flavours (ISO 21090) of the reasons an item is empty, with the reasons' labels.
FLAVOUR_LABELS = {NULL_FLAVOURS[code]: code.label for code in MissingCode}

_DRINKING_COLUMNS = [
    Column("study_id", "SUBJID", "Study id", STRING),
    Column("date", "DATE", "Calendar date of the drinking day", DATE),
    Column("study_day", "STUDYDAY", "Study day (1 = randomisation, no 0)", INTEGER),
    Column("grams", "GRAMS", "Grams of ethanol", DECIMAL, reason_in="grams_nf"),
    Column("grams_nf", "GRAMSNF", "Why grams is empty (null flavour)", STRING, values=FLAVOUR_LABELS),
    Column("source", "SOURCE", "Source of the record", STRING, values=dict(Source.choices), coded=True),
]


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _flavour_sql(code: str) -> str:
    """SQL giving the null flavour of the reason code that ``code`` (an SQL expression) holds,
    NULL for none: a CASE made from :data:`core.missing.NULL_FLAVOURS`."""
    whens = " ".join(f"WHEN {_quoted(str(c))} THEN {_quoted(f)}" for c, f in NULL_FLAVOURS.items())
    return f"CASE {code} {whens} END"


def _drinking_sql(scope) -> tuple[str, list]:
    if connection.vendor == "postgresql":
        day = "to_char(r.day, 'YYYY-MM-DD')"
        diff = "(r.day - a.allocated_on)"
        grams = "r.grams::text"
        reason = "r.missing -> 'amount' ->> 'code'"
    else:
        day = "r.day"
        diff = "CAST(julianday(r.day) - julianday(a.allocated_on) AS INTEGER)"
        # %% for the parameter markers: one % reaches SQLite; printf gives 0.00 for NULL
        grams = "CASE WHEN r.grams IS NULL THEN NULL ELSE printf('%%.2f', r.grams) END"
        reason = "json_extract(r.missing, '$.amount.code')"
    where = "p.trial_id = %s"
    params: list = [scope.trial.pk]
    if scope.site_ids is not None:
        ids = sorted(scope.site_ids)
        where += " AND p.site_id IN (" + ", ".join(["%s"] * len(ids)) + ")" if ids else " AND 1 = 0"
        params += ids
    # Text straight from the database: the export formats nothing it does not have to. The order
    # follows the (participant, day, source) unique index, so no sort of the whole table is needed.
    sql = f"""
SELECT p.study_id, {day}, CASE WHEN {diff} >= 0 THEN {diff} + 1 ELSE {diff} END, {grams},
       {_flavour_sql(reason)}, r.source
  FROM outcomes_drinkingrecord r
  JOIN participants_participant p ON p.id = r.participant_id
  JOIN participants_allocation a ON a.participant_id = p.id
 WHERE {where}
 ORDER BY r.participant_id, r.day, r.source
"""
    return sql, params


def drinking_rows(scope, *, chunk_size: int = CHUNK) -> Iterator[list[tuple]]:
    """The raw records of the scope's randomised participants, in chunks of ``chunk_size`` rows,
    read through a server-side cursor on PostgreSQL (memory stays flat whatever the table's size).

    Dates and grams come as text (``2024-01-31``, ``12.50``), study days as integers; a day
    without an amount has no grams and the null flavour of its reason (``UNK``), others none."""
    sql, params = _drinking_sql(scope)
    # Inside a transaction the server-side cursor needs no WITH HOLD (which would copy the whole
    # result on the server before the first row), and is planned for all its rows, as COPY is.
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as setting:
                setting.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from _batches(sql, params, chunk_size)


def _batches(sql: str, params: list, chunk_size: int) -> Iterator[list[tuple]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(chunk_size):
            yield batch


def drinking_table(scope) -> Table:
    """One row per participant, day and source: the daily records as entered (in grams); a day
    without an amount (the participant cannot remember it) has empty grams and, in ``grams_nf``,
    the null flavour of its reason."""

    def rows() -> Iterator[tuple]:
        for batch in drinking_rows(scope):
            for study_id, day, *rest in batch:
                yield study_id, dt.date.fromisoformat(day) if isinstance(day, str) else day, *rest

    table = Table(
        name="drinking",
        member="DRINKING",
        label="Daily drinking records",
        columns=list(_DRINKING_COLUMNS),
        rows=rows,
        keys=("study_id", "date", "source"),
    )
    table.meta["batches"] = lambda: drinking_rows(scope)  # the CSV writer's fast path: text as is
    table.meta["copy"] = lambda: _drinking_sql(scope)  # faster still on PostgreSQL: COPY writes the CSV
    return table


# --- the data dictionary ----------------------------------------------------------------------------

_DICTIONARY_COLUMNS = [
    Column("dataset", "DATASET", "Dataset", STRING),
    Column("variable", "VARIABLE", "Variable name", STRING),
    Column("xpt_name", "XPTNAME", "Name in the SAS transport file", STRING),
    Column("label", "LABEL", "Label", STRING),
    Column("type", "TYPE", "Type", STRING),
    Column("values", "VALUES", "Value labels (code=label; ...)", STRING),
]


def dictionary_table(tables: list[Table]) -> Table:
    """Every variable of ``tables``: its names, label, type and value labels (``code=meaning; ...``:
    factor levels with their titles, sites with their names, flags...). Built from the tables'
    columns, so it lists only what the export may carry."""

    def rows() -> Iterator[tuple]:
        for table in tables:
            for c in table.columns:
                values = "; ".join(f"{k}={v}" for k, v in (c.values or {}).items())
                yield table.name, c.name, c.short, c.label, c.type, values

    return Table(
        name="dictionary",
        member="DICT",
        label="Data dictionary",
        columns=list(_DICTIONARY_COLUMNS),
        rows=rows,
        keys=("dataset", "variable"),
    )
