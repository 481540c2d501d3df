"""Reads of safety data at the user's sites: adverse events and their reporting deadlines, and
protocol deviations (another site's id is a 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from core import permissions
from core.errors import Invalid, NotFound
from participants.models import AdverseEvent, Deviation, Participant
from participants.safety.services import deadlines


def _adverse_events() -> QuerySet[AdverseEvent]:
    return AdverseEvent.objects.select_related("participant", "infusion__visit__appointment")


def adverse_events_of(*, participant: Participant) -> QuerySet[AdverseEvent]:
    return _adverse_events().filter(participant=participant)


def adverse_event_get(*, user, pk: int) -> AdverseEvent:
    ae = _adverse_events().filter(pk=pk, participant__site_id__in=permissions.site_ids(user)).first()
    if ae is None:
        raise NotFound("no such adverse event")
    return ae


@dataclass(frozen=True)
class Deadline:
    adverse_event: AdverseEvent
    report_to: str
    due: dt.datetime
    overdue: bool


def reporting_deadlines(*, user) -> list[Deadline]:
    """Serious events at the user's sites still to be reported, one row per report due, soonest first."""
    now = timezone.now()
    events = (
        _adverse_events()
        .filter(participant__site_id__in=permissions.site_ids(user))
        .exclude(seriousness=[])
        .filter(Q(sponsor_reported_at__isnull=True) | Q(regulator_reported_at__isnull=True))
    )
    rows = []
    for ae in events:
        due = deadlines(ae)
        for to in ("sponsor", "regulator"):
            if due[to] is not None and getattr(ae, f"{to}_reported_at") is None:
                rows.append(Deadline(adverse_event=ae, report_to=to, due=due[to], overdue=due[to] < now))
    rows.sort(key=lambda r: r.due)
    return rows


def _deviations() -> QuerySet[Deviation]:
    """Deviations with what showing their description needs (the participant's trial, site and
    unblindings: see :func:`participants.blinding.presenter.deviation_description`)."""
    return Deviation.objects.select_related("participant__trial", "participant__site", "appointment").prefetch_related(
        "participant__unblindings"
    )


def deviations_of(*, participant: Participant) -> QuerySet[Deviation]:
    return _deviations().filter(participant=participant)


def deviations_list(*, user, trial_code: str = "", site_code: str = "", reviewed: str = "") -> QuerySet[Deviation]:
    """Deviations at the user's sites, of one trial or site when named; ``reviewed`` "true" or
    "false" keeps those reviewed or awaiting review."""
    found = _deviations().filter(participant__site_id__in=permissions.site_ids(user))
    if trial_code:
        found = found.filter(participant__trial__code=trial_code)
    if site_code:
        found = found.filter(participant__site__code=site_code)
    if reviewed in ("true", "false"):
        found = found.filter(reviewed_at__isnull=reviewed == "false")
    elif reviewed:
        raise Invalid("not a boolean", fields={"reviewed": ["Use true or false."]})
    return found.order_by("occurred_on", "pk")


def deviation_get(*, user, pk: int) -> Deviation:
    deviation = _deviations().filter(pk=pk, participant__site_id__in=permissions.site_ids(user)).first()
    if deviation is None:
        raise NotFound("no such deviation")
    return deviation
