"""Items left empty with a reason (:mod:`core.missing`) in the ODM file.

An item whose row says why it is empty is written ``<ItemData ItemOID=... IsNull="Yes">`` with one
``Annotation``: a ``Comment`` (``SponsorOrSite="Site"``: the site's staff, or the participant,
gave the reason) holding the reason's note, or its label when there is none, and a ``Flag`` whose
``FlagValue`` is the reason's ISO 21090 null flavour (code list ``CL.NULLFLAVOR``) and whose
``FlagType`` is ``missing`` (code list ``CL.ANNOTATION_TYPE``, shared with the data queries).

A row keeps its reasons in its ``missing`` column under the model field's name; an ODM item
reads a field (:attr:`~outcomes.exports.odm.items.Item.field`, an attname) or shares the reason of
another (``Item.reason_of``: a drinking day's grams, computed from its amount). The ``missing``
column itself is no item.
"""

from __future__ import annotations

import json

from lxml import etree

from core.missing import NULL_FLAVOURS, MissingCode, label
from outcomes.exports.odm.items import Group

ANNOTATION_TYPE_LIST = "CL.ANNOTATION_TYPE"
NULL_FLAVOUR_LIST = "CL.NULLFLAVOR"
MISSING_TYPE = "missing"
# ISO 21090's flavours for the tracker's reasons, decoded as the tracker names the reasons.
NULL_FLAVOUR_CODES = tuple((NULL_FLAVOURS[code], code.label) for code in MissingCode)


def reasons_of(value) -> dict[str, dict]:
    """A row's ``missing`` column as a dictionary (the audit trail may hold it as JSON text)."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return value if isinstance(value, dict) else {}


def reason_names(group: Group) -> dict[str, str]:
    """By item code, the name under which the item's reason is kept: the item's own field's name
    (``seen_by`` for ``seen_by_id``), or the item whose reason it shares."""
    names = {f.attname: f.name for f in group.model._meta.concrete_fields}
    return {item.code: item.reason_of or names.get(item.field, item.field) for item in group.items}


def reason_annotation(reason: dict) -> etree._Element:
    """The ``Annotation`` of an item left empty for ``reason`` (``{"code", "note"}``)."""
    annotation = etree.Element("Annotation", SeqNum="1")
    comment = etree.SubElement(annotation, "Comment", SponsorOrSite="Site")
    comment.text = reason.get("note") or label(reason["code"])
    flag = etree.SubElement(annotation, "Flag")
    etree.SubElement(flag, "FlagValue", CodeListOID=NULL_FLAVOUR_LIST).text = NULL_FLAVOURS[reason["code"]]
    etree.SubElement(flag, "FlagType", CodeListOID=ANNOTATION_TYPE_LIST).text = MISSING_TYPE
    return annotation
