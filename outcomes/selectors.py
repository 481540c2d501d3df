"""Reads of outcomes, scoped to the user's sites, with factor levels only where blinding allows."""

from __future__ import annotations

from django.db.models import QuerySet

from core import permissions
from outcomes import endpoints
from outcomes.models import BiomarkerSample, DataQuery, DrinkingRecord, QuestionnaireResponse
from participants import blinding
from participants.models import Allocation, EmergencyUnblinding, Participant
from participants.selectors import participants_visible
from trials.models import ArmLevel


def drinking_records(*, participant: Participant) -> QuerySet[DrinkingRecord]:
    return DrinkingRecord.objects.filter(participant=participant).order_by("day", "source")


def biomarkers(*, participant: Participant) -> QuerySet[BiomarkerSample]:
    return BiomarkerSample.objects.filter(participant=participant).order_by("taken_on", "pk")


def questionnaires(*, participant: Participant) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(participant=participant).order_by("administered_on", "pk")


def data_queries(*, participant: Participant) -> QuerySet[DataQuery]:
    return DataQuery.objects.filter(participant=participant).select_related("sample").order_by("day", "pk")


def randomised_visible(*, user, trial) -> QuerySet[Participant]:
    """The trial's randomised participants at the user's sites, by study id."""
    return participants_visible(user=user).filter(trial=trial, allocation__isnull=False).order_by("study_id")


def _levels_by_participant(trial, participant_ids) -> dict[int, dict[str, str]]:
    """Every factor level of each participant's arm. Callers must then blind."""
    arms: dict[int, dict[str, str]] = {}
    for arm_id, factor, level in ArmLevel.objects.filter(arm__trial=trial).values_list(
        "arm_id", "level__factor__code", "level__code"
    ):
        arms.setdefault(arm_id, {})[factor] = level
    allocations = Allocation.objects.filter(participant__trial=trial)
    if participant_ids is not None:
        allocations = allocations.filter(participant_id__in=list(participant_ids))
    return {pid: arms.get(arm_id, {}) for pid, arm_id in allocations.values_list("participant_id", "arm_id")}


def _attach_levels(rows, *, user, trial) -> None:
    """Fill each row's ``levels`` with the factors ``user`` may see for that participant."""
    ids = {r.participant_id for r in rows}
    if not ids:
        return
    sites = dict(Participant.objects.filter(pk__in=ids).values_list("pk", "site_id"))
    unblinded = set(
        EmergencyUnblinding.objects.filter(requested_by=user, participant_id__in=ids).values_list(
            "participant_id", flat=True
        )
    )
    every = frozenset(f.code for f in trial.version_on().protocol.factors)
    per_site: dict[int, frozenset[str]] = {}
    levels = _levels_by_participant(trial, ids)
    for row in rows:
        site = sites[row.participant_id]
        if site not in per_site:
            per_site[site] = blinding.visible_factors(user=user, trial=trial, site=site)
        visible = every if row.participant_id in unblinded else per_site[site]
        row.levels = {f: lv for f, lv in levels.get(row.participant_id, {}).items() if f in visible}


def endpoints_for_participants(*, user, trial, participant_ids) -> list[endpoints.EndpointRow]:
    """Endpoint rows of the given participants (already scoped by the caller), with visible levels."""
    rows = endpoints.compute(trial=trial, participant_ids=participant_ids)
    _attach_levels(rows, user=user, trial=trial)
    return rows


def endpoints_for_export(*, user, trial) -> tuple[list[endpoints.EndpointRow], list[str]]:
    """Every row the export may hold and the factor columns it carries.

    Without a user (the system itself): every participant and every factor. With a user: their
    sites only, and the factors they may see at every one of those sites.
    """
    factor_codes = [f.code for f in trial.version_on().protocol.factors]
    if user is None:
        rows = endpoints.compute(trial=trial)
        levels = _levels_by_participant(trial, None)
        for row in rows:
            row.levels = levels.get(row.participant_id, {})
        return rows, factor_codes
    rows = endpoints.compute(trial=trial, site_ids=permissions.site_ids(user, trial=trial))
    visible = blinding.factors_visible_everywhere(user=user, trial=trial)
    columns = [f for f in factor_codes if f in visible]
    if columns:
        levels = _levels_by_participant(trial, None)
        for row in rows:
            row.levels = {f: lv for f, lv in levels.get(row.participant_id, {}).items() if f in visible}
    return rows, columns
