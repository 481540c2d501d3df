"""The drinking endpoints of every participant and window, computed by the database in one statement.

One SQL statement (see :func:`_sql`) does the work over the records:

1. ``scope``: the randomised participants asked for, with their anchor (the allocation date),
   sex-specific heavy-day threshold and the date they stopped follow-up, if they did;
2. ``ranked``: the drinking records of those participants, numbered per participant-day by the
   protocol's ``source_priority`` (``ROW_NUMBER()``); sources the protocol does not list are left out;
3. ``ev``: the record chosen for each participant-day (row number 1) and every positive
   biomarker sample, each with its day counted from the anchor;
4. ``agg``: joined to a ``VALUES`` list of the protocol's windows (plus the baseline look-back)
   and grouped by participant and window with conditional aggregates;
5. every participant crossed with every window, left-joined to ``agg``, so that a window without
   a single record still appears (with nothing assessed).

Python then turns each aggregate row into percentages and levels (:func:`_derive`), row by row.

Definitions (windows in study days: day 1 is the anchor date, day -1 the day before, no day 0):

* assessed days: days of the window with a record; a day without one is missing, never abstinent;
* abstinent: 0 g; drinking: more than 0 g; heavy: at least ``heavy_day_grams[sex]``;
* PDA, PHDD: abstinent and heavy days as a percentage of assessed days;
* DDD: grams on drinking days / drinking days, in the protocol's unit;
* grams per day: grams / assessed days; completeness: assessed days / days in the window;
* relapse: the protocol's rule (first heavy or first drinking day in the window); with
  ``biochemically_verified`` a positive biomarker sample counts on its sample day; with
  ``dropout_counts_as_relapse`` stopping follow-up on or before the window's end counts, on the
  later of that day and the window's first day. Empty when the window has no assessed day and no
  such event;
* PSNHDD responder: no heavy day among the days after the window's first ``psnhdd_grace_days``
  days; empty when none of those days is assessed;
* WHO risk level of the mean grams per assessed day (0 abstinent, 1 low, 2 medium, 3 high,
  4 very high), at baseline (the ``baseline_lookback_days`` before the anchor) and in the window.

Every undefined value (no assessed day, no drinking day) is ``None``, never 0. Percentages and
ratios are computed in IEEE double precision and then rounded half up to 2 decimals on the
double's exact value (so 1156/160 = 7.225, held as 7.22499999999999964..., gives 7.22).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

BASELINE = "baseline"
WHO_LEVELS = {0: "abstinent", 1: "low", 2: "medium", 3: "high", 4: "very high"}
# Upper bounds (g/day, inclusive) of the WHO low, medium and high levels; above the last is very high.
WHO_BOUNDS = {"F": (Decimal(20), Decimal(40), Decimal(60)), "M": (Decimal(40), Decimal(60), Decimal(100))}
CENT = Decimal("0.01")

COLUMNS = (
    "study_id",
    "window",
    "window_start_day",
    "window_end_day",
    "days_in_window",
    "assessed_days",
    "abstinent_days",
    "drinking_days",
    "heavy_days",
    "pda",
    "phdd",
    "ddd",
    "grams_per_day",
    "first_drink_day",
    "first_heavy_day",
    "relapse",
    "relapse_day",
    "completeness",
)


@dataclass
class EndpointRow:
    participant_id: int
    study_id: str
    window: str
    window_start_day: int
    window_end_day: int
    days_in_window: int
    assessed_days: int
    abstinent_days: int
    drinking_days: int
    heavy_days: int
    total_grams: Decimal
    pda: Decimal | None
    phdd: Decimal | None
    ddd: Decimal | None
    grams_per_day: Decimal | None
    first_drink_day: int | None
    first_heavy_day: int | None
    last_assessed_day: int | None
    first_positive_marker_day: int | None
    relapse: int | None
    relapse_day: int | None
    psnhdd_responder: bool | None
    who_level_baseline: int | None
    who_level: int | None
    who_level_drop: int | None
    completeness: Decimal
    levels: dict[str, str] = field(default_factory=dict)


def half_up(value: float) -> Decimal:
    """``value`` to 2 decimals, half up on the exact value of the double."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def to_diff(study_day: int) -> int:
    """Days after the anchor date (0 = the anchor) of a study day."""
    return study_day - 1 if study_day > 0 else study_day


def to_study_day(diff: int | None) -> int | None:
    if diff is None:
        return None
    return diff + 1 if diff >= 0 else diff


def who_level(mean_grams: Decimal | None, sex: str) -> int | None:
    """The WHO risk drinking level of a mean daily intake (None when nothing was assessed)."""
    if mean_grams is None:
        return None
    if mean_grams <= 0:
        return 0
    for level, bound in enumerate(WHO_BOUNDS[sex], start=1):
        if mean_grams <= bound:
            return level
    return 4


