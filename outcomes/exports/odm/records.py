"""One ``ItemGroupData`` per audit event of a row, each with its ``AuditRecord``.

:class:`RecordWriter` writes a row of a group as its audit trail tells it (``Insert``, then one
``Update`` per change carrying the items that changed, ``Remove`` for a deletion), or as one
``Insert`` by the row's own author at its time where there is no trail; :func:`audit_events`
reads the trail of many rows in one query. An item left empty with a reason is written
``IsNull="Yes"`` with the reason's annotation (:mod:`~outcomes.exports.odm.reasons`). What the
export may not carry is left out here: the dose fields unless the export carries the dosing
factor, a deviation's description unless
:func:`participants.blinding.presenter.deviation_text_shown` allows it, an allocation's arm and
slot from its audit events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from lxml import etree

from core import history
from outcomes.exports.odm.items import DEVIATION, INFUSION, Group, Item
from outcomes.exports.odm.reasons import reason_annotation, reason_names, reasons_of
from participants.blinding import presenter
from participants.models import Allocation

MISSING = "missing"  # the column of a row's reasons for its empty items (core.missing)
SYSTEM_USER = "USR.SYSTEM"
PARTICIPANT_USER = "USR.PARTICIPANT"  # the participant, for what they entered themselves


def hidden_fields(scope) -> dict[str, tuple[str, ...]]:
    """Fields left out per group: the dose reveals the dosing factor."""
    if presenter.dose_shown(protocol=scope.trial.version_on().protocol, factors=scope.factors):
        return {}
    return {INFUSION.code: presenter.DOSE_FIELDS}


def group_items(group: Group, hidden: dict[str, tuple[str, ...]]) -> tuple[Item, ...]:
    """The group's items, less the fields ``hidden`` (from :func:`hidden_fields`) leaves out."""
    return tuple(i for i in group.items if i.field not in hidden.get(group.code, ()))


def _text(value, kind: str) -> str | None:
    if value is None or value == "":
        return None
    if kind == "boolean" or isinstance(value, bool):
        return "true" if value in (True, "True", "true", 1) else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dt.date, Decimal, int, float)):
        return str(value)
    if kind == "datetime" and " " in str(value):
        return str(value).replace(" ", "T", 1)
    return str(value)


def _stamp(value) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value).replace(" ", "T", 1)


