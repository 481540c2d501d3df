"""Analysis datasets in the spirit of CDISC ADaM: a subject-level table and a time-to-event table.

``adsl``, one row per enrolled participant of the export's sites: trial, subject and site, sex,
age, the factor levels the export may carry (and the arm only when it carries every factor, since
an arm's code names them all), baseline drinking (the protocol's look-back before randomisation,
computed by :mod:`outcomes.endpoints` with the same source priority as every endpoint), dates and
disposition:

* ``EOSSTT`` ``DISCONTINUED`` after a withdrawal from follow-up or from data use (``DCSREAS`` the
  kind, ``EOSDT`` its date), ``COMPLETED`` once the last outcome window has ended, ``ONGOING``
  before that, ``NOT RANDOMISED`` for someone enrolled but never randomised.

``adtte``, one row per randomised participant: ``PARAMCD = TTHDD``, days from randomisation
(study day 1 = day 1) to the first heavy drinking day in the protocol's primary window
(``CNSR = 0``), or censored (``CNSR = 1``) at the last assessed day of that window; a participant
with no assessed day there is censored at 0 days (``EVNTDESC = NO ASSESSMENT``).
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
)
from participants.models import Sex, Withdrawal, WithdrawalScope
from trials.protocol import WindowSpec

BASELINE_WINDOW = "pre"

_SUBJECT = [
    Column("STUDYID", "STUDYID", "Study identifier", STRING),
    Column("USUBJID", "USUBJID", "Unique subject identifier", STRING),
    Column("SUBJID", "SUBJID", "Subject identifier for the study", STRING),
    Column("SITEID", "SITEID", "Study site identifier", STRING),
    Column("SEX", "SEX", "Sex", STRING, values=dict(Sex.choices)),
]


def _date(anchor: dt.date, study_day: int | None) -> dt.date | None:
    if study_day is None:
        return None
    return anchor + dt.timedelta(days=endpoints.to_diff(study_day))


def _subjects(scope) -> list[dict]:
    """The scope's participants, with allocation date (and arm code: callers show it only when
    every factor is carried), in study id order."""
    return [
        {
            "pk": pk,
            "study_id": sid,
            "site": site,
            "sex": sex,
            "age": age,
            "enrolled_on": enrolled,
            "anchor": anchor,
            "arm": arm,
        }
        for pk, sid, site, sex, age, enrolled, anchor, arm in participants_in(scope)
        .order_by("study_id")
        .values_list(
            "pk",
            "study_id",
            "site__code",
            "sex",
            "age_at_consent",
            "enrolled_on",
            "allocation__allocated_on",
            "allocation__arm__code",
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


def adsl_table(scope) -> Table:
    taken = {c.short for c in _SUBJECT}
    factors = factor_columns(scope, taken=taken)
    arm = [Column("ARM", "ARM", "Arm (every factor level)", STRING)] if scope.unblinded else []
    columns = [
        *_SUBJECT,
        Column("AGE", "AGE", "Age at consent (years)", INTEGER),
        *factors,
        *arm,
        Column("RANDFL", "RANDFL", "Randomised population flag", STRING, values={"Y": "yes", "N": "no"}),
        Column("ENRLDT", "ENRLDT", "Date of enrolment", DATE),
        Column("RANDDT", "RANDDT", "Date of randomisation", DATE),
        Column("BLASSESS", "BLASSESS", "Baseline days assessed", INTEGER),
        Column("BLPDA", "BLPDA", "Baseline percent days abstinent", DECIMAL),
        Column("BLPHDD", "BLPHDD", "Baseline percent heavy drinking days", DECIMAL),
        Column("BLGPD", "BLGPD", "Baseline grams of ethanol per day", DECIMAL),
        Column("BLWHO", "BLWHO", "Baseline WHO risk level", INTEGER, values=dict(endpoints.WHO_LEVELS)),
        Column("EOSSTT", "EOSSTT", "End of study status", STRING),
        Column("EOSDT", "EOSDT", "Date of discontinuation", DATE),
        Column("DCSREAS", "DCSREAS", "Reason for discontinuation", STRING),
    ]

    def rows() -> Iterator[tuple]:
        trial = scope.trial
        protocol = trial.version_on().protocol
        last_day = max(w.end for w in protocol.outcomes.windows)
        today = timezone.localdate()
        subjects = _subjects(scope)
        levels = levels_by_participant(scope)
        baseline = _baseline(scope)
        dropouts = _dropouts(scope)
        scopes = dict(WithdrawalScope.choices)
        for s in subjects:
            own = levels.get(s["pk"], {})
            base = baseline.get(s["pk"])
            dropout = dropouts.get(s["pk"])
            if s["anchor"] is None:
                status = "NOT RANDOMISED"
            elif dropout is not None:
                status = "DISCONTINUED"
            elif _date(s["anchor"], last_day) < today:
                status = "COMPLETED"
            else:
                status = "ONGOING"
            yield (
                trial.code,
                f"{trial.code}-{s['study_id']}",
                s["study_id"],
                s["site"],
                s["sex"],
                s["age"],
                *(own.get(c.name) for c in factors),
                *([s["arm"]] if arm else []),
                "Y" if s["anchor"] is not None else "N",
                s["enrolled_on"],
                s["anchor"],
                base.assessed_days if base else None,
                base.pda if base else None,
                base.phdd if base else None,
                base.grams_per_day if base else None,
                base.who_level if base else None,
                status,
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
    taken = {c.short for c in _SUBJECT}
    factors = factor_columns(scope, taken=taken)
    columns = [
        *_SUBJECT,
        *factors,
        Column("PARAMCD", "PARAMCD", "Parameter code", STRING),
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
                *(own.get(c.name) for c in factors),
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
