"""How the participant pages word what the selectors and the blinding presenter hand them.

Nothing here decides what is hidden: an allocation arrives already presented (a hidden factor's
level replaced by the presenter's placeholder), and is only given the protocol's titles.
"""

from __future__ import annotations

from typing import Any

from trials.protocol.schedule import EventKind

# The form an appointment is entered on, by the kind of its event in the protocol's schedule.
FORM_OF_KIND = {EventKind.INFUSION.value: "web:infusion-day", EventKind.THERAPY.value: "web:session"}
DEFAULT_FORM = "web:visit"

STATUS_TAGS = {
    "done": "ok",
    "due": "warn",
    "overdue": "bad",
    "missed": "bad",
    "upcoming": "muted",
    "cancelled": "muted",
    "enrolled": "muted",
    "randomised": "ok",
    "withdrawn": "bad",
}

RECORD_NAMES = {
    "participants.participant": "Participant",
    "participants.consent": "Consent",
    "participants.withdrawal": "Withdrawal",
    "participants.allocation": "Randomisation",
    "participants.emergencyunblinding": "Emergency unblinding",
    "participants.appointment": "Appointment",
    "participants.visit": "Visit",
    "participants.infusionsession": "Infusion",
    "participants.vitalsigns": "Vital signs",
    "participants.therapysession": "Session",
    "participants.adverseevent": "Adverse event",
}
APPOINTMENT = "participants.appointment"
EVENT_NAMES = {"insert": "created", "update": "changed", "delete": "deleted"}
# Columns that say nothing to a reader of the history: the record's own id, the ids it points at
# (the actor column says who), and the times the event itself carries.
QUIET_FIELDS = frozenset({"id"})
QUIET_SUFFIXES = ("_id", "_at")
NOT_QUIET = frozenset({"study_id"})  # a column of its own, not a pointer to another record


def form_of(kind: str) -> str:
    """The URL name of the form an appointment of ``kind`` is entered on."""
    return FORM_OF_KIND.get(kind, DEFAULT_FORM)


def levels_shown(protocol, presented: dict[str, Any]) -> list[dict[str, str]]:
    """The presented allocation's levels with the protocol's titles: ``[{factor, level}]``, a level
    the presenter withheld kept as the presenter wrote it."""
    rows = []
    for code, level in presented["levels"].items():
        factor = protocol.factor(code)
        titles = {lv.code: lv.title for lv in factor.levels}
        rows.append({"factor": factor.title or code, "level": titles.get(level, level)})
    return rows


def history_rows(events: list[dict]) -> list[dict]:
    """Audit events as rows of the casebook's history: when, who, what record, its changes, why.
    The appointments drawn up together (at randomisation, or when an anchor visit re-dates those
    after it) make one row naming their events: the schedule above shows their dates."""
    rows: list[dict] = []
    for event in events:
        if event["model"] == APPOINTMENT and event["label"] == "insert":
            code = event["values"].get("event_code", "")
            last = rows[-1] if rows else None
            if last and last.get("drawn_up") and last["at"] == event["at"] and last["reason"] == event["reason"]:
                last["changes"][0]["new"] += f", {code}"
                continue
            rows.append(
                {
                    "at": event["at"],
                    "actor": event["actor"] or "the system",
                    "record": "Schedule",
                    "event": "drawn up",
                    "changes": [{"field": "appointments", "old": None, "new": code}],
                    "reason": event["reason"],
                    "drawn_up": True,
                }
            )
            continue
        changes = [
            {"field": field.replace("_", " "), "old": old, "new": new}
            for field, (old, new) in event["changes"].items()
            if field in NOT_QUIET or (field not in QUIET_FIELDS and not field.endswith(QUIET_SUFFIXES))
        ]
        rows.append(
            {
                "at": event["at"],
                "actor": event["actor"] or "the system",
                "record": RECORD_NAMES.get(event["model"], event["model"].rsplit(".", 1)[-1]),
                "event": EVENT_NAMES.get(event["label"], event["label"]),
                "changes": changes,
                "reason": event["reason"],
            }
        )
    return rows
