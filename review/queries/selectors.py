"""Every read of data queries: scoped by site in the query, and blinded like the record each sits
on, so a query on an item hidden from the user (a dose, an arm) is absent for them, in a list, a
count or by its id (a 404 that reveals nothing).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from core import permissions
from core.errors import Invalid, NotFound
from core.roles import RAISE_QUERIES
from review.models import Query, QueryMessage, QueryState
from review.models.queries import UNFINISHED
from review.records import Record, kind_of, record_get, records_by_pk, records_of

AGE_BANDS = (("0–7 days", 0, 7), ("8–30 days", 8, 30), ("31 days or more", 31, None))


def _scoped(user) -> QuerySet[Query]:
    return Query.objects.filter(site_id__in=permissions.site_ids(user)).select_related(
        "participant", "site", "trial", "raised_by"
    )


def _hidden_from(user, queries: list[Query]) -> set[int]:
    """Ids of the ``queries`` on an item ``user`` may not see. One query per kind that may hide."""
    wanted: dict[str, list[Query]] = defaultdict(list)
    for q in queries:
        if q.item and kind_of(q.kind).may_hide:
            wanted[q.kind].append(q)
    out: set[int] = set()
    for kind, found in wanted.items():
        records = records_by_pk(kind=kind, pks={q.record_id for q in found})
        for q in found:
            record = records.get(q.record_id)
            if record is None or q.item in record.hidden(user):
                out.add(q.pk)
    return out


def where(query: Query) -> str:
    """What the query sits on, in words: the kind of record and the item."""
    kind = kind_of(query.kind)
    return f"{kind.label}, {kind.item(query.item).label.lower()}" if query.item else f"{kind.label} (the whole record)"


def shown(user, queries) -> list[Query]:
    """``queries`` (already scoped) without those on an item hidden from ``user``, in order; each
    with ``where`` (what it sits on, in words) and ``age`` (days since it was raised)."""
    rows = list(queries)
    hidden = _hidden_from(user, rows)
    now = timezone.now()
    out = [q for q in rows if q.pk not in hidden]
    for q in out:
        q.where = where(q)
        q.age = age_days(q, now=now)
    return out


def age_days(query: Query, *, now: dt.datetime | None = None) -> int:
    """Whole days since it was raised (until it closed, for a closed one)."""
    end = query.closed_at or now or timezone.now()
    return (end - query.created_at).days


def queries_list(
    *,
    user,
    state: str = "",
    site_code: str = "",
    study_id: str = "",
    kind: str = "",
    min_age_days: int | None = None,
    trial_code: str = "",
) -> list[Query]:
    """The queries at the user's sites the user may see, oldest first, filtered: ``state`` (one of
    the states, or ``unfinished`` for open and answered), site, participant, kind of record, and at
    least ``min_age_days`` old. A filter that names no state or kind answers 400."""
    found = _scoped(user)
    if state == "unfinished":
        found = found.filter(state__in=UNFINISHED)
    elif state:
        if state not in QueryState.values:
            choices = ", ".join([*QueryState.values, "unfinished"])
            raise Invalid("unknown state", fields={"state": [f"Choose one of: {choices}."]})
        found = found.filter(state=state)
    if kind:
        found = found.filter(kind=kind_of_or_invalid(kind))
    if site_code:
        found = found.filter(site__code=site_code)
    if trial_code:
        found = found.filter(trial__code=trial_code)
    if study_id:
        found = found.filter(participant__study_id=study_id)
    if min_age_days is not None:
        found = found.filter(created_at__lte=timezone.now() - dt.timedelta(days=min_age_days))
    return shown(user, found.order_by("created_at", "pk"))


def queries_of_participants(
    *, participant_ids: Iterable[int], hidden_items: Mapping[str, Collection[str]]
) -> list[Query]:
    """Every query on the records of the participants named (for a caller that has scoped them
    already: an export reads its participants a batch at a time), in the order raised, each with
    its thread in order. A query on an item ``hidden_items`` names for its kind of record (what the
    caller's reader may not see, such as a dose) is absent, as it is from every list and page for
    one who may not see the item. Two queries (one when there is none)."""
    thread = Prefetch("messages", queryset=QueryMessage.objects.order_by("at", "pk"))
    found = Query.objects.filter(participant_id__in=list(participant_ids)).prefetch_related(thread)
    return [q for q in found.order_by("created_at", "pk") if not (q.item and q.item in hidden_items.get(q.kind, ()))]


def kind_of_or_invalid(code: str) -> str:
    try:
        return kind_of(code).code
    except NotFound:
        raise Invalid("unknown kind of record", fields={"kind": ["Choose a kind of record."]}) from None


def query_get(*, user, pk: int) -> Query:
    """One query with its thread, at the user's sites and on an item they may see: a 404 otherwise."""
    query = (
        _scoped(user)
        .prefetch_related(Prefetch("messages", queryset=QueryMessage.objects.select_related("author")))
        .filter(pk=pk)
        .first()
    )
    if query is None or not shown(user, [query]):
        raise NotFound("no such query")
    return query


def query_record(*, user, query: Query) -> Record | None:
    """The record the query sits on, read at the user's sites; None when it is no longer there (a
    drinking day cleared back to missing: the correction that cleared it answered the query, and
    the query stays to be closed)."""
    try:
        return record_get(user=user, kind=query.kind, pk=query.record_id)
    except NotFound:
        return None


def participant_queries(*, user, participant) -> list[Query]:
    """The participant's open and answered queries the user may see, oldest first."""
    found = _scoped(user).filter(participant=participant, state__in=UNFINISHED).order_by("created_at", "pk")
    return shown(user, found)


def open_queries(*, user, limit: int | None = 50) -> list[Query]:
    """Open queries at the user's sites (awaiting the site's answer), oldest first, at most ``limit``
    (None: all)."""
    return _oldest(user, _scoped(user).filter(state=QueryState.OPEN), limit)


def answered_queries(*, user, limit: int | None = 50) -> list[Query]:
    """Queries ``user`` raised that the site has answered, awaiting their review (close or re-open:
    only the raiser may), oldest first, at most ``limit`` (None: all)."""
    return _oldest(user, _scoped(user).filter(state=QueryState.ANSWERED, raised_by=user), limit)


def _oldest(user, found: QuerySet[Query], limit: int | None) -> list[Query]:
    """The oldest ``limit`` of ``found`` that ``user`` may see (:func:`shown`). Read a page at a
    time, so a long backlog is not read whole to show its oldest."""
    found = found.order_by("created_at", "pk")
    if not limit:
        return shown(user, found)
    out: list[Query] = []
    offset = 0
    while len(out) < limit:
        page = list(found[offset : offset + limit])
        if not page:
            break
        out += shown(user, page)
        offset += limit
    return out[:limit]


@dataclass(frozen=True)
class SiteQueries:
    site: str
    bands: tuple[int, ...]  # unfinished queries per age band (AGE_BANDS)
    answered: int  # of those, answered and awaiting review
    total: int


@dataclass(frozen=True)
class QueryMetrics:
    sites: list[SiteQueries]
    closed: int
    median_days_to_close: float | None


def _band(days: int) -> int:
    for index, (_, low, high) in enumerate(AGE_BANDS):
        if days >= low and (high is None or days <= high):
            return index
    return 0


def query_metrics(*, user, trial, now: dt.datetime | None = None) -> QueryMetrics:
    """The trial's queries at the user's sites: those not closed by site and age band, and the
    median days from raising to closing over the closed ones."""
    now = now or timezone.now()
    found = shown(user, _scoped(user).filter(trial=trial).order_by("site__code", "pk"))
    per_site: dict[str, list[int]] = {}
    answered: dict[str, int] = defaultdict(int)
    closing: list[float] = []
    for q in found:
        bands = per_site.setdefault(q.site.name, [0] * len(AGE_BANDS))
        if q.state == QueryState.CLOSED:
            closing.append((q.closed_at - q.created_at).total_seconds() / 86400)
            continue
        bands[_band(age_days(q, now=now))] += 1
        answered[q.site.name] += q.state == QueryState.ANSWERED
    sites = [SiteQueries(site=s, bands=tuple(b), answered=answered[s], total=sum(b)) for s, b in per_site.items()]
    median = round(statistics.median(closing), 1) if closing else None
    return QueryMetrics(sites=sites, closed=len(closing), median_days_to_close=median)


def unfinished_record_ids(*, participant, kind: str, check: str) -> list[int]:
    """Ids of the participant's records of ``kind`` on which edit check ``check`` has a query open or
    answered (for a page that already shows the participant to its user)."""
    return list(
        Query.objects.filter(participant=participant, kind=kind, check_code=check, state__in=UNFINISHED).values_list(
            "record_id", flat=True
        )
    )


def casebook_queries(*, user, participant) -> dict:
    """What a casebook shows of data queries: the participant's queries still open or answered, and,
    for whoever may raise one at the participant's site, the records to raise one on."""
    may_raise = permissions.has_role(user, RAISE_QUERIES, site=participant.site_id)
    return {
        "queries": participant_queries(user=user, participant=participant),
        "records": records_of(participant=participant) if may_raise else [],
    }
