"""The drinking endpoints of every participant and window, computed by the database in one statement.

One SQL statement (see :func:`_sql`) does the work over the records, in one pass:

1. ``ranked``: the drinking records of the participants asked for (randomised; the trial, their
   sites, their ids), joined to their anchor (the allocation date) and sex-specific heavy-day
   threshold, each day counted from the anchor (PostgreSQL ``date - date``, SQLite ``julianday``),
   numbered per participant-day with ``ROW_NUMBER()``, records with an amount first, then by the
   protocol's ``source_priority``;
   sources the protocol does not list and days outside every window are left out;
2. ``agg``: the record chosen for each day (row number 1), grouped by participant with one set of
   conditional aggregates (``COUNT(*) FILTER (WHERE ...)``, ``MIN``, ``MAX``, ``SUM``) per window,
   the baseline look-back included. The rows arrive ordered by participant from the window
   function, so the grouping streams without a second sort;
3. ``mk``: the first positive biomarker sample of each participant in each window;
4. every participant asked for, left-joined to ``agg``, ``mk`` and the date they stopped
   follow-up, so that a participant without a single record still appears (nothing assessed).

Python then unfolds each participant's row into one row per window and turns the counts into
percentages and levels (:func:`_derive`), row by row; nothing is computed per participant with
further queries.

Definitions (windows in study days: day 1 is the anchor date, day -1 the day before, no day 0):

* assessed days: days of the window with an amount recorded; a day without a record is missing,
  never abstinent, and so is a day recorded with a reason instead of an amount (the participant
  could not remember it: counted as ``unknown_days``). Of a day's records the first source in
  ``source_priority`` with an amount is chosen; a day is unknown only when no source gives one;
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

from participants.models import Sex, WithdrawalScope
from trials.protocol import DrinkSource, RelapseRule

BASELINE = "baseline"
WHO_LEVELS = {0: "abstinent", 1: "low", 2: "medium", 3: "high", 4: "very high"}
# Upper bounds (g/day, inclusive) of the WHO low, medium and high levels; above the last is very high.
WHO_BOUNDS = {
    Sex.FEMALE: (Decimal(20), Decimal(40), Decimal(60)),
    Sex.MALE: (Decimal(40), Decimal(60), Decimal(100)),
}
# Withdrawals that stop follow-up: the date of the first is when the participant dropped out.
DROPOUT_SCOPES = (WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE)
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
    "unknown_days",
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
    unknown_days: int
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


_MEASURES = (
    # name, aggregate over the chosen record of each day; window [{s}, {e}] in days from the anchor
    ("assessed", "COUNT(*) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.grams IS NOT NULL)"),
    ("abstinent", "COUNT(*) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.grams = 0)"),
    ("heavy", "COUNT(*) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.heavy = 1)"),
    ("grams", "SUM(d.grams) FILTER (WHERE d.diff BETWEEN {s} AND {e})"),
    ("first_drink", "MIN(d.diff) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.grams > 0)"),
    ("first_heavy", "MIN(d.diff) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.heavy = 1)"),
    ("last_assessed", "MAX(d.diff) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.grams IS NOT NULL)"),
    ("assessed_late", "COUNT(*) FILTER (WHERE d.diff BETWEEN {g} AND {e} AND d.grams IS NOT NULL)"),
    ("heavy_late", "COUNT(*) FILTER (WHERE d.diff BETWEEN {g} AND {e} AND d.heavy = 1)"),
    ("unknown", "COUNT(*) FILTER (WHERE d.diff BETWEEN {s} AND {e} AND d.grams IS NULL)"),
)


def _sql(*, windows: list[_Window], sources: list[str], n_sites: int | None, n_participants: int | None) -> str:
    postgres = connection.vendor == "postgresql"
    num = "numeric" if postgres else "REAL"
    if not set(sources) <= set(DrinkSource):  # written into the statement: only the known codes
        raise ValueError(f"unknown sources in {sources}")
    rank = " ".join(f"WHEN '{source}' THEN {i}" for i, source in enumerate(sources))
    counted = ", ".join(f"'{source}'" for source in sources)
    scope = "p.trial_id = %s"
    if n_sites is not None:
        scope += " AND p.site_id IN (" + ", ".join(["%s"] * n_sites) + ")" if n_sites else " AND 1 = 0"
    if n_participants is not None:
        scope += " AND p.id IN (" + ", ".join(["%s"] * n_participants) + ")" if n_participants else " AND 1 = 0"
    heavy = f"CASE WHEN p.sex = '{Sex.FEMALE.value}' THEN CAST(%s AS {num}) ELSE CAST(%s AS {num}) END"
    dropout_scopes = ", ".join(f"'{scope.value}'" for scope in DROPOUT_SCOPES)
    record_diff = _diff_sql("r.day", "s.anchor")
    sample_diff = _diff_sql("b.taken_on", "a.allocated_on")
    dropout_diff = _diff_sql("d.withdrawn_on", "a.allocated_on")
    # Window bounds are integers of the validated protocol, written into the statement as such.
    measures = ",\n           ".join(
        template.format(s=int(w.start_diff), e=int(w.end_diff), g=int(w.grace_diff)) + f" AS {name}_{pos}"
        for pos, w in enumerate(windows)
        for name, template in _MEASURES
    )
    markers = ",\n           ".join(
        f"MIN(CASE WHEN m.diff BETWEEN {int(w.start_diff)} AND {int(w.end_diff)} THEN m.diff END) AS marker_{pos}"
        for pos, w in enumerate(windows)
    )
    chosen = ", ".join(
        [f"agg.{name}_{pos}" for pos in range(len(windows)) for name, _ in _MEASURES]
        + [f"mk.marker_{pos}" for pos in range(len(windows))]
    )
    span = (min(w.start_diff for w in windows), max(w.end_diff for w in windows))
    return f"""
