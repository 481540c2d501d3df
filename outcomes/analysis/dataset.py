"""The analysis data set of a trial as pandas frames, read from the database in a few queries.

:func:`load` returns an :class:`AnalysisData` holding:

* ``participants``: one row per randomised participant with site, sex, age, arm, one column per
  factor (its level), the CONSORT flags (received, lost, discontinued, analysed) defined below and
  the analysis populations (``safety``: received; ``per_protocol``: as the ``adsl`` export's
  ``PPROTFL``, under the stored analysis plan's rule, :mod:`outcomes.populations`);
* ``endpoints``: one row per participant and window of the endpoint engine (primary window and
  every other window of the protocol), with the participant's arm. ``heavy_days`` (a count of
  assessed days) is empty, not 0, for a participant without an assessed day in the window, as
  the percentages are; ``psnhdd_responder`` is 1, 0 or empty;
* ``screenings``: one row per screening (outcome, failed criteria, randomised or not);
* ``adverse_events``: one row per adverse event (grade, serious) with the participant's arm.

Definitions used by the CONSORT counts (see docs/analysis.md):

* *received*: at least one infusion recorded (protocols that dose a drug) or at least one attended
  psychological session (protocols with sessions) — either counts for the arm; the same definition
  as the safety population (``SAFFL``) of the ``adsl`` export (:mod:`outcomes.populations`);
  per factor margin, the component of that factor (infusion for the dosing factor, session for the
  therapy factor);
* *lost to follow-up*: withdrew from follow-up (or from data use), or missed the follow-up visit
  that closes the primary window (the last randomisation-anchored follow-up at or before its end);
* *discontinued*: withdrew from the intervention only;
* *analysed*: at least one assessed day in the primary window.

Everything here is unblinded: the report decides what to show (see :mod:`outcomes.analysis.blind`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.db import snapshot
from outcomes import endpoints
from outcomes.plan.document import from_document
from outcomes.plan.selectors import plan_latest
from outcomes.populations import Exposure, exposure_of
from participants.guards import active_lock, is_unblinded_for_analysis
from participants.models import (
    AdverseEvent,
    Appointment,
    AppointmentStatus,
    Participant,
    Screening,
    Withdrawal,
    WithdrawalScope,
)
from trials.protocol import RANDOMISATION_ANCHOR, EventKind, Protocol, WindowSpec

# The look-back window added to the endpoint engine's windows for baseline drinking. Its code must
# differ from the engine's own baseline code, which it computes but does not return.
PRE_ANCHOR = "pre-anchor"


@dataclass
class AnalysisData:
    trial_code: str
    protocol: Protocol
    participants: pd.DataFrame
    endpoints: pd.DataFrame
    screenings: pd.DataFrame
    adverse_events: pd.DataFrame
    database_state: str = ""  # "locked", "not locked", with ", unblinded for analysis": as the data were read

    @property
    def factors(self) -> list[str]:
        return [f.code for f in self.protocol.factors]

    @property
    def arms(self) -> list[str]:
        return [a.code for a in self.protocol.arms]

    @property
    def primary_window(self) -> str:
        return self.protocol.outcomes.primary_window

    def primary(self) -> pd.DataFrame:
        """Participants joined with their endpoints in the protocol's primary window."""
        return self.window(self.primary_window)

    def window(self, code: str) -> pd.DataFrame:
        """Every randomised participant joined with their endpoints in the window ``code``."""
        rows = self.endpoints[self.endpoints["window"] == code]
        columns = ["participant_id", *[c for c in rows.columns if c not in self.participants.columns]]
        return self.participants.merge(rows[columns], on="participant_id", how="left")


def final_follow_up(protocol: Protocol) -> str | None:
    """Code of the follow-up visit that closes the primary window: the randomisation-anchored
    follow-up whose target is nearest the window's last day (None if the schedule has none)."""
    window = next(w for w in protocol.outcomes.windows if w.code == protocol.outcomes.primary_window)
    follow_ups = [e for e in protocol.schedule if e.kind == EventKind.FOLLOW_UP and not e.optional]
    anchored = [e for e in follow_ups if e.anchor == RANDOMISATION_ANCHOR]
    chosen = min(anchored, key=lambda e: abs(e.day - window.end), default=None)
    chosen = chosen or (follow_ups[-1] if follow_ups else None)
    return chosen.code if chosen else None