class RecordWriter:
    """Writes item groups into the open file ``xf`` for one export ``scope``: knows the fields
    the scope hides, the users ``AdminData`` lists, and the current batch's study events."""

    def __init__(self, xf, scope):
        self.xf = xf
        self.scope = scope
        self.hidden = hidden_fields(scope)
        self.dose_hidden = INFUSION.code in self.hidden
        self.users = set(get_user_model().objects.values_list("pk", flat=True))
        self.usernames = dict(get_user_model().objects.values_list("username", "pk"))
        # the batch's visits as they are named in the file: by appointment id, and by infusion id
        self.event_keys: dict[int, str] = {}
        self.infusion_keys: dict[int, str] = {}
        # the dictionary releases named so far, by id
        self.dictionaries: dict[int, str] = {}
        # the batch's data queries as ``Annotation``s, by (group code, row id): see odm.annotations
        self.annotations: dict[tuple[str, int], list[etree._Element]] = {}
        # by group code, by item code: where the item's reason for being empty is kept (odm.reasons)
        self.reason_names: dict[str, dict[str, str]] = {}

    def element(self, tag: str, attrs: dict | None = None, text: str | None = None):
        el = etree.Element(tag, {k: v for k, v in (attrs or {}).items() if v is not None})
        if text is not None:
            el.text = text
        self.xf.write(el)

    def user_oid(self, user_id=None, actor=None) -> str:
        """The OID of a listed user: ``actor`` is what the audit trail holds (a username, or a
        user id when the username was not recorded)."""
        if user_id is None and actor:
            user_id = self.usernames.get(actor, actor)
        try:
            user_id = int(user_id) if user_id is not None else None
        except (TypeError, ValueError):
            user_id = None
        return f"USR.{user_id}" if user_id in self.users else SYSTEM_USER

    def audit(self, *, user: str, location: str, at, reason: str = "") -> etree._Element:
        record = etree.Element("AuditRecord")
        etree.SubElement(record, "UserRef", UserOID=user)
        etree.SubElement(record, "LocationRef", LocationOID=location)
        etree.SubElement(record, "DateTimeStamp").text = _stamp(at)
        if reason:
            etree.SubElement(record, "ReasonForChange").text = reason
        return record

    def row_items(self, group: Group, row) -> tuple[Item, ...]:
        """The group's items this row carries: a deviation's description only when
        :func:`participants.blinding.presenter.deviation_text_shown` says so."""
        items = group_items(group, self.hidden)
        if group is DEVIATION and not presenter.deviation_text_shown(row, dose_shown=not self.dose_hidden):
            items = tuple(i for i in items if i.field != "description")
        return items

    def group_data(
        self,
        group: Group,
        row,
        events: list[dict],
        location: str,
        extra: dict[str, str] | None = None,
        origin: tuple[int | None, object] | None = None,
    ):
        """One ``ItemGroupData`` per audit event of ``row`` (one ``Insert`` without events, by the
        row's author at its time, or ``origin`` ``(user id, time)`` for a group without them); the
        last, the row as it stands, carries the row's :attr:`annotations` (its data queries)."""
        items = self.row_items(group, row)
        key = str(row.pk) if group.repeating else None
        if not events:
            who, when = origin or (getattr(row, group.who) if group.who else None, getattr(row, group.when))
            events = [
                {
                    "label": "insert",
                    "at": when,
                    "actor_id": who,
                    "reason": "",
                    "values": {i.field: getattr(row, i.field) for i in items} | {MISSING: getattr(row, MISSING, None)},
                    "changes": None,
                }
            ]
        for n, event in enumerate(events):
            kind = {"insert": "Insert", "update": "Update", "delete": "Remove"}.get(event["label"], "Upsert")
            if n == 0 and kind == "Update":
                kind = "Upsert"  # the row predates the audit trail
            attrs = {"ItemGroupOID": f"IG.{group.code}", "ItemGroupRepeatKey": key, "TransactionType": kind}
            el = etree.Element("ItemGroupData", {k: v for k, v in attrs.items() if v is not None})
            el.append(
                self.audit(
                    user=self.author(group, row, event),
                    location=location,
                    at=event["at"],
                    reason=event.get("reason") or "",
                )
            )
            if n == len(events) - 1:
                el.extend(self.annotations.get((group.code, row.pk), ()))
            if kind != "Remove":
                self.item_data(el, group, items, event, insert=kind == "Insert")
                if n == 0:
                    for code, value in (extra or {}).items():
                        etree.SubElement(el, "ItemData", ItemOID=f"IT.{code}", Value=value)
            self.xf.write(el)

    def item_data(self, el, group: Group, items: tuple[Item, ...], event: dict, *, insert: bool) -> None:
        """The event's ``ItemData`` in ``el``: on an ``Insert`` each item with a value or a reason
        it is empty, on a later event (with its ``changes``) each item that changed and each empty
        one whose reason changed. An empty item is ``IsNull="Yes"``, with its reason's
        ``Annotation`` (:mod:`~outcomes.exports.odm.reasons`) when it has one."""
        values = event["values"]
        changed = None if insert else event.get("changes")
        now = reasons_of(values.get(MISSING))
        before = reasons_of(changed[MISSING][0]) if changed and MISSING in changed else now
        if group.code not in self.reason_names:
            self.reason_names[group.code] = reason_names(group)
        names = self.reason_names[group.code]
        for item in items:
            raw = values.get(item.field)
            name = names[item.code]
            unchanged = changed is not None and item.field not in changed
            if unchanged and (raw not in (None, "") or before.get(name) == now.get(name)):
                continue
            value = _text(item.derive(raw, self) if item.derive is not None else raw, item.type)
            reason = now.get(name) if value is None else None
            if value is None and insert and reason is None:
                continue
            attrs = {"ItemOID": f"IT.{item.code}"}
            if value is None:
                attrs["IsNull"] = "Yes"
            else:
                attrs["Value"] = value
            item_el = etree.SubElement(el, "ItemData", attrs)
            if reason:
                item_el.append(reason_annotation(reason))

    def author(self, group: Group, row, event: dict) -> str:
        """Who made the change: a listed user, the participant for what they entered themselves
        with no one else named, or the system."""
        if group.self_entry and event.get("actor_id") is None and not event.get("actor"):
            values = event.get("values") or {}
            if values.get(group.self_entry, getattr(row, group.self_entry)):
                return PARTICIPANT_USER
        return self.user_oid(event.get("actor_id"), event.get("actor"))


def audit_events(group: Group, pks: Iterable[int], hidden: dict[str, tuple[str, ...]]) -> dict[str, list[dict]]:
    """The audit events of the rows ``pks`` of ``group``'s model, by object id, oldest first."""
    pks = list(pks)
    if not pks:
        return {}
    out: dict[str, list[dict]] = {}
    leave_out = set(hidden.get(group.code, ()))
    if group.model is Allocation:
        leave_out |= {"arm", "arm_id", "slot", "slot_id", "stratum"}
    for event in history.events_for([(group.model, Q(pgh_obj_id__in=pks))], hidden=leave_out):
        event["actor_id"] = None
        out.setdefault(event["object_id"], []).append(event)
    # In the order they were written: the events of one transaction share its time, and their ids
    # ("<model>:<n>") do not sort as numbers.
    for events in out.values():
        events.sort(key=lambda event: int(event["id"].rsplit(":", 1)[1]))
    return out
