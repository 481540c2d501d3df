"""Reads of reminders: a participant's outbox, the days of their diary already reported, and the
coordinators' escalation worklist."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import reduce
from operator import or_

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core import permissions
from core.missing import MissingCode
from outcomes.models import DrinkingRecord, Source
from participants.guards import anchor_date
from participants.models import Appointment, AppointmentStatus, Participant, Withdrawal, WithdrawalScope
from participants.schedule.due import INTERVENTION_KINDS
from reminders.models import ContactPreference, Notification, ParticipantResponse, ResponseKind, State
from trials.models import Site

DIARY_MAX_DAYS = 7


def notifications_of(*, participant, state: str = "") -> QuerySet[Notification]:
    """The participant's reminders by due time (in one state when named)."""
    rows = Notification.objects.filter(participant=participant).select_related("appointment").order_by("due_at", "pk")
    return rows.filter(state=state) if state else rows


def contact_preference_of(*, participant) -> ContactPreference | None:
    return ContactPreference.objects.filter(participant=participant).first()


def notification_for_link(*, notification_id: int) -> Notification | None:
    """The reminder a participant's link names, with what its page shows."""
    return (
        Notification.objects.select_related("appointment", "participant__site", "participant__trial")
        .filter(pk=notification_id)
        .first()
    )


def participant_for_link(*, participant_id: int) -> Participant | None:
    return Participant.objects.filter(pk=participant_id).first()


@dataclass(frozen=True)
class ReportedDay:
    """A day of the diary already reported: its ``amount`` in the protocol's unit, or none and
    ``missing``, the reason (``unknown``: the participant did not remember it)."""

    day: dt.date
    amount: Decimal | None
    missing: str = ""

    def __post_init__(self):
        if self.amount is not None:  # as a person writes it: 4.5 and 10, not 4.50 or 1E+1
            whole = self.amount == self.amount.to_integral_value()
            object.__setattr__(self, "amount", self.amount.quantize(Decimal(1)) if whole else self.amount.normalize())

    @property
    def not_remembered(self) -> bool:
        return self.missing == MissingCode.UNKNOWN


def diary_period_start(participant: Participant, today: dt.date) -> dt.date:
    """The first day a diary report on ``today`` (the participant's date) covers: randomisation,
    at most :data:`DIARY_MAX_DAYS` back. The period ends yesterday."""
    anchor = anchor_date(participant) or today
    return max(anchor, today - dt.timedelta(days=DIARY_MAX_DAYS))