def _with_pre_anchor(protocol: Protocol) -> Protocol:
    outcomes = protocol.outcomes
    lookback = outcomes.baseline_lookback_days
    if lookback <= 0:
        return protocol
    windows = [WindowSpec(code=PRE_ANCHOR, start=-lookback, end=-1), *outcomes.windows]
    return protocol.model_copy(update={"outcomes": outcomes.model_copy(update={"windows": windows})})


def _float(value):
    return None if value is None else float(value)


def load(trial) -> AnalysisData:
    """Read the trial's analysis data set (protocol version in force today), from one consistent
    view of the database (:func:`core.db.snapshot`)."""
    with snapshot():
        return _read(trial)


def _read(trial) -> AnalysisData:
    """The data set as the open transaction sees it: each frame from its own step, the
    participants' frame gaining the CONSORT flags, the baseline and whether they were analysed."""
    protocol = trial.version_on().protocol
    factors = [f.code for f in protocol.factors]
    people = _participants(trial, protocol)
    _add_consort_flags(people, trial, protocol)
    ends = _endpoints(trial, protocol, people)
    return AnalysisData(
        trial_code=trial.code,
        protocol=protocol,
        participants=people,
        endpoints=ends,
        screenings=_screenings(trial, people),
        adverse_events=_adverse_events(trial, people, factors),
        database_state=_database_state(trial),
    )


_PARTICIPANT_FIELDS = [
    "pk",
    "study_id",
    "sex",
    "age_at_consent",
    "site__code",
    "allocation__arm__code",
    "allocation__allocated_on",
    "screening_id",
]
_ENDPOINT_COLUMNS = [
    "participant_id",
    "window",
    "window_start_day",
    "window_end_day",
    "assessed_days",
    "pda",
    "phdd",
    "heavy_days",
    "ddd",
    "grams_per_day",
    "psnhdd_responder",
    "relapse",
    "relapse_day",
    "last_assessed_day",
    "completeness",
]


def _participants(trial, protocol: Protocol) -> pd.DataFrame:
    """One row per randomised participant, by study id: ``participant_id``, ``study_id``, ``sex``,
    ``age`` (a float, NaN when unknown), ``site``, ``arm``, ``allocated_on``, ``screening_id`` and
    one column per factor with the level of the participant's arm."""
    arm_levels = {a.code: a.levels for a in protocol.arms}
    people = pd.DataFrame.from_records(
        Participant.objects.filter(trial=trial, allocation__isnull=False)
        .order_by("study_id")
        .values(*_PARTICIPANT_FIELDS),
        columns=_PARTICIPANT_FIELDS,
    ).rename(
        columns={
            "pk": "participant_id",
            "age_at_consent": "age",
            "site__code": "site",
            "allocation__arm__code": "arm",
            "allocation__allocated_on": "allocated_on",
        }
    )
    people["age"] = pd.to_numeric(people["age"], errors="coerce").astype(float)
    for factor in protocol.factors:
        people[factor.code] = people["arm"].map(lambda arm, f=factor.code: arm_levels.get(arm, {}).get(f))
    return people


def _add_consort_flags(people: pd.DataFrame, trial, protocol: Protocol) -> None:
    """Add the CONSORT flags the module defines (``received_infusion``, ``received_session``,
    ``received``, ``withdrew_follow_up``, ``missed_final_follow_up``, ``lost``, ``discontinued``)
    and the populations (``safety``, ``per_protocol``) to ``people``, from the trial's
    withdrawals, infusions, attended sessions, important deviations and missed visits."""
    scopes: dict[int, set[str]] = {}
    for pid, scope in Withdrawal.objects.filter(participant__trial=trial).values_list("participant_id", "scope"):
        scopes.setdefault(pid, set()).add(scope)
    exposure = exposure_of(Participant.objects.filter(trial=trial))
    infused = {pid for pid, e in exposure.items() if e.infusions}
    sessions = {pid for pid, e in exposure.items() if e.sessions}
    final = final_follow_up(protocol)
    missed_final = set(
        Appointment.objects.filter(
            participant__trial=trial, event_code=final, unscheduled=False, status=AppointmentStatus.MISSED
        ).values_list("participant_id", flat=True)
        if final
        else []
    )
    follow_up_scopes = {WithdrawalScope.FOLLOW_UP.value, WithdrawalScope.DATA_USE.value}
    pids = people["participant_id"]
    people["received_infusion"] = pids.isin(infused)
    people["received_session"] = pids.isin(sessions)
    people["received"] = people["received_infusion"] | people["received_session"]
    people["withdrew_follow_up"] = pids.map(lambda p: bool(scopes.get(p, set()) & follow_up_scopes))
    people["missed_final_follow_up"] = pids.isin(missed_final)
    people["lost"] = people["withdrew_follow_up"] | people["missed_final_follow_up"]
    people["discontinued"] = pids.map(lambda p: WithdrawalScope.INTERVENTION.value in scopes.get(p, set()))
    people["safety"] = people["received"]
    plan = plan_latest(trial)
    rule = from_document(plan.document).populations.per_protocol if plan is not None else None
    people["per_protocol"] = pids.map(lambda p: exposure.get(p, Exposure()).per_protocol(protocol, rule)).astype(bool)


