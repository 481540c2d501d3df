"""The records a person reviews: what a data query, a verification mark or a signature points at.

Each app registers its record kinds when it starts (``participants.records``, ``outcomes.records``),
so this module, below them, imports none of their models. A :class:`Kind` names its model, how a
record reaches its participant, the items (fields) a query can sit on or a monitor verifies, the
fields a user may not see (a hidden factor's level, a dose) and how to describe a record in a line.

:func:`record_get` reads one record the way every selector does: at one of the user's sites, or
a 404 that says nothing. :func:`fingerprint` is a keyed digest (HMAC-SHA-256) of a record's
clinical content: what a signature or a verification mark is bound to, so that a later change is
seen by comparing digests. It is keyed so that nobody can recover a hidden value (a dose) by
hashing the few values it could take.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models

from core import permissions
from core.errors import NotFound
from core.missing import label as reason_label


@dataclass(frozen=True)
class Item:
    """One field of a record, as a reviewer names it; ``empty_ok``: it may be left empty with a
    reason (:mod:`review.missing`)."""

    name: str
    label: str
    empty_ok: bool = False


def _nothing_hidden(user, obj) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class Kind:
    """A kind of record under review.

    ``participant`` is the lookup from the record to its participant (``"participant"``,
    ``"visit__appointment__participant"``; empty when the record is the participant); ``items``
    are its reviewable fields, every clinical field of the model (a test holds each kind to that);
    ``children`` gives rows that belong to the record and count as its content (an infusion's
    vital signs); ``hidden(user, obj)`` names the items that user may not see; ``critical`` kinds
    are verified in full by default; ``page(obj)`` is the address of the page the site corrects the
    record on, with a reason (None, or no ``page``, where there is none: a randomisation).
    """

    code: str
    label: str
    model: type[models.Model]
    participant: str
    items: tuple[Item, ...]
    describe: Callable[[Any], str]
    hidden: Callable[[Any, Any], frozenset[str]] = _nothing_hidden
    children: Callable[[Any], list[dict[str, Any]]] | None = None
    critical: bool = False
    appointment: str | None = None  # lookup to the appointment, for kinds recorded at a visit
    related: tuple[str, ...] = field(default=())  # select_related beyond the participant and its site
    # Fields derived from the record after entry by others than the site (an adverse event's coding
    # to a dictionary): not what the site entered, so neither an item nor part of the fingerprint.
    derived: tuple[str, ...] = field(default=())
    # ``guard(actor, obj)`` refuses (403, 409) an actor who may not enter data for the record now,
    # as the record's own services would; a kind without one takes no reasons for empty items.
    guard: Callable[[Any, Any], None] | None = None
    page: Callable[[Any], str | None] | None = None

    @property
    def may_hide(self) -> bool:
        """Whether some user may be kept from some item of this kind (a dose, an arm)."""
        return self.hidden is not _nothing_hidden

    def item(self, name: str) -> Item:
        for item in self.items:
            if item.name == name:
                return item
        raise NotFound(f"{self.label} has no item {name!r}")


_kinds: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    """Add ``kind`` (again, harmlessly: apps may start twice in a test run)."""
    existing = _kinds.get(kind.code)
    if existing is not None and existing.model is not kind.model:
        raise ValueError(f"record kind {kind.code!r} is already {existing.model.__name__}")
    _kinds[kind.code] = kind


# What refuses (409) work on a participant's locked data; set by the app that owns the locks.
_lock_check: Callable[[Any], None] | None = None


def register_lock_check(check: Callable[[Any], None]) -> None:
    """``check(participant)`` raises :class:`~core.errors.Conflict` while the participant's data
    (or the trial's) are locked: the review's own writes that ask the site for something (a data
    query raised, answered, re-opened or commented) call it through :func:`ensure_unlocked`."""
    global _lock_check
    _lock_check = check


def ensure_unlocked(participant) -> None:
    """Refuse (409) while ``participant``'s data are locked."""
    if _lock_check is not None:
        _lock_check(participant)


def kinds() -> list[Kind]:
    return sorted(_kinds.values(), key=lambda k: k.code)


def kind_of(code: str) -> Kind:
    """The kind called ``code``; an unknown one is a 404 (it names a record that cannot exist)."""
    try:
        return _kinds[code]
    except KeyError:
        raise NotFound(f"no kind of record {code!r}") from None


def kind_for(obj: models.Model) -> Kind:
    for kind in _kinds.values():
        if isinstance(obj, kind.model):
            return kind
    raise LookupError(f"{type(obj).__name__} is not a kind of record under review")


@dataclass(frozen=True)
class Record:
    """One record under review, with its participant (site and trial loaded)."""

    kind: Kind
    obj: Any
    participant: Any

    @property
    def pk(self) -> int:
        return self.obj.pk

    @property
    def site_id(self) -> int:
        return self.participant.site_id

    def describe(self) -> str:
        return self.kind.describe(self.obj)

    def hidden(self, user) -> frozenset[str]:
        return self.kind.hidden(user, self.obj)

    def page(self) -> str | None:
        """The address of the page the site corrects the record on, or None."""
        return self.kind.page(self.obj) if self.kind.page is not None else None

    def shown_value(self, name: str, user) -> str:
        """The item's value as text for ``user`` (a hidden one is never read; nor is the reason a
        hidden item is empty, among the record's reasons)."""
        hidden = self.hidden(user)
        if name in hidden:
            return "(hidden)"
        if name == "missing":
            return _reasons_text(self.reasons_shown(user))
        return _text(self.obj, name)

    def reasons_shown(self, user) -> dict:
        """The record's reasons items are empty (``missing``), without those of items ``user`` may
        not see: a reason's note could say what a hidden value is."""
        hidden = self.hidden(user)
        reasons = getattr(self.obj, "missing", None) or {}
        return {name: r for name, r in reasons.items() if name.partition(".")[0] not in hidden}


def _participant_of(kind: Kind, obj) -> Any:
    for part in kind.participant.split("__") if kind.participant else ():
        obj = getattr(obj, part)
    return obj


def _path(kind: Kind, lookup: str) -> str:
    """``lookup`` of the record's participant, as a lookup from the record."""
    return f"{kind.participant}__{lookup}" if kind.participant else lookup


def _queryset(kind: Kind):
    return kind.model.objects.select_related(_path(kind, "site"), _path(kind, "trial"), *kind.related)


def record_get(*, user, kind: str, pk: int) -> Record:
    """The record of ``kind`` with ``pk`` at one of the user's sites, or a 404 that reveals nothing."""
    found = kind_of(kind)
    scope = {_path(found, "site_id__in"): permissions.site_ids(user)}
    obj = _queryset(found).filter(**scope, pk=pk).first()
    if obj is None:
        raise NotFound(f"no such {found.label.lower()}")
    return Record(kind=found, obj=obj, participant=_participant_of(found, obj))


def records_by_pk(*, kind: str, pks: Iterable[int]) -> dict[int, Record]:
    """The records of ``kind`` with the given ids, by id (for a caller that has scoped them already).
    One query."""
    found = kind_of(kind)
    return {
        obj.pk: Record(kind=found, obj=obj, participant=_participant_of(found, obj))
        for obj in _queryset(found).filter(pk__in=set(pks))
    }


def record_of(obj: models.Model) -> Record:
    """The record ``obj`` is (for a service that already holds it, scoped by its caller)."""
    kind = kind_for(obj)
    return Record(kind=kind, obj=obj, participant=_participant_of(kind, obj))


def records_of(*, participant, kinds_wanted: Iterable[str] | None = None, appointment=None) -> list[Record]:
    """Every record of ``participant`` (of the kinds named; only those made at ``appointment``
    when given), kind by kind, each in its model's order. One query per kind."""
    out: list[Record] = []
    wanted = set(kinds_wanted) if kinds_wanted is not None else None
    for kind in kinds():
        if wanted is not None and kind.code not in wanted:
            continue
        if appointment is not None and kind.appointment is None:
            continue
        rows = _queryset(kind).filter(**{_path(kind, "pk"): participant.pk})
        if appointment is not None:
            rows = rows.filter(**{kind.appointment: appointment})
        out += [Record(kind=kind, obj=obj, participant=participant) for obj in rows]
    return out


# --- content and its digest -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 44.40 and 44.4 are one value; 10 never 1E+1
    return value


def _reasons_text(reasons: dict) -> str:
    if not reasons:
        return "(none)"
    return "; ".join(
        f"{name}: {reason_label(r['code'])}" + (f" ({r['note']})" if r.get("note") else "")
        for name, r in sorted(reasons.items())
    )


def _text(obj, name: str) -> str:
    value = getattr(obj, name)
    if name == "missing":
        return _reasons_text(value or {})
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None and value not in (None, ""):
        return str(display())
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, models.Model):
        return str(value)
    return str(_plain(value))