def diary_days_reported(*, participant: Participant, today: dt.date, unit) -> list[ReportedDay]:
    """The days of the diary period already reported, by day: those with a drinking record from the
    diary source, whoever entered it (the participant, or staff transcribing a paper diary), and
    those a diary answer from before reports were stored as drinking records lists. Amounts are in
    ``unit`` (the protocol's :class:`~trials.protocol.outcomes.UnitSpec`): a record entered in
    another unit is shown converted from its grams, to one decimal."""
    start = diary_period_start(participant, today)
    found: dict[dt.date, ReportedDay] = {}
    earlier = ParticipantResponse.objects.filter(
        participant=participant, kind=ResponseKind.DIARY, payload__stored_as_drinking_records=False
    )
    for payload in earlier.values_list("payload", flat=True):
        for text in payload.get("days", []):
            day = dt.date.fromisoformat(text)
            if start <= day < today:
                found[day] = ReportedDay(day=day, amount=_decimal((payload.get("amounts") or {}).get(text)))
    records = DrinkingRecord.objects.filter(participant=participant, source=Source.DIARY, day__gte=start, day__lt=today)
    for r in records.only("day", "amount", "unit", "grams", "missing"):
        if r.grams is None:
            code = (r.missing.get("amount") or {}).get("code", MissingCode.UNKNOWN)
            found[r.day] = ReportedDay(day=r.day, amount=None, missing=code)
        elif r.unit == unit.code:
            found[r.day] = ReportedDay(day=r.day, amount=r.amount)
        else:
            amount = (r.grams / Decimal(unit.grams)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            found[r.day] = ReportedDay(day=r.day, amount=amount)
    return [found[day] for day in sorted(found)]


def _decimal(text) -> Decimal | None:
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except InvalidOperation:
        return None


def worklist_entries(
    *,
    user,
    now: dt.datetime | None = None,
    site_codes: list[str] | None = None,
    kinds: frozenset[str] = frozenset({"overdue", "failed", "reschedule"}),
    limit: int | None = None,
) -> list[dict]:
    """What the coordinators of the user's sites should act on, oldest first, of the ``kinds`` asked for:

    * ``overdue``: a scheduled appointment whose window closed before today (the site's date), of a
      participant still in follow-up (and, for an infusion or a session, still in the intervention);
    * ``failed``: a reminder that could not be sent (after its retries, or for a bad contact detail);
    * ``reschedule``: a participant asked to reschedule and the appointment has not been moved since.

    ``limit`` caps the failed reminders and the reschedule requests read (the oldest first).
    """
    now = now or timezone.now()
    sites = permissions.site_ids(user)
    entries: list[dict] = []
    if "overdue" in kinds:
        entries.extend(_overdue(sites, now, site_codes))
    if "failed" in kinds:
        failed = Notification.objects.filter(participant__site_id__in=sites, state=State.FAILED).select_related(
            "participant__site", "participant__trial", "appointment"
        )
        for n in failed.order_by("updated_at", "pk")[:limit]:
            detail = f"{n.channel}: {n.last_error}"
            entries.append(_entry(n.participant, "failed", n.appointment, n.subject_date, detail))
    if "reschedule" in kinds:
        requests = ParticipantResponse.objects.filter(
            participant__site_id__in=sites,
            kind=ResponseKind.RESCHEDULE,
            appointment__status=AppointmentStatus.SCHEDULED,
        ).select_related("participant__site", "participant__trial", "appointment")
        for r in requests.order_by("created_at", "pk")[:limit]:
            if r.appointment.updated_at <= r.created_at:
                entries.append(_entry(r.participant, "reschedule", r.appointment, r.appointment.booked_date, r.note))
    if site_codes:
        entries = [e for e in entries if e["site"] in site_codes]
    return entries


def _overdue(sites, now: dt.datetime, site_codes: list[str] | None) -> list[dict]:
    """Overdue appointments, found in the database: each site's windows closed before its own date."""
    found = Site.objects.filter(pk__in=sites)
    if site_codes:
        found = found.filter(code__in=site_codes)
    closed = [
        Q(participant__site_id=site.pk, window_end__lt=now.astimezone(zoneinfo.ZoneInfo(site.time_zone)).date())
        for site in found
    ]
    if not closed:
        return []
    withdrawn = Withdrawal.objects.filter(participant_id=OuterRef("participant_id"))
    overdue = (
        Appointment.objects.filter(reduce(or_, closed), status=AppointmentStatus.SCHEDULED)
        .exclude(Exists(withdrawn.filter(scope__in=[WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE])))
        .exclude(Q(kind__in=INTERVENTION_KINDS) & Exists(withdrawn.filter(scope=WithdrawalScope.INTERVENTION)))
        .select_related("participant__site", "participant__trial")
    )
    return [
        _entry(a.participant, "overdue", a, a.window_end, f"window closed {a.window_end}")
        for a in overdue.order_by("window_end", "pk")
    ]


def _entry(participant, what: str, appointment, day, detail: str) -> dict:
    return {
        "what": what,
        "trial": participant.trial.code,
        "site": participant.site.code,
        "study_id": participant.study_id,
        "event_code": appointment.event_code if appointment is not None else "",
        "appointment_id": appointment.pk if appointment is not None else None,
        "date": day,
        "detail": detail or "",
    }