def _endpoints(trial, protocol: Protocol, people: pd.DataFrame) -> pd.DataFrame:
    """The endpoint engine's rows for every window of the protocol (the pre-anchor look-back
    left out), with each participant's arm, site and levels. Adds to ``people`` the baseline
    (``baseline_grams_per_day``, ``baseline_pda`` from the look-back, NaN without one) and
    ``analysed`` (at least one assessed day in the primary window)."""
    rows = endpoints.compute(trial=trial, protocol=_with_pre_anchor(protocol)) if len(people) else []
    records = [
        {
            "participant_id": r.participant_id,
            "window": r.window,
            "window_start_day": r.window_start_day,
            "window_end_day": r.window_end_day,
            "assessed_days": r.assessed_days,
            "pda": _float(r.pda),
            "phdd": _float(r.phdd),
            "heavy_days": float(r.heavy_days) if r.assessed_days else None,
            "ddd": _float(r.ddd),
            "grams_per_day": _float(r.grams_per_day),
            "psnhdd_responder": None if r.psnhdd_responder is None else float(r.psnhdd_responder),
            "relapse": r.relapse,
            "relapse_day": r.relapse_day,
            "last_assessed_day": r.last_assessed_day,
            "completeness": _float(r.completeness),
        }
        for r in rows
    ]
    ends = pd.DataFrame.from_records(records, columns=_ENDPOINT_COLUMNS)
    for column in ("pda", "phdd", "heavy_days", "ddd", "grams_per_day", "psnhdd_responder", "completeness"):
        ends[column] = ends[column].astype(float)
    pids = people["participant_id"]
    baseline = ends[ends["window"] == PRE_ANCHOR].set_index("participant_id")
    people["baseline_grams_per_day"] = pids.map(baseline["grams_per_day"]).astype(float)
    people["baseline_pda"] = pids.map(baseline["pda"]).astype(float)
    factors = [f.code for f in protocol.factors]
    ends = ends[ends["window"] != PRE_ANCHOR].merge(
        people[["participant_id", "arm", "site", *factors]], on="participant_id", how="left"
    )
    primary = ends[ends["window"] == protocol.outcomes.primary_window].set_index("participant_id")
    people["analysed"] = pids.map(primary["assessed_days"]).fillna(0).astype(int) > 0
    return ends


def _screenings(trial, people: pd.DataFrame) -> pd.DataFrame:
    """One row per screening of the trial (``pk``, ``outcome``, ``failed_criteria``), with
    ``randomised``: whether a participant of ``people`` came from it."""
    randomised_screenings = set(people["screening_id"].dropna().astype(int))
    screenings = pd.DataFrame.from_records(
        Screening.objects.filter(trial=trial).order_by("pk").values("pk", "outcome", "failed_criteria"),
        columns=["pk", "outcome", "failed_criteria"],
    )
    screenings["randomised"] = screenings["pk"].isin(randomised_screenings)
    return screenings


def _adverse_events(trial, people: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """One row per adverse event of a randomised participant (``participant_id``, ``grade``,
    ``seriousness``, ``serious``), with the participant's arm and levels."""
    events = pd.DataFrame.from_records(
        AdverseEvent.objects.filter(participant__trial=trial, participant__allocation__isnull=False)
        .order_by("pk")
        .values("participant_id", "grade", "seriousness"),
        columns=["participant_id", "grade", "seriousness"],
    )
    events["serious"] = events["seriousness"].map(bool).astype(bool)
    return events.merge(people[["participant_id", "arm", *factors]], on="participant_id", how="left")


def _database_state(trial) -> str:
    """``locked`` or ``not locked``, with ``, unblinded for analysis`` once the trial is."""
    state = "locked" if active_lock(trial=trial) else "not locked"
    if is_unblinded_for_analysis(trial):
        state += ", unblinded for analysis"
    return state
