"""Analysis datasets in the spirit of CDISC ADaM: a subject-level table and a time-to-event table.

Names are ADaM's, upper case, at most 8 characters; every coded variable has value labels.

``adsl``, one row per enrolled participant of the export's sites:

* ``STUDYID``, ``USUBJID`` (``<trial>-<study id>``), ``SUBJID``, ``SITEID`` (the site's code,
  labelled with its name), ``SEX``, ``AGE`` at consent and ``AGEU`` when known;
* for a scope that carries every factor only (:attr:`~outcomes.exports.policy.ExportScope.unblinded`):
  ``ARM`` (the arm's title) and ``ARMCD`` (its code); then one column per factor the scope carries,
  named by the factor's code upper-cased (``DRUG``, ``THERAPY``); then, again only with every
  factor, ``TRT01P`` (planned treatment: the arm allocated) and ``TRT01A`` (actual treatment: the
  arm allocated once the participant received anything, empty before; the tracker records no
  infusion or session of another arm than the one allocated). The levels come from the blinding
  presenter for the scope's factors, and the arm from those levels, so a blinded scope has nothing
  to derive it from;
* population flags, ``Y`` or ``N`` (ADaMIG: subject-level population flags are never empty):
  ``RANDFL`` randomised; ``ITTFL`` randomised, analysed as allocated (so the same as ``RANDFL``);
  ``SAFFL`` received at least one infusion or attended one psychological session; ``PPROTFL``
  per protocol: received, every planned infusion completed and no deviation reviewed as important
  (:mod:`outcomes.populations`), until the statistical analysis plan defines it;
* ``ENRLDT``, ``RANDDT``; exposure: ``NINFUS`` infusions recorded, ``NINFCMP`` of them completed,
  ``NSESS`` sessions attended (the same in every arm: no dose is given);
* baseline drinking over the protocol's look-back before randomisation (computed by
  :mod:`outcomes.endpoints` with the same source priority as every endpoint): ``BLASSESS``,
  ``BLPDA``, ``BLPHDD``, ``BLGPD``, ``BLWHO``;
* disposition: ``EOSSTT`` ``DISCONTINUED`` after a withdrawal from follow-up or from data use
  (``DCSREAS`` the kind, ``EOSDT`` its date), ``COMPLETED`` once the last outcome window has ended,
  ``ONGOING`` before that, ``NOT RANDOMISED`` for someone enrolled but never randomised.

``adtte``, one row per randomised participant: ``PARAMCD = TTHDD``, days from randomisation
(study day 1 = day 1) to the first heavy drinking day in the protocol's primary window
(``CNSR = 0``), or censored (``CNSR = 1``) at the last assessed day of that window; a participant
with no assessed day there is censored at 0 days (``EVNTDESC = NO ASSESSMENT``). It carries the
subject's site, sex and the factor columns as ``adsl`` names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from outcomes import endpoints
from outcomes.exports.tables import (
    DATE,
    DECIMAL,
    INTEGER,
    STRING,
    Column,
    Table,
    factor_columns,
    levels_by_participant,
    participants_in,
    sex_column,
    site_column,
)
from outcomes.plan.document import from_document
from outcomes.plan.selectors import plan_latest
from outcomes.populations import Exposure, exposure_of
from participants.models import Withdrawal, WithdrawalScope
from trials.protocol import WindowSpec

BASELINE_WINDOW = "pre"
FLAG = {"Y": "yes", "N": "no"}
STATUSES = {
    "COMPLETED": "the last outcome window has ended",
    "DISCONTINUED": "withdrew from follow-up or from data use",
    "ONGOING": "in follow-up",
    "NOT RANDOMISED": "enrolled, never randomised",
}


def _flag(name: str, label: str) -> Column:
    return Column(name, name, label, STRING, values=FLAG, coded=True)


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _subject_columns(scope) -> list[Column]:
    return [
        Column("STUDYID", "STUDYID", "Study identifier", STRING),
        Column("USUBJID", "USUBJID", "Unique subject identifier", STRING),
        Column("SUBJID", "SUBJID", "Subject identifier for the study", STRING),
        site_column(scope, "SITEID", "SITEID"),
        sex_column("SEX", "SEX"),
    ]


def _factors(scope, columns: list[Column]) -> list[Column]:
    """The scope's factor columns with ADaM names, avoiding the names in ``columns``."""
    return factor_columns(scope, taken={c.short for c in columns}, upper=True)


def _date(anchor: dt.date, study_day: int | None) -> dt.date | None:
    if study_day is None:
        return None
    return anchor + dt.timedelta(days=endpoints.to_diff(study_day))