@dataclass(frozen=True)
class _Window:
    code: str
    start: int
    end: int
    grace_diff: int

    @property
    def start_diff(self) -> int:
        return to_diff(self.start)

    @property
    def end_diff(self) -> int:
        return to_diff(self.end)

    @property
    def days(self) -> int:
        return self.end_diff - self.start_diff + 1


def windows_of(outcomes) -> list[_Window]:
    """The baseline look-back first (position 0), then the protocol's windows in order."""
    baseline = []
    if outcomes.baseline_lookback_days > 0:
        baseline = [_Window(BASELINE, -outcomes.baseline_lookback_days, -1, grace_diff=0)]
    return baseline + [
        _Window(w.code, w.start, w.end, grace_diff=to_diff(w.start) + outcomes.psnhdd_grace_days)
        for w in outcomes.windows
    ]


def _diff_sql(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _sql(*, n_windows: int, n_sources: int, n_sites: int | None, n_participants: int | None) -> str:
    postgres = connection.vendor == "postgresql"
    num = "numeric" if postgres else "REAL"
    values = ", ".join(["(" + ", ".join(["CAST(%s AS integer)"] * 4) + ")"] * n_windows)
    sources = ", ".join(["(CAST(%s AS varchar(20)), CAST(%s AS integer))"] * n_sources)
    where = "p.trial_id = %s"
    if n_sites is not None:
        where += " AND p.site_id IN (" + ", ".join(["%s"] * n_sites) + ")" if n_sites else " AND 1 = 0"
    if n_participants is not None:
        where += " AND p.id IN (" + ", ".join(["%s"] * n_participants) + ")" if n_participants else " AND 1 = 0"
    diff = _diff_sql("x.day", "s.anchor")
    dropout = _diff_sql("s.dropout_on", "s.anchor")
    return f"""
WITH win (pos, start_diff, end_diff, grace_diff) AS (VALUES {values}),
pri (source, rank) AS (VALUES {sources}),
scope AS (
    SELECT p.id AS pid, p.study_id AS study_id, p.sex AS sex, a.allocated_on AS anchor,
           CASE WHEN p.sex = 'F' THEN CAST(%s AS {num}) ELSE CAST(%s AS {num}) END AS heavy,
           (SELECT MIN(w.withdrawn_on) FROM participants_withdrawal w
             WHERE w.participant_id = p.id AND w.scope IN ('follow_up', 'data_use')) AS dropout_on
      FROM participants_participant p
      JOIN participants_allocation a ON a.participant_id = p.id
     WHERE {where}
),
ranked AS (
    SELECT r.participant_id AS pid, r.day AS day, r.grams AS grams,
           ROW_NUMBER() OVER (PARTITION BY r.participant_id, r.day ORDER BY pri.rank) AS rn
      FROM outcomes_drinkingrecord r
      JOIN pri ON pri.source = r.source
     WHERE r.participant_id IN (SELECT pid FROM scope)
),
ev AS (
    SELECT x.pid AS pid, {diff} AS diff, x.kind AS kind, x.grams AS grams,
           CASE WHEN x.kind = 0 AND x.grams >= s.heavy THEN 1 ELSE 0 END AS heavy
      FROM (SELECT pid, day, grams, 0 AS kind FROM ranked WHERE rn = 1
            UNION ALL
            SELECT b.participant_id, b.taken_on, NULL, 1 FROM outcomes_biomarkersample b
             WHERE b.positive AND b.participant_id IN (SELECT pid FROM scope)) x
      JOIN scope s ON s.pid = x.pid
),
agg AS (
    SELECT ev.pid AS pid, win.pos AS pos,
           SUM(CASE WHEN ev.kind = 0 THEN 1 ELSE 0 END) AS assessed,
           SUM(CASE WHEN ev.kind = 0 AND ev.grams = 0 THEN 1 ELSE 0 END) AS abstinent,
           SUM(ev.heavy) AS heavy,
           SUM(CASE WHEN ev.kind = 0 THEN ev.grams END) AS grams,
           MIN(CASE WHEN ev.kind = 0 AND ev.grams > 0 THEN ev.diff END) AS first_drink,
           MIN(CASE WHEN ev.heavy = 1 THEN ev.diff END) AS first_heavy,
           MAX(CASE WHEN ev.kind = 0 THEN ev.diff END) AS last_assessed,
           MIN(CASE WHEN ev.kind = 1 THEN ev.diff END) AS first_marker,
           SUM(CASE WHEN ev.kind = 0 AND ev.diff >= win.grace_diff THEN 1 ELSE 0 END) AS assessed_late,
           SUM(CASE WHEN ev.heavy = 1 AND ev.diff >= win.grace_diff THEN 1 ELSE 0 END) AS heavy_late
      FROM ev JOIN win ON ev.diff BETWEEN win.start_diff AND win.end_diff
     GROUP BY ev.pid, win.pos
)
SELECT s.pid, s.study_id, s.sex, win.pos, {dropout},
       agg.assessed, agg.abstinent, agg.heavy, agg.grams, agg.first_drink, agg.first_heavy,
       agg.last_assessed, agg.first_marker, agg.assessed_late, agg.heavy_late
  FROM scope s CROSS JOIN win
  LEFT JOIN agg ON agg.pid = s.pid AND agg.pos = win.pos
 ORDER BY s.study_id, win.pos
"""


def compute(*, trial, site_ids=None, participant_ids=None, protocol=None) -> list[EndpointRow]:
    """Endpoints of the trial's randomised participants (those at ``site_ids`` and among
    ``participant_ids`` when given) for every window of the protocol in force, ordered by study
    id and window. Factor levels are not filled in: callers add what the user may see."""
    outcomes = (protocol or trial.version_on().protocol).outcomes
    windows = windows_of(outcomes)
    params: list = []
    for pos, w in enumerate(windows):
        params += [pos, w.start_diff, w.end_diff, w.grace_diff]
    for rank, source in enumerate(outcomes.source_priority):
        params += [str(source), rank]
    heavy = outcomes.heavy_day_grams
    postgres = connection.vendor == "postgresql"
    params += [str(heavy["F"]) if postgres else float(heavy["F"]), str(heavy["M"]) if postgres else float(heavy["M"])]
    params.append(trial.pk)
    site_ids = None if site_ids is None else sorted(site_ids)
    participant_ids = None if participant_ids is None else sorted(participant_ids)
    params += site_ids or []
    params += participant_ids or []
    sql = _sql(
        n_windows=len(windows),
        n_sources=len(outcomes.source_priority),
        n_sites=None if site_ids is None else len(site_ids),
        n_participants=None if participant_ids is None else len(participant_ids),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    return _derive(raw, windows=windows, outcomes=outcomes)


def _grams(value) -> Decimal:
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):  # SQLite sums in doubles; the true sum has 2 decimals
        return Decimal(repr(round(value, 2))).quantize(CENT)
    return Decimal(value).quantize(CENT)


def _derive(raw, *, windows: list[_Window], outcomes) -> list[EndpointRow]:
    rows: list[EndpointRow] = []
    baseline_level: dict[int, int | None] = {}
    rule_heavy = outcomes.relapse.rule == "first_heavy_day"
    unit_grams = float(outcomes.unit.grams)
    for (
        pid,
        study_id,
        sex,
        pos,
        dropout_diff,
        assessed,
        abstinent,
        heavy,
        grams,
        first_drink,
        first_heavy,
        last_assessed,
        first_marker,
        assessed_late,
        heavy_late,
    ) in raw:
        window = windows[pos]
        assessed = int(assessed or 0)
        abstinent = int(abstinent or 0)
        heavy = int(heavy or 0)
        drinking = assessed - abstinent
        total = _grams(grams)
        mean = (total / assessed) if assessed else None
        level = who_level(mean, sex)
        if window.code == BASELINE:
            baseline_level[pid] = level
            continue
        events = [first_heavy if rule_heavy else first_drink]
        if outcomes.relapse.biochemically_verified:
            events.append(first_marker)
        if outcomes.relapse.dropout_counts_as_relapse and dropout_diff is not None and dropout_diff <= window.end_diff:
            events.append(max(int(dropout_diff), window.start_diff))
        events = [e for e in events if e is not None]
        event = min(events) if events else None
        base = baseline_level.get(pid)
        rows.append(
            EndpointRow(
                participant_id=pid,
                study_id=study_id,
                window=window.code,
                window_start_day=window.start,
                window_end_day=window.end,
                days_in_window=window.days,
                assessed_days=assessed,
                abstinent_days=abstinent,
                drinking_days=drinking,
                heavy_days=heavy,
                total_grams=total,
                pda=half_up(abstinent * 100 / assessed) if assessed else None,
                phdd=half_up(heavy * 100 / assessed) if assessed else None,
                # abstinent days add 0 g, so the window's grams are the drinking days' grams
                ddd=half_up(float(total) / drinking / unit_grams) if drinking else None,
                grams_per_day=half_up(float(total) / assessed) if assessed else None,
                first_drink_day=to_study_day(first_drink),
                first_heavy_day=to_study_day(first_heavy),
                last_assessed_day=to_study_day(last_assessed),
                first_positive_marker_day=to_study_day(first_marker),
                relapse=1 if event is not None else (0 if assessed else None),
                relapse_day=to_study_day(event),
                psnhdd_responder=(int(heavy_late or 0) == 0) if assessed_late else None,
                who_level_baseline=base,
                who_level=level,
                who_level_drop=(base - level) if base is not None and level is not None else None,
                completeness=half_up(assessed * 100 / window.days),
            )
        )
    return rows
