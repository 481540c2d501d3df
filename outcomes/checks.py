"""Edit checks: what looks wrong in a participant's data raises a data query (:mod:`review.queries`)
on the record and item it concerns, as the system.

The checks, each a code a query carries (``Query.check_code``):

- ``out_of_range``: a value outside what the protocol declares plausible: a weight (at baseline or
  at an infusion) outside the dosing's ``weight_kg`` range, breath alcohol at an infusion above the
  biomarkers' ``breath_alcohol_cutoff``, a day's grams above the outcomes' ``max_grams_per_day``;
- ``infusion_missing``: an attended infusion visit with no infusion recorded;
- ``recall_missing``: an attended follow-up visit whose procedures include the timeline
  follow-back with no drinking day recalled at it;
- ``recall_gap``: days missing inside the recall made at an attended visit (between its first and
  last recalled day, recorded by no source);
- ``out_of_window``: a visit attended outside its window;
- ``biomarker_contradiction``: a positive marker against a day reported abstinent, raised as the
  days or the sample are recorded (:func:`outcomes.services.biomarkers.data_queries_open`).

:func:`edit_checks_run` is idempotent: it raises what is new, never a second query of one check on
one record and item while the first is open or answered, and closes nothing. When a check no
longer finds what it raised an open query for (the day recorded, the visit re-dated), that query is
answered by the system saying so, and a data manager closes it. It runs after every change of a
participant's schedule once the change is committed (:func:`run_after_commit`, subscribed to
``participants.events``), nightly for every trial (``outcomes.tasks.run_edit_checks``) and from
``manage.py run_edit_checks --trial CODE``.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import connection, transaction

from core import audit
from outcomes.models import DrinkingRecord
from participants.models import Participant, Visit
from review.models import Query, QueryState
from review.queries.services import query_answer_by_check, query_raise_automatic
from review.records import Record, record_of
from trials.protocol.schedule import Procedure

log = logging.getLogger(__name__)

CHECKS = ("out_of_range", "infusion_missing", "recall_missing", "recall_gap", "out_of_window")
SHOWN_DAYS = 10  # missing days named in a query's text


@dataclass(frozen=True)
class Finding:
    record: Record
    item: str
    check: str
    text: str

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.record.kind.code, self.record.pk, self.item, self.check)


@dataclass(frozen=True)
class RunResult:
    raised: int
    answered: int


def _range(participant: Participant, visits: list[Visit], days: list[DrinkingRecord]) -> list[Finding]:
    protocol = participant.trial.version_on().protocol
    low, high = protocol.dosing.weight_kg
    found = []
    weight = participant.baseline_weight_kg
    if weight is not None and not low <= weight <= high:
        found.append(
            Finding(record_of(participant), "baseline_weight_kg", "out_of_range", _outside("weight", weight, low, high))
        )
    cutoff = protocol.outcomes.biomarkers.breath_alcohol_cutoff
    for visit in visits:
        infusion = getattr(visit, "infusion", None)
        if infusion is None:
            continue
        if not low <= infusion.weight_kg <= high:
            text = _outside("weight", infusion.weight_kg, low, high)
            found.append(Finding(record_of(infusion), "weight_kg", "out_of_range", text))
        if infusion.breath_alcohol is not None and infusion.breath_alcohol > cutoff:
            text = (
                f"Breath alcohol {infusion.breath_alcohol} is above the protocol's cutoff ({cutoff}) for an infusion."
            )
            found.append(Finding(record_of(infusion), "breath_alcohol", "out_of_range", text))
    most = protocol.outcomes.max_grams_per_day
    for day in days:
        if day.grams is not None and day.grams > most:
            text = f"{day.grams} g on {day.day} is more than the protocol's {most} g a day."
            found.append(Finding(record_of(day), "grams", "out_of_range", text))
    return found


def _outside(what: str, value, low, high) -> str:
    return f"The {what} {value} kg is outside the protocol's plausible range ({low}–{high} kg)."


def _visits(participant: Participant, visits: list[Visit], days: list[DrinkingRecord]) -> list[Finding]:
    found = []
    recalled: dict[str, list[dt.date]] = {}
    for day in days:
        if day.visit_code:
            recalled.setdefault(day.visit_code, []).append(day.day)
    every_day = {day.day for day in days}
    for visit in visits:
        appointment = visit.appointment
        if not visit.attended:
            continue
        record = record_of(visit)
        if not appointment.window_start <= visit.actual_date <= appointment.window_end:
            text = (
                f"Attended on {visit.actual_date}, outside the window "
                f"{appointment.window_start} to {appointment.window_end}."
            )
            found.append(Finding(record, "actual_date", "out_of_window", text))
        if appointment.kind == "infusion" and getattr(visit, "infusion", None) is None:
            found.append(Finding(record, "", "infusion_missing", "The visit was attended but no infusion is recorded."))
        event = _event(appointment)
        tlfb = event is not None and Procedure.TLFB in event.procedures
        at_visit = recalled.get(appointment.event_code, [])
        if tlfb and appointment.kind == "follow_up" and not at_visit:
            found.append(Finding(record, "", "recall_missing", "No drinking day is recalled at this follow-up."))
        if tlfb and at_visit:
            first, last = min(at_visit), max(at_visit)
            missing = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
            missing = [d for d in missing if d not in every_day]
            if missing:
                named = ", ".join(str(d) for d in missing[:SHOWN_DAYS])
                more = f" and {len(missing) - SHOWN_DAYS} more" if len(missing) > SHOWN_DAYS else ""
                text = f"{len(missing)} day(s) missing inside the recall from {first} to {last}: {named}{more}."
                found.append(Finding(record, "", "recall_gap", text))
    return found


def _event(appointment):
    protocol = appointment.protocol_version.protocol
    return next((e for e in protocol.schedule if e.code == appointment.event_code), None)


def findings(participant: Participant) -> list[Finding]:
    """What the checks find in the participant's data now. A few queries, whatever the history."""
    visits = list(
        Visit.objects.filter(appointment__participant=participant)
        .select_related("appointment__protocol_version", "infusion")
        .order_by("appointment__sequence")
    )
    for visit in visits:
        visit.appointment.participant = participant
    days = list(DrinkingRecord.objects.filter(participant=participant).order_by("day", "source"))
    for day in days:
        day.participant = participant
    return _range(participant, visits, days) + _visits(participant, visits, days)


