"""Reads of safety data at the user's sites: adverse events and their reporting deadlines, and
protocol deviations (another site's id is a 404)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from core import permissions
from core.errors import Forbidden, Invalid, NotFound
from core.roles import CODE_ADVERSE_EVENTS
from participants.models import AdverseEvent, Deviation, DictionaryRelease, DictionaryTerm, Participant
from participants.safety.services import deadlines


def _adverse_events() -> QuerySet[AdverseEvent]:
    return AdverseEvent.objects.select_related("participant", "infusion__visit__appointment", "dictionary")


def adverse_events_of(*, participant: Participant) -> QuerySet[AdverseEvent]:
    return _adverse_events().filter(participant=participant)


def adverse_event_get(*, user, pk: int) -> AdverseEvent:
    ae = _adverse_events().filter(pk=pk, participant__site_id__in=permissions.site_ids(user)).first()
    if ae is None:
        raise NotFound("no such adverse event")
    return ae


def coding_worklist(*, user, coded: bool = False) -> QuerySet[AdverseEvent]:
    """The adverse events at the sites where ``user`` codes (a data manager's), not yet coded (or,
    with ``coded``, those coded), oldest first; :class:`Forbidden` for one who codes nowhere."""
    sites = permissions.site_ids(user, roles=CODE_ADVERSE_EVENTS)
    if not sites:
        raise Forbidden("only a data manager codes adverse events")
    found = _adverse_events().filter(participant__site_id__in=sites, coded_at__isnull=not coded)
    return found.select_related("participant__site").order_by("created_at", "pk")


def adverse_event_to_code(*, user, pk: int) -> AdverseEvent:
    """The event, for one who codes at its site: :class:`NotFound` across sites (as
    :func:`adverse_event_get`), :class:`Forbidden` for one who does not code there."""
    ae = adverse_event_get(user=user, pk=pk)
    if not permissions.has_role(user, CODE_ADVERSE_EVENTS, site=ae.participant.site_id):
        raise Forbidden("only a data manager of the event's site codes it")
    return ae


def dictionary_releases() -> QuerySet[DictionaryRelease]:
    return DictionaryRelease.objects.order_by("kind", "-loaded_at", "pk")


def _newest_releases() -> list[int]:
    """The newest release of each kind of dictionary loaded: what coding offers by default."""
    newest: dict[str, int] = {}
    for release in dictionary_releases().only("pk", "kind"):
        newest.setdefault(release.kind, release.pk)
    return list(newest.values())


SEARCH_MIN = 2
SEARCH_SHOWN = 20


def dictionary_terms_search(*, query: str, release_id: int | None = None) -> list[DictionaryTerm]:
    """Current terms whose LLT name holds ``query`` (at least two characters, any case), of the
    named release or else the newest of each kind, those starting with it first; at most twenty."""
    query = (query or "").strip()
    if len(query) < SEARCH_MIN:
        return []
    releases = [release_id] if release_id is not None else _newest_releases()
    found = DictionaryTerm.objects.filter(release_id__in=releases, current=True, llt_name__icontains=query)
    found = found.select_related("release").order_by("llt_name", "pk")
    starting = list(found.filter(llt_name__istartswith=query)[:SEARCH_SHOWN])
    rest = list(found.exclude(pk__in=[t.pk for t in starting])[: SEARCH_SHOWN - len(starting)])
    return starting + rest


def dictionary_term_get(*, pk: int) -> DictionaryTerm:
    term = DictionaryTerm.objects.select_related("release").filter(pk=pk).first()
    if term is None:
        raise NotFound("no such dictionary term")
    return term


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
