"""Every write of a data query.

Who may do what (roles in :mod:`core.roles`, held at the query's site):

- raise: a monitor or a data manager (``RAISE_QUERIES``), on a record at their sites and an item
  they may see;
- answer: the site's staff who enter data (``ANSWER_QUERIES``), never whoever raised it;
- close and re-open: whoever raised it; for a query an edit check raised, a data manager
  (``CLOSE_CHECK_QUERIES``). The site never closes a query;
- comment: anyone who may raise or answer it there.

While the participant's data (or the trial's) are locked, a query is not raised, answered,
re-opened or commented on (409, naming the lock): locked data are asked nothing more; a query may
still be closed. An edit check raises nothing on locked data.

Each change locks the query (``select_for_update``), checks its state under the lock, appends one
message to its thread and runs in one transaction with the audit context: a refusal writes
nothing. A correction made through a service (:mod:`review.changes`) answers every open query on
the corrected items, or on the whole record, with the correction's reason
(:func:`answer_by_correction`, subscribed when the app starts).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import audit, permissions
from core.errors import Conflict, Forbidden, Invalid
from core.roles import ANSWER_QUERIES, CLOSE_CHECK_QUERIES, RAISE_QUERIES
from review.models import Query, QueryAction, QueryMessage, QueryState
from review.models.queries import UNFINISHED
from review.records import Record, ensure_unlocked, record_get

MAX_TEXT = 4000


def _text(text: str | None, *, field: str = "text", required: bool = True) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise Invalid("the message is missing", fields={field: ["This field is required."]})
    if len(cleaned) > MAX_TEXT:
        raise Invalid("the message is too long", fields={field: [f"Write at most {MAX_TEXT} characters."]})
    return cleaned


def _say(query: Query, *, author, action: str, text: str, at=None) -> QueryMessage:
    return QueryMessage.objects.create(query=query, author=author, action=action, text=text, at=at or timezone.now())


def _require(actor, roles, *, site, doing: str) -> None:
    if actor is None or not permissions.has_role(actor, roles, site=site):
        raise Forbidden(f"your roles here do not allow you to {doing}")


def query_raise(*, actor, kind: str, record_id: int, item: str = "", text: str) -> Query:
    """Raise a query on a record of ``kind`` (at one of the actor's sites: 404 otherwise), on
    ``item`` or, blank, the whole record. A monitor or a data manager only (403); an item the
    actor may not see is refused as an unknown one (400), so the refusal reveals nothing."""
    record = record_get(user=actor, kind=kind, pk=record_id)
    _require(actor, RAISE_QUERIES, site=record.site_id, doing="raise data queries at this site")
    item = (item or "").strip()
    if item and (item not in {i.name for i in record.kind.items} or item in record.hidden(actor)):
        raise Invalid("no such item", fields={"item": [f"Choose an item of the {record.kind.label.lower()}."]})
    ensure_unlocked(record.participant)
    body = _text(text)
    with transaction.atomic(), audit.context(actor=actor, reason="data query raised"):
        now = timezone.now()
        query = Query.objects.create(
            trial_id=record.participant.trial_id,
            site_id=record.site_id,
            participant=record.participant,
            kind=record.kind.code,
            record_id=record.pk,
            item=item,
            raised_by=actor,
            created_at=now,
        )
        _say(query, author=actor, action=QueryAction.RAISED, text=body, at=now)
    return query


def query_raise_automatic(*, record: Record, item: str = "", check: str, text: str) -> Query | None:
    """Raise the query of edit check ``check`` on ``record`` (and ``item``), unless one of that check
    is still open or answered there: then nothing is written and None returned. Runs in the
    caller's transaction and audit context (a savepoint of its own)."""
    if Query.objects.filter(
        kind=record.kind.code, record_id=record.pk, item=item, check_code=check, state__in=UNFINISHED
    ).exists():
        return None
    try:
        ensure_unlocked(record.participant)
    except Conflict:
        return None  # locked data are asked nothing more
    now = timezone.now()
    try:
        with transaction.atomic():
            query = Query.objects.create(
                trial_id=record.participant.trial_id,
                site_id=record.site_id,
                participant=record.participant,
                kind=record.kind.code,
                record_id=record.pk,
                item=item,
                check_code=check,
                created_at=now,
            )
            _say(query, author=None, action=QueryAction.RAISED, text=text, at=now)
    except IntegrityError:  # raised meanwhile by another run: the constraint keeps one
        return None
    return query


def _locked(query: Query) -> Query:
    return Query.objects.select_for_update().get(pk=query.pk)


def query_answer(*, actor, query: Query, text: str) -> Query:
    """The site answers an open query (a coordinator or an investigator there, not whoever raised
    it): 403 otherwise, 409 when it is not open."""
    _require(actor, ANSWER_QUERIES, site=query.site_id, doing="answer data queries at this site")
    if query.raised_by_id is not None and query.raised_by_id == actor.pk:
        raise Forbidden("you raised this query: the site answers it")
    ensure_unlocked(query.participant)
    body = _text(text)
    with transaction.atomic(), audit.context(actor=actor, reason="data query answered"):
        locked = _locked(query)
        if locked.state != QueryState.OPEN:
            raise Conflict(f"the query is {locked.get_state_display().lower()}, not open", code=locked.state)
        _answer(locked, author=actor, action=QueryAction.ANSWERED, text=body)
    return locked


def _answer(locked: Query, *, author, action: str, text: str) -> None:
    now = timezone.now()
    locked.state = QueryState.ANSWERED
    locked.answered_at = now
    locked.save(update_fields=["state", "answered_at"])
    _say(locked, author=author, action=action, text=text, at=now)


def _require_raiser(actor, query: Query, *, doing: str) -> None:
    """Whoever raised the query; for an edit check's, a data manager at its site. The site never."""
    if query.raised_by_id is not None:
        if query.raised_by_id != actor.pk:
            raise Forbidden(f"only whoever raised this query may {doing} it")
        return
    _require(actor, CLOSE_CHECK_QUERIES, site=query.site_id, doing=f"{doing} queries raised by an edit check")


def query_close(*, actor, query: Query, text: str = "") -> Query:
    """Close an open or answered query, with an optional note: whoever raised it (403 otherwise),
    409 when it is closed already."""
    _require_raiser(actor, query, doing="close")
    body = _text(text, required=False)
    with transaction.atomic(), audit.context(actor=actor, reason="data query closed"):
        locked = _locked(query)
        if locked.state == QueryState.CLOSED:
            raise Conflict("the query is closed already", code="closed")
        now = timezone.now()
        locked.state = QueryState.CLOSED
        locked.closed_at = now
        locked.save(update_fields=["state", "closed_at"])
        _say(locked, author=actor, action=QueryAction.CLOSED, text=body or "Closed.", at=now)
    return locked


def query_reopen(*, actor, query: Query, text: str) -> Query:
    """Re-open an answered or closed query, saying why: whoever raised it (403 otherwise); 409 when
    it is open already, or when an edit check has an open query of its own there again."""
    _require_raiser(actor, query, doing="re-open")
    ensure_unlocked(query.participant)
    body = _text(text)
    with transaction.atomic(), audit.context(actor=actor, reason="data query re-opened"):
        locked = _locked(query)
        if locked.state == QueryState.OPEN:
            raise Conflict("the query is open already", code="open")
        locked.state = QueryState.OPEN
        locked.closed_at = None
        try:
            with transaction.atomic():
                locked.save(update_fields=["state", "closed_at"])
        except IntegrityError:
            raise Conflict("the edit check has raised this query again: work that one", code="duplicate") from None
        _say(locked, author=actor, action=QueryAction.REOPENED, text=body)
    return locked


def query_comment(*, actor, query: Query, text: str) -> QueryMessage:
    """Add a comment to the thread of a query that is not closed (409 when it is): anyone who may
    raise or answer queries at its site (403 otherwise). The state does not change."""
    _require(actor, RAISE_QUERIES | ANSWER_QUERIES, site=query.site_id, doing="comment on data queries at this site")
    ensure_unlocked(query.participant)
    body = _text(text)
    with transaction.atomic(), audit.context(actor=actor, reason="data query comment"):
        locked = _locked(query)
        if locked.state == QueryState.CLOSED:
            raise Conflict("the query is closed: re-open it to continue", code="closed")
        return _say(locked, author=actor, action=QueryAction.COMMENT, text=body)


def answer_by_correction(*, record: Record, items: frozenset[str], actor, reason: str) -> int:
    """Answer every open query on ``record`` whose item was corrected (or that sits on the whole
    record) with the correction's reason. Runs in the correcting service's transaction; returns how
    many it answered."""
    found = (
        Query.objects.select_for_update()
        .filter(kind=record.kind.code, record_id=record.pk, state=QueryState.OPEN, item__in=[*items, ""])
        .order_by("pk")
    )
    answered = 0
    for locked in found:
        _answer(locked, author=actor, action=QueryAction.CORRECTED, text=reason)
        answered += 1
    return answered


def query_answer_by_check(*, query: Query, text: str) -> bool:
    """The edit check that raised ``query`` no longer finds its condition: an open query is answered
    by the system with ``text`` (a data manager closes it). Returns whether it was answered."""
    with transaction.atomic():
        locked = _locked(query)
        if locked.state != QueryState.OPEN or not locked.check_code:
            return False
        _answer(locked, author=None, action=QueryAction.ANSWERED, text=text)
    return True


def query_actions(*, user, query: Query) -> set[str]:
    """What ``user`` may do to ``query`` now (the services refuse the rest anyway): for a page,
    which forms to offer."""
    allowed: set[str] = set()
    at_site = permissions.roles(user, site=query.site_id)
    raiser = query.raised_by_id == user.pk if query.raised_by_id else bool(at_site & CLOSE_CHECK_QUERIES)
    if query.state == QueryState.OPEN and at_site & ANSWER_QUERIES and query.raised_by_id != user.pk:
        allowed.add("answer")
    if query.state != QueryState.CLOSED and at_site & (RAISE_QUERIES | ANSWER_QUERIES):
        allowed.add("comment")
    if raiser and query.state != QueryState.CLOSED:
        allowed.add("close")
    if raiser and query.state != QueryState.OPEN:
        allowed.add("reopen")
    return allowed