def edit_checks_run(*, participant: Participant) -> RunResult:
    """Run every check on ``participant``: raise a query for each new finding, and answer (as the
    system) an open query of a check that no longer finds it. Idempotent; closes nothing."""
    participant = Participant.objects.select_related("site", "trial").get(pk=participant.pk)
    with transaction.atomic(), audit.context(reason="edit checks"):
        found = findings(participant)
        raised = sum(
            query_raise_automatic(record=f.record, item=f.item, check=f.check, text=f.text) is not None for f in found
        )
        still = {f.key for f in found}
        answered = 0
        for query in Query.objects.filter(participant=participant, state=QueryState.OPEN, check_code__in=CHECKS):
            if (query.kind, query.record_id, query.item, query.check_code) not in still:
                answered += query_answer_by_check(query=query, text="The edit check no longer finds this.")
    return RunResult(raised=raised, answered=answered)


def edit_checks_run_trial(*, trial, progress=None) -> RunResult:
    """Run the checks on every participant of ``trial``; ``progress(done, total)`` after each tenth."""
    pks = list(Participant.objects.filter(trial=trial).order_by("pk").values_list("pk", flat=True))
    every = max(1, len(pks) // 10)
    raised = answered = 0
    for n, pk in enumerate(pks, start=1):
        result = edit_checks_run(participant=Participant(pk=pk))
        raised, answered = raised + result.raised, answered + result.answered
        if progress is not None and (n % every == 0 or n == len(pks)):
            progress(n, len(pks))
    return RunResult(raised=raised, answered=answered)


def _pending(participant_id: int) -> bool:
    return any(getattr(func, "edit_checks_of", None) == participant_id for _, func, _ in connection.run_on_commit)


def run_after_commit(*, participant, reason: str = "") -> None:
    """Run the checks on ``participant`` once the change that called this is committed (once per
    transaction, however many changes it makes): a check never sees half of a form. A failure is
    logged, never undoes the change."""
    if _pending(participant.pk):
        return

    def run() -> None:
        try:
            edit_checks_run(participant=participant)
        except Exception:  # the change is committed; the nightly run tries again
            log.exception("edit checks failed for participant %s", participant.pk)

    run.edit_checks_of = participant.pk
    transaction.on_commit(run)
