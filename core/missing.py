"""Missing-data reasons: an item deliberately left empty says why (not done, unknown, not
applicable, declined), with a note.

A record keeps its reasons in its own ``missing`` column (:func:`missing_field`), item name →
``{"code": ..., "note": ...}``, so the reason is part of the record: audited with it, scoped and
blinded with it, and in its fingerprint (a reason given after a signature invalidates it as a
changed value would). An item of a JSON column is named ``<column>.<key>`` (a questionnaire's
``items.3``). A reason sits only on an item without a value; entering the value removes it.

Each export format has its own way of saying why a value is absent, given here once:

* ODM 1.3.2 and Dataset-JSON: the ISO 21090 null flavour CDISC uses (:data:`NULL_FLAVOURS`);
* SAS: the special missing values ``.A``–``.Z`` (:data:`SAS_LETTERS`), Stata the extended missing
  values ``.a``–``.z`` (the same letters in lower case);
* SPSS: user-missing values (:data:`SPSS_CODES`, all in the range declared missing).

In a timeline follow-back, a day the participant cannot remember is ``unknown``: missing, never
abstinent.
"""

from __future__ import annotations

from django.db import models
from rest_framework import serializers


class MissingCode(models.TextChoices):
    NOT_DONE = "not_done", "Not done"
    UNKNOWN = "unknown", "Unknown"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    DECLINED = "declined", "Declined"


# ISO 21090 null flavours: NASK "not asked" (the item was not done), UNK "unknown", NA "not
# applicable", ASKU "asked but unknown" (the person was asked and gave no answer: declined).
NULL_FLAVOURS = {
    MissingCode.NOT_DONE: "NASK",
    MissingCode.UNKNOWN: "UNK",
    MissingCode.NOT_APPLICABLE: "NA",
    MissingCode.DECLINED: "ASKU",
}
SAS_LETTERS = {
    MissingCode.NOT_DONE: "N",
    MissingCode.UNKNOWN: "U",
    MissingCode.NOT_APPLICABLE: "A",
    MissingCode.DECLINED: "D",
}
SPSS_CODES = {
    MissingCode.NOT_DONE: -91,
    MissingCode.UNKNOWN: -92,
    MissingCode.NOT_APPLICABLE: -93,
    MissingCode.DECLINED: -94,
}
SPSS_RANGE = (-99, -91)  # declared user-missing in the file: every code above
NOTE_MAX = 500


def missing_field():
    """The ``missing`` column a model whose items may be left empty with a reason carries."""
    return models.JSONField(
        default=dict,
        blank=True,
        help_text="Items left empty on purpose: item name → {code, note} (core.missing).",
    )


def label(code: str) -> str:
    return MissingCode(code).label


def entry(code: str, note: str = "") -> dict[str, str]:
    """One item's reason as stored."""
    return {"code": str(MissingCode(code)), "note": note.strip()}


def entry_problems(code, note) -> list[str]:
    """What is wrong with a reason as given (nothing: an empty list)."""
    if code not in MissingCode.values:
        return [f"Choose one of: {', '.join(MissingCode.values)}."]
    if not isinstance(note, str):
        return ["Give the note as text."]
    if len(note) > NOTE_MAX:
        return [f"Keep the note to {NOTE_MAX} characters."]
    return []


def is_empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def item_value(obj, name: str):
    """The value of item ``name`` of ``obj`` (``column.key`` for a key of a JSON column)."""
    column, _, key = name.partition(".")
    value = getattr(obj, column)
    if key:
        return value.get(key) if isinstance(value, dict) else None
    return value


def settled(obj, names) -> dict:
    """``obj``'s reasons without those of ``names`` that now hold a value (what to store after a
    correction entered them)."""
    reasons = dict(obj.missing or {})
    for name in list(reasons):
        named = name in names or name.partition(".")[0] in names
        if named and not is_empty(item_value(obj, name)):
            del reasons[name]
    return reasons


class MissingReasonSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=MissingCode.choices)
    note = serializers.CharField(allow_blank=True)


def MissingReasonsField(**kwargs):
    """A record's reasons as the API shows them: item name → ``{code, note}``."""
    return serializers.DictField(
        child=MissingReasonSerializer(),
        read_only=True,
        help_text="Items left empty on purpose, by item name, with the reason (not_done, unknown, "
        "not_applicable, declined) and a note.",
        **kwargs,
    )