def content(record: Record, items: Iterable[str] | None = None) -> dict[str, Any]:
    """The record's clinical content as plain values: the named items (all by default), and its
    children when all items are taken."""
    names = list(items) if items is not None else [i.name for i in record.kind.items]
    values: dict[str, Any] = {}
    for name in names:
        model_field = record.kind.model._meta.get_field(name)
        values[name] = _plain(getattr(record.obj, model_field.attname))
    if items is None and record.kind.children is not None:
        values["_children"] = [{k: _plain(v) for k, v in row.items()} for row in record.kind.children(record.obj)]
    return values


def _key() -> bytes:
    return hashlib.sha256(b"trialtracker review fingerprint\x00" + settings.SECRET_KEY.encode()).digest()


def fingerprint(record: Record, items: Iterable[str] | None = None) -> str:
    """A keyed digest of the record's content (or of the named items): equal while nothing in it
    changes, different after any change. Bound to the kind and the record's id, so a digest never
    fits another record."""
    body = json.dumps(
        {"kind": record.kind.code, "pk": record.pk, "content": content(record, items)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()


def fingerprint_of_many(records: Iterable[Record]) -> str:
    """One digest of several records (a casebook, a visit's records), whatever order they come in."""
    parts = sorted(f"{r.kind.code}:{r.pk}:{fingerprint(r)}" for r in records)
    return hmac.new(_key(), "\n".join(parts).encode(), hashlib.sha256).hexdigest()