def _subjects(scope) -> list[dict]:
    """The scope's participants with their allocation date, in study id order (no arm: that comes
    from the levels the scope may carry)."""
    return [
        {
            "pk": pk,
            "study_id": sid,
            "site": site,
            "sex": sex,
            "age": age,
            "enrolled_on": enrolled,
            "anchor": anchor,
        }
        for pk, sid, site, sex, age, enrolled, anchor in participants_in(scope)
        .order_by("study_id")
        .values_list(
            "pk",
            "study_id",
            "site__code",
            "sex",
            "age_at_consent",
            "enrolled_on",
            "allocation__allocated_on",
        )
    ]


def _baseline(scope) -> dict[int, endpoints.EndpointRow]:
    """Each randomised participant's drinking over the protocol's look-back before randomisation."""
    protocol = scope.trial.version_on().protocol
    outcomes = protocol.outcomes
    if outcomes.baseline_lookback_days <= 0:
        return {}
    window = WindowSpec(code=BASELINE_WINDOW, start=-outcomes.baseline_lookback_days, end=-1)
    only_baseline = protocol.model_copy(
        update={"outcomes": outcomes.model_copy(update={"windows": [window], "baseline_lookback_days": 0})}
    )
    rows = endpoints.compute(trial=scope.trial, site_ids=scope.site_ids, protocol=only_baseline)
    return {row.participant_id: row for row in rows}


def _dropouts(scope) -> dict[int, tuple[dt.date, str]]:
    out: dict[int, tuple[dt.date, str]] = {}
    for pid, on, kind in (
        Withdrawal.objects.filter(
            participant__in=participants_in(scope),
            scope__in=[WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE],
        )
        .order_by("withdrawn_on", "pk")
        .values_list("participant_id", "withdrawn_on", "scope")
    ):
        out.setdefault(pid, (on, kind))
    return out


def _arm_of(protocol, levels: dict[str, str]):
    """The protocol's arm whose levels are ``levels`` (every factor's), or None."""
    return next((arm for arm in protocol.arms if arm.levels == levels), None)


def _adsl_columns(scope) -> tuple[list[Column], bool]:
    """The columns of ``adsl``, and whether they carry the arm (only with every factor)."""
    protocol = scope.trial.version_on().protocol
    subject = [
        *_subject_columns(scope),
        Column("AGE", "AGE", "Age at consent", INTEGER),
        Column("AGEU", "AGEU", "Age units", STRING, values={"YEARS": "years"}, coded=True),
    ]
    arms = {arm.code: arm.title for arm in protocol.arms}
    armed = scope.unblinded
    arm = [
        Column("ARM", "ARM", "Description of planned arm", STRING),
        Column("ARMCD", "ARMCD", "Planned arm code", STRING, values=arms, coded=True),
    ]
    treatment = [
        Column("TRT01P", "TRT01P", "Planned treatment for period 01", STRING),
        Column("TRT01A", "TRT01A", "Actual treatment for period 01", STRING),
    ]
    factors = _factors(scope, [*subject, *arm, *treatment])
    columns = [
        *subject,
        *(arm if armed else []),
        *factors,
        *(treatment if armed else []),
        _flag("RANDFL", "Randomised population flag"),
        _flag("ITTFL", "Intent-to-treat population flag"),
        _flag("SAFFL", "Safety population flag"),
        _flag("PPROTFL", "Per-protocol population flag"),
        Column("ENRLDT", "ENRLDT", "Date of enrolment", DATE),
        Column("RANDDT", "RANDDT", "Date of randomisation", DATE),
        Column("NINFUS", "NINFUS", "Infusions recorded", INTEGER),
        Column("NINFCMP", "NINFCMP", "Infusions recorded as completed", INTEGER),
        Column("NSESS", "NSESS", "Psychological sessions attended", INTEGER),
        Column("BLASSESS", "BLASSESS", "Baseline days assessed", INTEGER),
        Column("BLPDA", "BLPDA", "Baseline percent days abstinent", DECIMAL),
        Column("BLPHDD", "BLPHDD", "Baseline percent heavy drinking days", DECIMAL),
        Column("BLGPD", "BLGPD", "Baseline grams of ethanol per day", DECIMAL),
        Column("BLWHO", "BLWHO", "Baseline WHO risk level", INTEGER, values=dict(endpoints.WHO_LEVELS)),
        Column("EOSSTT", "EOSSTT", "End of study status", STRING, values=STATUSES, coded=True),
        Column("EOSDT", "EOSDT", "Date of discontinuation", DATE),
        Column("DCSREAS", "DCSREAS", "Reason for discontinuation", STRING),
    ]
    return columns, armed


def _baseline_values(base) -> tuple:
    if base is None:
        return (None,) * 5
    return base.assessed_days, base.pda, base.phdd, base.grams_per_day, base.who_level


