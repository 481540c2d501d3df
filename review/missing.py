"""Reasons an item of a record was left empty (:mod:`core.missing`), given after the record was
entered, and kept true when a value arrives.

Each kind of record names the items that may be left empty with a reason (``Item.empty_ok``; a
JSON item such as a questionnaire's ``items`` takes a reason per key, ``items.3``). The site's
staff who enter data give or withdraw reasons through :func:`missing_reasons_record`, in one
transaction with the audit context; the kind's ``guard`` decides, as the record's own services
do, whether the actor may enter data for it now (their role at the site, a data lock, a
withdrawal of consent). Giving a reason is a change of the record: an open query on the item is
answered by it, and a verification mark or a signature bound to the record sees the change.

When a correction enters a value where a reason was, the reason goes (:func:`settle_on_correction`,
subscribed to :mod:`review.changes` when the app starts): a reason sits only on an empty item.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core import audit
from core import missing as reasons
from core.errors import Invalid
from review import changes
from review.records import Record, record_get

MISSING_ITEM = "missing"


@dataclass(frozen=True)
class EmptyItem:
    """An item of a record that may carry a reason: its name, label, and its reason now (or none)."""

    name: str
    label: str
    code: str
    note: str


def empty_items(record: Record, user) -> list[EmptyItem]:
    """The record's items the user may see that are empty now and may be left so with a reason,
    with the reason given so far; a JSON item contributes one row per empty key."""
    hidden = record.hidden(user)
    given = record.obj.missing or {}
    out: list[EmptyItem] = []
    for item in record.kind.items:
        if not item.empty_ok or item.name in hidden:
            continue
        value = getattr(record.obj, item.name)
        if isinstance(value, dict):
            names = [(f"{item.name}.{key}", f"{item.label}: {key}") for key, v in value.items() if v is None]
        elif reasons.is_empty(value):
            names = [(item.name, item.label)]
        else:
            names = []
        for name, label in names:
            reason = given.get(name) or {}
            out.append(EmptyItem(name=name, label=label, code=reason.get("code", ""), note=reason.get("note", "")))
    return out


def missing_reasons_record(*, actor, kind: str, record_id: int, given: dict[str, dict], reason: str = "") -> Record:
    """Give (or, with ``code`` blank, withdraw) the reasons items of a record are empty.

    ``given`` maps item names to ``{"code": ..., "note": ...}``. Refused: a record not at the
    actor's sites (404); what the kind's guard refuses (403, 409); an item that is not one of
    :func:`empty_items` for the actor (it has a value, it may not be left empty, or the actor may
    not see it: ``items.<name>``); a code that is not a :class:`core.missing.MissingCode` or a note
    too long; nothing given. Returns the record with its reasons saved.
    """
    record = record_get(user=actor, kind=kind, pk=record_id)
    if record.kind.guard is None:
        raise Invalid(
            "this kind of record takes no reasons for empty items here",
            fields={"kind": [f"A {record.kind.label.lower()} says why it is empty where it is entered."]},
        )
    record.kind.guard(actor, record.obj)
    allowed = {e.name for e in empty_items(record, actor)}
    problems: dict[str, list[str]] = {}
    if not given:
        problems["items"] = ["Give a reason for at least one empty item."]
    for name, value in given.items():
        code, note = (value or {}).get("code", ""), (value or {}).get("note", "")
        if name not in allowed:
            problems[f"items.{name}"] = ["Not an empty item of this record that may be left with a reason."]
        elif code and (wrong := reasons.entry_problems(code, note)):
            problems[f"items.{name}"] = wrong
    if problems:
        raise Invalid("the reasons are not valid; nothing was saved", fields=problems)
    model = record.kind.model
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip() or "reasons for empty items given"):
        locked = model.objects.select_for_update().get(pk=record.pk)
        kept = dict(locked.missing or {})
        for name, value in given.items():
            if value.get("code"):
                kept[name] = reasons.entry(value["code"], value.get("note", ""))
            else:
                kept.pop(name, None)
        if kept == (locked.missing or {}):
            return record
        locked.missing = kept
        locked.save(update_fields=["missing"])
        named = {name.partition(".")[0] for name in given} | {MISSING_ITEM}
        changes.corrected(obj=locked, items=named, actor=actor, reason=reason.strip() or "reason for an empty item")
    return Record(kind=record.kind, obj=locked, participant=record.participant)


def settle_on_correction(*, record: Record, items: frozenset[str], actor, reason: str) -> bool:
    """A correction entered a value where a reason was: the reason goes, in the correction's
    transaction and audit context. Returns whether any went."""
    obj = record.obj
    if MISSING_ITEM in items or not getattr(obj, MISSING_ITEM, None):
        return False
    kept = reasons.settled(obj, items)
    if kept == obj.missing:
        return False
    obj.missing = kept
    type(obj).objects.filter(pk=obj.pk).update(missing=kept)
    return True