WITH ranked AS (
    SELECT r.participant_id AS pid, {record_diff} AS diff, r.grams AS grams,
           CASE WHEN r.grams >= s.heavy THEN 1 ELSE 0 END AS heavy,
           ROW_NUMBER() OVER (PARTITION BY r.participant_id, r.day ORDER BY CASE WHEN r.grams IS NULL THEN 1 ELSE 0 END,
                                                                  CASE r.source {rank} END) AS rn
      FROM outcomes_drinkingrecord r
      JOIN (SELECT p.id AS pid, a.allocated_on AS anchor, {heavy} AS heavy
              FROM participants_participant p
              JOIN participants_allocation a ON a.participant_id = p.id
             WHERE {scope}) s ON s.pid = r.participant_id
     WHERE r.source IN ({counted}) AND {record_diff} BETWEEN {int(span[0])} AND {int(span[1])}
),
agg AS (
    SELECT d.pid AS pid,
           {measures}
      FROM ranked d
     WHERE d.rn = 1
     GROUP BY d.pid
),
mk AS (
    SELECT m.pid AS pid,
           {markers}
      FROM (SELECT b.participant_id AS pid, {sample_diff} AS diff
              FROM outcomes_biomarkersample b
              JOIN participants_participant p ON p.id = b.participant_id
              JOIN participants_allocation a ON a.participant_id = p.id
             WHERE {scope} AND b.positive) m
     GROUP BY m.pid
),
dropout AS (
    SELECT w.participant_id AS pid, MIN(w.withdrawn_on) AS withdrawn_on
      FROM participants_withdrawal w
     WHERE w.scope IN ({dropout_scopes})
     GROUP BY w.participant_id
)
SELECT p.id, p.study_id, p.sex, {dropout_diff}, {chosen}
  FROM participants_participant p
  JOIN participants_allocation a ON a.participant_id = p.id
  LEFT JOIN dropout d ON d.pid = p.id
  LEFT JOIN agg ON agg.pid = p.id
  LEFT JOIN mk ON mk.pid = p.id
 WHERE {scope}
 ORDER BY p.study_id
"""


def compute(*, trial, site_ids=None, participant_ids=None, protocol=None) -> list[EndpointRow]:
    """Endpoints of the trial's randomised participants (those at ``site_ids`` and among
    ``participant_ids`` when given) for every window of the protocol in force, ordered by study
    id and window. Factor levels are not filled in: callers add what the user may see."""
    outcomes = (protocol or trial.version_on().protocol).outcomes
    windows = windows_of(outcomes)
    params: list = []
    heavy = outcomes.heavy_day_grams
    postgres = connection.vendor == "postgresql"
    site_ids = None if site_ids is None else sorted(site_ids)
    participant_ids = None if participant_ids is None else sorted(participant_ids)
    scope = [trial.pk, *(site_ids or []), *(participant_ids or [])]
    thresholds = [heavy[Sex.FEMALE], heavy[Sex.MALE]]
    if not postgres:
        thresholds = [float(t) for t in thresholds]
    params += [*thresholds, *scope]  # ranked
    params += scope  # ev: biomarker samples
    params += scope  # the participants crossed with the windows
    sql = _sql(
        windows=windows,
        sources=[str(source) for source in outcomes.source_priority],
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


def _unpivot(raw, n_windows: int):
    """One wide row per participant → ``(pid, study_id, sex, dropout, pos, measures..., marker)``."""
    n = len(_MEASURES)
    for pid, study_id, sex, dropout_diff, *values in raw:
        measures, markers = values[: n * n_windows], values[n * n_windows :]
        for pos in range(n_windows):
            yield (pid, study_id, sex, pos, dropout_diff, *measures[pos * n : (pos + 1) * n], markers[pos])


def _derive(raw, *, windows: list[_Window], outcomes) -> list[EndpointRow]:
    rows: list[EndpointRow] = []
    baseline_level: dict[int, int | None] = {}
    rule_heavy = outcomes.relapse.rule == RelapseRule.FIRST_HEAVY_DAY
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
        assessed_late,
        heavy_late,
        unknown,
        first_marker,
    ) in _unpivot(raw, len(windows)):
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
                unknown_days=int(unknown or 0),
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
