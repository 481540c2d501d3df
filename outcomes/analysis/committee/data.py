"""What a committee report reads: the trial as it was known at the data cut-off, as pandas frames.

:func:`load` reads, from one consistent view of the database (:func:`core.db.snapshot`):

* ``participants``: those randomised on or before the cut-off (``participant_id``, ``study_id``,
  ``site``, ``sex``, ``age``, ``arm``, ``allocated_on``, and the baseline drinking
  ``baseline_grams_per_day`` and ``baseline_pda`` from the protocol's look-back days);
* ``screenings``: screened on or before the cut-off (``site``, ``screened_on``, ``outcome``, ``randomised``);
* ``adverse_events``: of those participants, with onset on or before the cut-off (the verbatim term,
  its coding, grade, seriousness, both relatedness assessments, expectedness and outcome);
* ``deviations`` occurred and ``withdrawals`` made on or before the cut-off;
* ``adherence``: one row per participant, the infusion and session visits whose window had closed
  by the cut-off (``infusions_due``, ``sessions_due``) and of those the ones with an infusion given
  or a session attended on or before it (``infusions_received``, ``sessions_attended``);
* ``completeness``: one row per participant and outcome window begun by the cut-off, its days up to
  the cut-off (``elapsed_days``) and those with an assessed drinking record (``assessed_days``).

The cut-off is a date of events, not of data entry: an event before it that was entered after it
counts, an event after it never does. Every frame carries the participant's ``arm``; a report that
must not show arms (the open one) simply never reads that column.

The endpoint engine (:mod:`outcomes.endpoints`) derives endpoints from every record whatever its
date, so completeness and baseline drinking are counted here, from the drinking records dated up
to the cut-off, by the same rule the engine uses for a day (the first source of the protocol's
``source_priority`` that has a record for it; a record without an amount is not an assessed day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from core.clock import date_of_study_day, today_at
from core.db import snapshot
from core.errors import Invalid
from outcomes.models import DrinkingRecord
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Deviation,
    Participant,
    Screening,
    Withdrawal,
)
from trials.protocol import Procedure, Protocol


class NothingRandomised(Exception):
    """The trial has no randomised participant, so there is no cut-off to report at."""


@dataclass
class CommitteeData:
    trial_code: str
    protocol: Protocol
    cutoff: dt.date
    sites: list[str]  # site names, in the trial's order
    participants: pd.DataFrame
    screenings: pd.DataFrame
    adverse_events: pd.DataFrame
    deviations: pd.DataFrame
    withdrawals: pd.DataFrame
    adherence: pd.DataFrame
    completeness: pd.DataFrame


def cutoff_check(trial, cutoff: dt.date | None) -> dt.date:
    """The cut-off to report at: ``cutoff``, or today (the latest of the sites' todays) when None.

    Raises :class:`NothingRandomised` when nobody is randomised, and
    :class:`~core.errors.Invalid` (field ``cutoff``) for a date after today or before the trial's
    first randomisation: such a report would show data not yet known, or nothing at all.
    """
    first = (
        Allocation.objects.filter(participant__trial=trial)
        .order_by("allocated_on")
        .values_list("allocated_on", flat=True)[:1]
    )
    if not first:
        raise NothingRandomised(f"{trial.code} has no randomised participants: there is nothing to report")
    today = max(today_at(site) for site in trial.sites.all())
    cutoff = cutoff or today
    if cutoff > today:
        raise Invalid(
            "the data cut-off cannot be in the future",
            fields={"cutoff": [f"{cutoff.isoformat()} is after today ({today.isoformat()})."]},
        )
    if cutoff < first[0]:
        raise Invalid(
            "the data cut-off is before the trial's first randomisation",
            fields={
                "cutoff": [f"{cutoff.isoformat()} is before {first[0].isoformat()}, when the first was randomised."]
            },
        )
    return cutoff


def load(trial, cutoff: dt.date) -> CommitteeData:
    """The trial's data as known at ``cutoff`` (checked by :func:`cutoff_check` first)."""
    protocol = trial.version_on(cutoff).protocol
    with snapshot():
        people = _participants(trial, cutoff)
        pids = list(people["participant_id"])
        arms = people.set_index("participant_id")["arm"]
        records = _drinking(pids, cutoff, protocol)
        _add_baseline(people, records, protocol)
        return CommitteeData(
            trial_code=trial.code,
            protocol=protocol,
            cutoff=cutoff,
            sites=list(trial.sites.order_by("pk").values_list("name", flat=True)),
            participants=people,
            screenings=_screenings(trial, cutoff, people),
            adverse_events=_with_arm(_adverse_events(pids, cutoff), arms),
            deviations=_with_arm(_deviations(pids, cutoff), arms),
            withdrawals=_with_arm(_withdrawals(pids, cutoff), arms),
            adherence=_adherence(people, cutoff, protocol),
            completeness=_completeness(people, records, cutoff, protocol),
        )


def _frame(queryset, fields: list[str], rename: dict[str, str] | None = None) -> pd.DataFrame:
    return pd.DataFrame.from_records(queryset.values(*fields), columns=fields).rename(columns=rename or {})


def _with_arm(frame: pd.DataFrame, arms: pd.Series) -> pd.DataFrame:
    frame["arm"] = frame["participant_id"].map(arms)
    return frame


def _participants(trial, cutoff: dt.date) -> pd.DataFrame:
    people = _frame(
        Participant.objects.filter(trial=trial, allocation__allocated_on__lte=cutoff).order_by("study_id"),
        ["pk", "study_id", "site__name", "sex", "age_at_consent", "allocation__arm__code", "allocation__allocated_on"],
        {
            "pk": "participant_id",
            "site__name": "site",
            "age_at_consent": "age",
            "allocation__arm__code": "arm",
            "allocation__allocated_on": "allocated_on",
        },
    )
    people["age"] = pd.to_numeric(people["age"], errors="coerce").astype(float)
    return people


def _screenings(trial, cutoff: dt.date, people: pd.DataFrame) -> pd.DataFrame:
    """Screenings on or before the cut-off; ``randomised`` when their participant is in ``people``."""
    screenings = _frame(
        Screening.objects.filter(trial=trial, screened_on__lte=cutoff).order_by("pk"),
        ["pk", "site__name", "screened_on", "outcome", "participant__pk"],
        {"site__name": "site", "participant__pk": "participant_id"},
    )
    screenings["randomised"] = screenings["participant_id"].isin(set(people["participant_id"]))
    return screenings


AE_FIELDS = [
    "pk",
    "participant_id",
    "participant__study_id",
    "term",
    "onset_date",
    "grade",
    "seriousness",
    "drug_causality",
    "therapy_causality",
    "expected",
    "rsi_expected",
    "outcome",
    "soc_name",
    "pt_name",
]


def _adverse_events(pids: list[int], cutoff: dt.date) -> pd.DataFrame:
    events = _frame(
        AdverseEvent.objects.filter(participant_id__in=pids, onset_date__lte=cutoff).order_by(
            "participant__study_id", "onset_date", "pk"
        ),
        AE_FIELDS,
        {"participant__study_id": "study_id"},
    )
    events["serious"] = events["seriousness"].map(bool).astype(bool)
    # As AdverseEvent.unexpected: the reference safety information overrides "expected".
    events["unexpected"] = ~events["expected"].astype(bool) | (events["rsi_expected"] == False)  # noqa: E712
    return events


def _deviations(pids: list[int], cutoff: dt.date) -> pd.DataFrame:
    return _frame(
        Deviation.objects.filter(participant_id__in=pids, occurred_on__lte=cutoff).order_by("pk"),
        ["participant_id", "kind", "important", "occurred_on"],
    )


def _withdrawals(pids: list[int], cutoff: dt.date) -> pd.DataFrame:
    return _frame(
        Withdrawal.objects.filter(participant_id__in=pids, withdrawn_on__lte=cutoff).order_by(
            "participant__study_id", "withdrawn_on", "pk"
        ),
        ["participant_id", "participant__study_id", "scope", "withdrawn_on", "reason"],
        {"participant__study_id": "study_id"},
    )


def _adherence(people: pd.DataFrame, cutoff: dt.date, protocol: Protocol) -> pd.DataFrame:
    """Per participant: the scheduled infusion and session visits whose window closed by the
    cut-off, and of those the ones with an infusion given or a session attended by then."""
    infusion_codes = {e.code for e in protocol.schedule if Procedure.INFUSION in e.procedures}
    session_codes = {e.code for e in protocol.schedule if Procedure.PSYCHOLOGICAL_SESSION in e.procedures}
    visits = _frame(
        Appointment.objects.filter(
            participant_id__in=list(people["participant_id"]),
            unscheduled=False,
            event_code__in=infusion_codes | session_codes,
            window_end__lte=cutoff,
        ),
        ["participant_id", "event_code", "visit__actual_date", "visit__infusion__pk", "visit__session__attended"],
        {"visit__actual_date": "on", "visit__infusion__pk": "infusion", "visit__session__attended": "attended"},
    )
    by_then = visits["on"].map(lambda d: d is not None and not pd.isna(d) and d <= cutoff)
    visits["infusion_due"] = visits["event_code"].isin(infusion_codes)
    visits["session_due"] = visits["event_code"].isin(session_codes)
    visits["infused"] = visits["infusion_due"] & visits["infusion"].notna() & by_then
    visits["attended_session"] = visits["session_due"] & (visits["attended"] == True) & by_then  # noqa: E712
    sums = visits.groupby("participant_id")[["infusion_due", "infused", "session_due", "attended_session"]].sum()
    sums.columns = ["infusions_due", "infusions_received", "sessions_due", "sessions_attended"]
    frame = people[["participant_id", "arm"]].join(sums, on="participant_id")
    frame[list(sums.columns)] = frame[list(sums.columns)].fillna(0).astype(int)
    return frame


def _drinking(pids: list[int], cutoff: dt.date, protocol: Protocol) -> pd.DataFrame:
    """One row per participant and day up to the cut-off: the record of the first source of the
    protocol's priority that gives an amount, as the endpoint engine chooses (``grams`` NaN for a
    day no source gives one, recorded as unknown)."""
    priority = [str(s) for s in protocol.outcomes.source_priority]
    records = _frame(
        DrinkingRecord.objects.filter(participant_id__in=pids, day__lte=cutoff, source__in=priority),
        ["participant_id", "day", "source", "grams"],
    )
    records["rank"] = records["source"].map(priority.index)
    records["grams"] = pd.to_numeric(records["grams"], errors="coerce").astype(float)
    records["unknown"] = records["grams"].isna()  # a known amount from any source wins
    chosen = records.sort_values(["unknown", "rank"]).drop_duplicates(["participant_id", "day"])
    return chosen.drop(columns="unknown")


def _days_between(records: pd.DataFrame, starts: pd.Series, ends: pd.Series) -> pd.DataFrame:
    """The assessed records of each participant between their own ``starts`` and ``ends`` (by participant id)."""
    assessed = records[records["grams"].notna()]
    start = assessed["participant_id"].map(starts)
    end = assessed["participant_id"].map(ends)
    return assessed[(assessed["day"] >= start) & (assessed["day"] <= end)]


def _add_baseline(people: pd.DataFrame, records: pd.DataFrame, protocol: Protocol) -> None:
    """Grams per day and % days abstinent over the assessed days of the protocol's look-back."""
    lookback = protocol.outcomes.baseline_lookback_days
    anchors = people.set_index("participant_id")["allocated_on"]
    if lookback <= 0 or records.empty:
        people["baseline_grams_per_day"] = float("nan")
        people["baseline_pda"] = float("nan")
        return
    days = _days_between(
        records,
        anchors.map(lambda a: date_of_study_day(a, -lookback)),
        anchors.map(lambda a: date_of_study_day(a, -1)),
    )
    grouped = days.groupby("participant_id")["grams"]
    people["baseline_grams_per_day"] = people["participant_id"].map(grouped.mean()).astype(float)
    pda = grouped.apply(lambda g: 100 * float((g == 0).mean()))
    people["baseline_pda"] = people["participant_id"].map(pda).astype(float)


def _completeness(people: pd.DataFrame, records: pd.DataFrame, cutoff: dt.date, protocol: Protocol) -> pd.DataFrame:
    """One row per participant and outcome window begun by the cut-off: ``window``, ``elapsed_days``
    (the window's days up to the cut-off) and ``assessed_days`` (of those, with an amount)."""
    anchors = people.set_index("participant_id")["allocated_on"]
    rows = []
    for window in protocol.outcomes.windows:
        starts = anchors.map(lambda a, w=window: date_of_study_day(a, w.start))
        ends = anchors.map(lambda a, w=window: min(date_of_study_day(a, w.end), cutoff))
        begun = starts[starts <= cutoff].index
        assessed = _days_between(records, starts, ends).groupby("participant_id").size().to_dict()
        for pid in begun:
            rows.append(
                {
                    "participant_id": pid,
                    "window": window.code,
                    "elapsed_days": (ends[pid] - starts[pid]).days + 1,
                    "assessed_days": assessed.get(pid, 0),
                }
            )
    frame = pd.DataFrame.from_records(rows, columns=["participant_id", "window", "elapsed_days", "assessed_days"])
    return _with_arm(frame, people.set_index("participant_id")["arm"])