def _status(s: dict, dropout, last_day: int, today: dt.date) -> str:
    if s["anchor"] is None:
        return "NOT RANDOMISED"
    if dropout is not None:
        return "DISCONTINUED"
    if _date(s["anchor"], last_day) < today:
        return "COMPLETED"
    return "ONGOING"


def adsl_table(scope) -> Table:
    """One row per enrolled participant of the scope's sites (see the module)."""
    columns, armed = _adsl_columns(scope)
    codes = list(scope.factors)  # the factor columns, in the scope's order

    def rows() -> Iterator[tuple]:
        trial = scope.trial
        protocol = trial.version_on().protocol
        last_day = max(w.end for w in protocol.outcomes.windows)
        today = timezone.localdate()
        levels = levels_by_participant(scope)
        baseline = _baseline(scope)
        dropouts = _dropouts(scope)
        exposure = exposure_of(participants_in(scope))
        plan = plan_latest(trial)
        rule = from_document(plan.document).populations.per_protocol if plan is not None else None
        scopes = dict(WithdrawalScope.choices)
        for s in _subjects(scope):
            own = levels.get(s["pk"], {})
            base = baseline.get(s["pk"])
            dropout = dropouts.get(s["pk"])
            randomised = s["anchor"] is not None
            got = exposure.get(s["pk"], Exposure()) if randomised else Exposure()
            arm = _arm_of(protocol, own) if armed and randomised else None
            yield (
                trial.code,
                f"{trial.code}-{s['study_id']}",
                s["study_id"],
                s["site"],
                s["sex"],
                s["age"],
                "YEARS" if s["age"] is not None else None,
                *((arm.title if arm else None, arm.code if arm else None) if armed else ()),
                *(own.get(code) for code in codes),
                *((arm.title if arm else None, arm.title if arm and got.received else None) if armed else ()),
                _yn(randomised),
                _yn(randomised),
                _yn(got.received),
                _yn(got.per_protocol(protocol, rule)),
                s["enrolled_on"],
                s["anchor"],
                got.infusions,
                got.infusions_completed,
                got.sessions,
                *_baseline_values(base),
                _status(s, dropout, last_day, today),
                dropout[0] if dropout else None,
                scopes.get(dropout[1], dropout[1]) if dropout else None,
            )

    return Table(
        name="adsl",
        member="ADSL",
        label="Subject-level analysis dataset",
        columns=columns,
        rows=rows,
        keys=("USUBJID",),
    )


def adtte_table(scope) -> Table:
    """One row per randomised participant of the scope's sites (see the module)."""
    subject = _subject_columns(scope)
    factors = _factors(scope, subject)
    codes = list(scope.factors)
    columns = [
        *subject,
        *factors,
        Column("PARAMCD", "PARAMCD", "Parameter code", STRING, values={"TTHDD": "Time to first heavy day"}, coded=True),
        Column("PARAM", "PARAM", "Parameter", STRING),
        Column("STARTDT", "STARTDT", "Time-to-event origin date", DATE),
        Column("ADT", "ADT", "Date of event or censoring", DATE),
        Column("AVAL", "AVAL", "Days from randomisation", INTEGER),
        Column("CNSR", "CNSR", "Censored", INTEGER, values={0: "event", 1: "censored"}),
        Column("EVNTDESC", "EVNTDESC", "Event or censoring description", STRING),
    ]

    def rows() -> Iterator[tuple]:
        trial = scope.trial
        outcomes = trial.version_on().protocol.outcomes
        window = next(w for w in outcomes.windows if w.code == outcomes.primary_window)
        subjects = {s["pk"]: s for s in _subjects(scope) if s["anchor"] is not None}
        levels = levels_by_participant(scope)
        for row in endpoints.compute(trial=trial, site_ids=scope.site_ids):
            if row.window != window.code:
                continue
            s = subjects[row.participant_id]
            own = levels.get(row.participant_id, {})
            if row.first_heavy_day is not None:
                day, censored, what = row.first_heavy_day, 0, "FIRST HEAVY DRINKING DAY"
            elif row.last_assessed_day is not None:
                day, censored, what = row.last_assessed_day, 1, "LAST ASSESSED DAY"
            else:
                day, censored, what = None, 1, "NO ASSESSMENT"
            yield (
                trial.code,
                f"{trial.code}-{s['study_id']}",
                s["study_id"],
                s["site"],
                s["sex"],
                *(own.get(code) for code in codes),
                "TTHDD",
                f"Time to first heavy drinking day, days {window.start} to {window.end}"[:200],
                _date(s["anchor"], window.start),
                _date(s["anchor"], day),
                0 if day is None else endpoints.to_diff(day) - endpoints.to_diff(window.start) + 1,
                censored,
                what,
            )

    return Table(
        name="adtte",
        member="ADTTE",
        label="Time-to-event analysis dataset",
        columns=columns,
        rows=rows,
        keys=("USUBJID", "PARAMCD"),
    )
