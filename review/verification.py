"""Source data verification: what the monitor checks (the protocol's ``monitoring`` plan), the
marks they leave, and the progress of it all.

The plan (:func:`plan_of`): the kinds the protocol verifies in full (a serious adverse event, a
drinking day inside the primary endpoint's window, as it says), and a sample of every other
record: a keyed hash of the record's kind and id below ``sample_fraction``, so the same records are
chosen on every reading and nobody at a site can tell which will be.

A mark (:func:`record_verify`, the monitor only) holds the digest of what it covers: the whole form
as the monitor sees it, or one item. It is never removed: when the record changes, the digests
differ and the record reads "changed since verified" and is back on the monitor's list until it is
verified again. Items hidden from a reader (a dose, an arm) are never verified by them, and marks on
them are not shown to them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from core import audit, clock, permissions
from core.errors import Forbidden, Invalid
from core.roles import VERIFY_SOURCE
from review.models import VerificationMark
from review.records import Record, _path, _queryset, content, fingerprint, kinds, record_get

FULL, SAMPLED = "full", "sampled"
TO_VERIFY, VERIFIED, CHANGED, NOT_SELECTED = "to_verify", "verified", "changed", "not_selected"
STATE_LABELS = {
    TO_VERIFY: "To verify",
    VERIFIED: "Verified",
    CHANGED: "Changed since verified",
    NOT_SELECTED: "Not selected",
}


# --- the plan -------------------------------------------------------------------------------------


def _sample_key() -> bytes:
    return hashlib.sha256(b"trialtracker verification sample\x00" + settings.SECRET_KEY.encode()).digest()


def sampled(kind: str, pk: int, fraction: Decimal | float) -> bool:
    """Whether the record (``kind``, ``pk``) falls in the sample of ``fraction``: the same answer
    every time, and for a share of records that tends to ``fraction``."""
    digest = hmac.new(_sample_key(), f"{kind}:{pk}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") < Decimal(str(fraction)) * 2**64


def _in_primary_window(record: Record, protocol, anchor) -> bool:
    if anchor is None:
        return False
    window = next(w for w in protocol.outcomes.windows if w.code == protocol.outcomes.primary_window)
    first, last = (clock.date_of_study_day(anchor, n) for n in (window.start, window.end))
    return first <= record.obj.day <= last


def plan_of(record: Record, *, protocol, anchor=None) -> str | None:
    """``FULL`` when the protocol verifies the record in full, ``SAMPLED`` when it falls in the
    sample, None when the monitor need not check it. ``anchor`` is the participant's randomisation
    date (study day 1), for the drinking days of the primary window."""
    spec = protocol.monitoring
    code = record.kind.code
    if code in spec.verify_in_full:
        if code == "adverse_event" and spec.adverse_events == "serious":
            full = bool(record.obj.seriousness)
        elif code == "drinking_day" and spec.drinking_days == "primary_window":
            full = _in_primary_window(record, protocol, anchor)
        else:
            full = True
        if full:
            return FULL
    return SAMPLED if sampled(code, record.pk, spec.sample_fraction) else None


# --- marks ----------------------------------------------------------------------------------------


def digest(record: Record, items: Iterable[str], *, whole: bool) -> str:
    """The keyed digest a mark holds: of ``items`` of the record and, for a whole form, of the rows
    that belong to it (an infusion's vital signs)."""
    names = sorted(items)
    if whole and set(names) == {i.name for i in record.kind.items}:
        return fingerprint(record)
    part = fingerprint(record, names)
    if not whole or record.kind.children is None:
        return part
    rows = content(record)["_children"]
    body = part + json.dumps(rows, sort_keys=True, default=str)
    return hmac.new(_sample_key(), body.encode(), hashlib.sha256).hexdigest()


def _covered(record: Record, user, item: str) -> list[str]:
    hidden = record.hidden(user)
    if not item:
        return [i.name for i in record.kind.items if i.name not in hidden]
    if item in hidden or item not in {i.name for i in record.kind.items}:
        # A hidden item is answered as an unknown one: the refusal says nothing of it.
        raise Invalid("no such item to verify", fields={"item": [f"{record.kind.label} has no item {item!r}."]})
    return [item]


def record_verify(*, actor, kind: str, pk: int, item: str = "") -> VerificationMark:
    """Mark the record (``kind``, ``pk``) at one of the actor's sites, or one ``item`` of it,
    verified against the source by ``actor``, a monitor there (403 otherwise; 404 for a record
    elsewhere). Verifying what is already verified and unchanged returns the existing mark."""
    record = record_get(user=actor, kind=kind, pk=pk)
    participant = record.participant
    if not permissions.has_role(actor, VERIFY_SOURCE, site=participant.site):
        raise Forbidden("only a monitor at the participant's site verifies records against the source")
    item = (item or "").strip()
    covered = _covered(record, actor, item)
    current = digest(record, covered, whole=not item)
    with transaction.atomic(), audit.context(actor=actor, reason="verified against the source"):
        latest = (
            VerificationMark.objects.select_for_update()
            .filter(kind=kind, record_id=record.pk, item=item)
            .order_by("-verified_at", "-pk")
            .first()
        )
        if latest is not None and latest.fingerprint == current and latest.items == covered:
            return latest
        return VerificationMark.objects.create(
            trial_id=participant.trial_id,
            site_id=participant.site_id,
            participant=participant,
            kind=kind,
            record_id=record.pk,
            item=item,
            items=covered,
            fingerprint=current,
            verified_by=actor,
        )


# --- states ---------------------------------------------------------------------------------------


@dataclass
class RecordState:
    """One record as the reader sees it under verification: its place in the plan, its state, and
    the state of each item a mark of theirs (or another's they may see) sits on."""

    record: Record
    plan: str | None
    state: str
    mark: VerificationMark | None = None  # the latest mark of the whole form
    items: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


def _latest(marks: Iterable[VerificationMark]) -> dict[str, VerificationMark]:
    latest: dict[str, VerificationMark] = {}
    for mark in marks:
        known = latest.get(mark.item)
        if known is None or (mark.verified_at, mark.pk) > (known.verified_at, known.pk):
            latest[mark.item] = mark
    return latest


def state_of(record: Record, user, marks: Iterable[VerificationMark], plan: str | None) -> RecordState:
    """The record's state for ``user`` from its marks: verified when the latest mark of the whole
    form still matches, or one of each item the user sees does; changed since verified when a
    mark no longer matches; else to verify (or not selected, outside the plan)."""
    hidden = record.hidden(user)
    latest = {k: m for k, m in _latest(marks).items() if k not in hidden}
    items = {}
    for name, mark in latest.items():
        if name:
            items[name] = VERIFIED if digest(record, [name], whole=False) == mark.fingerprint else CHANGED
    whole = latest.get("")
    whole_state = None
    if whole is not None:
        whole_state = VERIFIED if digest(record, whole.items, whole=True) == whole.fingerprint else CHANGED
    seen = [i.name for i in record.kind.items if i.name not in hidden]
    if whole_state == VERIFIED or (seen and all(items.get(n) == VERIFIED for n in seen)):
        state = VERIFIED
    elif whole_state == CHANGED or CHANGED in items.values():
        state = CHANGED
    else:
        state = TO_VERIFY if plan else NOT_SELECTED
    return RecordState(record=record, plan=plan, state=state, mark=whole, items=items)


def records_by_participant(participants: dict[int, object]) -> dict[int, list[Record]]:
    """Every record of the participants, kind by kind (one query per kind), by participant."""
    out: dict[int, list[Record]] = {pid: [] for pid in participants}
    for kind in kinds():
        for obj in _queryset(kind).filter(**{_path(kind, "pk__in"): list(participants)}):
            pid = obj.pk if not kind.participant else _participant_id(kind, obj)
            out[pid].append(Record(kind=kind, obj=obj, participant=participants[pid]))
    return out


def _participant_id(kind, obj) -> int:
    for part in kind.participant.split("__"):
        obj = getattr(obj, part)
    return obj.pk


def states_of(*, user, participants: Iterable) -> dict[int, list[RecordState]]:
    """Each participant's records with their verification state for ``user``, scoped by the caller
    (the participants come from a selector that scoped them)."""
    people = {p.pk: p for p in participants}
    records = records_by_participant(people)
    marks: dict[tuple[str, int], list[VerificationMark]] = {}
    for mark in VerificationMark.objects.filter(participant_id__in=list(people)).select_related("verified_by"):
        marks.setdefault((mark.kind, mark.record_id), []).append(mark)
    out: dict[int, list[RecordState]] = {}
    protocols: dict[int, object] = {}
    for pid, rows in records.items():
        person = people[pid]
        protocol = protocols.setdefault(person.trial_id, person.trial.version_on().protocol)
        anchor = next((r.obj.allocated_on for r in rows if r.kind.code == "randomisation"), None)
        out[pid] = [
            state_of(r, user, marks.get((r.kind.code, r.pk), []), plan_of(r, protocol=protocol, anchor=anchor))
            for r in rows
        ]
    return out


@dataclass
class Progress:
    """Counts over the records of the plan: to verify in all, verified, changed since verified."""

    planned: int = 0
    verified: int = 0
    changed: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.verified / self.planned) if self.planned else 100

    def add(self, state: RecordState) -> None:
        if state.plan is None:
            return
        self.planned += 1
        self.verified += state.state == VERIFIED
        self.changed += state.state == CHANGED


def progress(states: dict[int, list[RecordState]], people: dict[int, object]) -> dict:
    """Progress per participant and per site (by site code), and the records the monitor should
    look at: those changed since verified, then those still to verify, in the participants' order."""
    per_participant: dict[int, Progress] = {}
    per_site: dict[int, Progress] = {}
    changed, to_verify = [], []
    for pid, rows in states.items():
        mine = per_participant.setdefault(pid, Progress())
        site = per_site.setdefault(people[pid].site_id, Progress())
        for state in rows:
            mine.add(state)
            site.add(state)
            if state.state == CHANGED:
                changed.append(state)
            elif state.state == TO_VERIFY:
                to_verify.append(state)
    return {"participants": per_participant, "sites": per_site, "changed": changed, "to_verify": to_verify}
