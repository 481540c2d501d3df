"""Reads of outcomes, scoped to the user's sites, with factor levels only where blinding allows."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from core import permissions
from outcomes import endpoints
from outcomes.models import BiomarkerSample, DataQuery, DrinkingRecord, QueryStatus, QuestionnaireResponse
from participants import blinding
from participants.blinding import presenter
from participants.models import Participant
from participants.selectors import participants_visible


def drinking_records(*, participant: Participant) -> QuerySet[DrinkingRecord]:
    return DrinkingRecord.objects.filter(participant=participant).order_by("day", "source")


def biomarkers(*, participant: Participant) -> QuerySet[BiomarkerSample]:
    """The participant's samples by date, each with ``open_queries``: how many of its queries are open."""
    return (
        BiomarkerSample.objects.filter(participant=participant)
        .annotate(open_queries=Count("queries", filter=Q(queries__status=QueryStatus.OPEN)))
        .order_by("taken_on", "pk")
    )


def questionnaires(*, participant: Participant) -> QuerySet[QuestionnaireResponse]:
    return QuestionnaireResponse.objects.filter(participant=participant).order_by("administered_on", "pk")


def data_queries(*, participant: Participant) -> QuerySet[DataQuery]:
    return DataQuery.objects.filter(participant=participant).select_related("sample").order_by("day", "pk")


def open_queries(*, user, limit: int = 50) -> list[DataQuery]:
    """Open data queries at the user's sites, the oldest first (at most ``limit``)."""
    return list(
        DataQuery.objects.filter(participant__site_id__in=permissions.site_ids(user), status=QueryStatus.OPEN)
        .select_related("participant", "sample")
        .order_by("created_at", "pk")[:limit]
    )


def randomised_visible(*, user, trial) -> QuerySet[Participant]:
    """The trial's randomised participants at the user's sites, by study id."""
    return participants_visible(user=user).filter(trial=trial, allocation__isnull=False).order_by("study_id")


def _attach_levels(rows, *, user, trial) -> None:
    """Fill each row's ``levels`` with the factors ``user`` may see for that participant."""
    seen = presenter.levels_as_seen(user=user, trial=trial, participant_ids={r.participant_id for r in rows})
    for row in rows:
        row.levels = seen.get(row.participant_id, {})


def endpoints_for_participants(*, user, trial, participant_ids) -> list[endpoints.EndpointRow]:
    """Endpoint rows of the given participants (already scoped by the caller), with visible levels."""
    rows = endpoints.compute(trial=trial, participant_ids=participant_ids)
    _attach_levels(rows, user=user, trial=trial)
    return rows


def endpoints_for_export(*, user, trial) -> tuple[list[endpoints.EndpointRow], list[str]]:
    """Every row the export may hold and the factor columns it carries.

    Without a user (the system itself): every participant and no factor. With a user: their sites
    only, and the factors they may see at every one of those sites.
    """
    factor_codes = [f.code for f in trial.version_on().protocol.factors]
    if user is None:
        rows, columns = endpoints.compute(trial=trial), []
    else:
        rows = endpoints.compute(trial=trial, site_ids=permissions.site_ids(user, trial=trial))
        visible = blinding.factors_visible_everywhere(user=user, trial=trial)
        columns = [f for f in factor_codes if f in visible]
    levels = presenter.levels_of_participants(trial=trial, factors=columns)
    for row in rows:
        row.levels = levels.get(row.participant_id, {})
    return rows, columns
