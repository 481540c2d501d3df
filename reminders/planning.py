"""Planning: which reminders a participant should get, reconciled with the outbox.

:func:`desired` reads the protocol version in force (its ``reminders`` policies), the participant's
appointments, withdrawals and contact preferences, and returns every reminder that should exist,
keyed by idempotency key. :func:`reminders_plan` brings the outbox in line: new rows for new
reminders, pending rows moved when their due time changed, pending rows no longer wanted
cancelled. It never touches a row that was claimed, sent, delivered or failed, so a reminder that
went out is never planned again. Callers run it inside the transaction that changed the
appointments, so the rows commit (or roll back) with them.

Due times: the local date (the appointment's booked date plus the policy's offset, the day after a
missed visit plus the offset, or the diary day) at the policy's time of day (the participant's
preferred time for the diary) in the participant's time zone, moved out of their quiet hours, and
stored in UTC. A reminder whose due time has already passed when it is planned is not created.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from core.db import one_to_one
from participants.models import Appointment, AppointmentStatus, Participant, WithdrawalScope
from reminders.models import LIVE_STATES, Channel, ContactPreference, Kind, Notification, State
from reminders.preferences import at_local, out_of_quiet_hours, zone_for
from trials.protocol import EventKind

INTERVENTION_KINDS = frozenset({EventKind.INFUSION, EventKind.THERAPY})
STOPS_EVERYTHING = (WithdrawalScope.FOLLOW_UP, WithdrawalScope.DATA_USE)


@dataclass(frozen=True)
class Planned:
    key: str
    kind: str
    channel: str
    appointment_id: int | None
    subject_date: dt.date
    offset_days: int
    due_at: dt.datetime
    label: str = ""  # the event code, for people reading a plan


@dataclass
class Change:
    action: str  # create, move, revive, cancel
    key: str
    kind: str
    channel: str
    label: str
    old_due: dt.datetime | None
    new_due: dt.datetime | None


@dataclass
class PlanResult:
    participant: Participant
    changes: list[Change] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)


def key_for(*, kind: str, channel: str, participant_id: int, appointment_id: int | None, day: dt.date, offset: int):
    if kind == Kind.DIARY:
        return f"diary:{participant_id}:{day.isoformat()}:{channel}"
    return f"{kind}:{appointment_id}:{day.isoformat()}:{offset:+d}:{channel}"


def withdrawal_scopes(participant: Participant) -> set[str]:
    return set(participant.withdrawals.values_list("scope", flat=True))


def open_channels(preference: ContactPreference | None) -> list[str]:
    if preference is None:
        return []
    return [c for c in Channel.values if preference.channel_open(c)]


def diary_days(participant: Participant, protocol, anchor: dt.date) -> list[dt.date]:
    """Every day the protocol asks for a diary: from the anchor date to the end of the last outcome window."""
    last_study_day = max(w.end for w in protocol.outcomes.windows)
    return [anchor + dt.timedelta(days=n) for n in range(max(last_study_day, 1))]


@dataclass
class _Plan:
    """The reminders planned for one participant, at their local times outside quiet hours."""

    participant: Participant
    channels: set[str]
    zone: object
    quiet: tuple
    rows: dict[str, Planned] = field(default_factory=dict)

    def add(self, kind, channel, appointment_id, subject_date, offset, day, at, label) -> None:
        if channel not in self.channels:
            return
        due = out_of_quiet_hours(at_local(day, at, self.zone), *self.quiet).astimezone(dt.UTC)
        key = key_for(
            kind=kind,
            channel=channel,
            participant_id=self.participant.pk,
            appointment_id=appointment_id,
            day=subject_date,
            offset=offset,
        )
        self.rows[key] = Planned(key, kind, channel, appointment_id, subject_date, offset, due, label)

    def policy(self, kind, policy, appointment, subject_date) -> None:
        """The reminders a policy asks for about ``subject_date`` (a booking, or a missed visit's date)."""
        for offset in policy.offsets_days:
            day = subject_date + dt.timedelta(days=offset)
            for channel in policy.channels:
                self.add(
                    kind, channel, appointment.pk, subject_date, offset, day, policy.time_of_day, appointment.event_code
                )


def desired(participant: Participant, *, today_version=None) -> dict[str, Planned]:
    """Every reminder the participant should get under the protocol in force, keyed by idempotency key."""
    # The allocation and the contact preferences in one query (both one-to-one with the participant).
    fresh = Participant.objects.select_related("allocation", "contact_preference").only(
        "id", "allocation__allocated_on", "contact_preference"
    )
    fresh = fresh.get(pk=participant.pk)
    allocation = one_to_one(fresh, "allocation")
    if allocation is None:
        return {}
    scopes = withdrawal_scopes(participant)
    if scopes & set(STOPS_EVERYTHING):
        return {}
    preference = one_to_one(fresh, "contact_preference")
    channels = open_channels(preference)
    if not channels:
        return {}
    zone = zone_for(participant, preference)
    plan = _Plan(participant, set(channels), zone, (preference.quiet_start, preference.quiet_end))
    version = today_version or participant.trial.version_on(timezone.now().astimezone(zone).date())
    spec = version.protocol.reminders
    policies = {p.event_kind: p for p in spec.policies}
    appointments = Appointment.objects.filter(
        participant=participant, status__in=[AppointmentStatus.SCHEDULED, AppointmentStatus.MISSED]
    ).select_related("visit")
    for appointment in appointments:
        if appointment.status == AppointmentStatus.SCHEDULED:
            policy = policies.get(appointment.kind)
            stopped = WithdrawalScope.INTERVENTION in scopes and appointment.kind in INTERVENTION_KINDS
            if policy is not None and not stopped:
                plan.policy(Kind.APPOINTMENT, policy, appointment, appointment.booked_date)
            continue
        policy = policies.get("missed_visit")
        visit = one_to_one(appointment, "visit")
        if policy is not None and visit is not None:
            plan.policy(Kind.MISSED_VISIT, policy, appointment, visit.actual_date)
    diary = spec.daily_diary
    if diary is not None and version.protocol.outcomes.daily_self_report:
        at = preference.preferred_time or diary.default_time
        for day in diary_days(participant, version.protocol, allocation.allocated_on):
            for channel in diary.channels:
                plan.add(Kind.DIARY, channel, None, day, 0, day, at, "diary")
    return plan.rows


def reminders_plan(
    *,
    participant: Participant,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    reason: str = "",
    kinds: Collection[str] = (),
) -> PlanResult:
    """Bring the participant's pending reminders in line with :func:`desired`.

    Creates reminders that are due in the future (diary prompts only within the planning horizon,
    ``REMINDERS_DIARY_HORIZON_DAYS``), moves pending ones whose due time changed, revives one that
    was cancelled when it is wanted again (an appointment moved back to its old date), and cancels
    pending ones no longer wanted. With ``dry_run`` nothing is written and the changes are returned.
    With ``kinds`` only reminders of those kinds are planned, the others left as they are: a run
    at an earlier ``now`` (the simulation's daily runs of the diary's recent past) then makes no
    appointment reminder for a visit that, by now, was held or missed.
    """
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=settings.REMINDERS_DIARY_HORIZON_DAYS)
    result = PlanResult(participant=participant)
    with transaction.atomic(), audit.context(reason=reason or "reminders planned"):
        wanted = desired(participant)
        if kinds:
            wanted = {key: plan for key, plan in wanted.items() if plan.kind in kinds}
        # The pending rows and every row of a wanted key, in one query.
        rows = Notification.objects.filter(participant=participant).filter(
            Q(state=State.PENDING) | Q(idempotency_key__in=list(wanted))
        )
        if not dry_run:
            rows = rows.select_for_update()
        existing = {n.idempotency_key: n for n in rows}
        pending = {key: n for key, n in existing.items() if n.state == State.PENDING and (not kinds or n.kind in kinds)}
        for key, row in pending.items():
            if key not in wanted:
                result.changes.append(Change("cancel", key, row.kind, row.channel, _label(row), row.due_at, None))
                if not dry_run:
                    row.state = State.CANCELLED
                    row.cancel_reason = (reason or "no longer planned")[:200]
                    row.save(update_fields=["state", "cancel_reason", "updated_at"])
        for key, plan in sorted(wanted.items(), key=lambda kv: kv[1].due_at):
            row = existing.get(key)
            if row is None:
                if plan.due_at <= now or (plan.kind == Kind.DIARY and plan.due_at > horizon):
                    continue
                result.changes.append(Change("create", key, plan.kind, plan.channel, plan.label, None, plan.due_at))
                if not dry_run:
                    Notification.objects.create(
                        participant=participant,
                        appointment_id=plan.appointment_id,
                        kind=plan.kind,
                        channel=plan.channel,
                        subject_date=plan.subject_date,
                        offset_days=plan.offset_days,
                        due_at=plan.due_at,
                        idempotency_key=key,
                    )
            elif row.state == State.PENDING and row.due_at != plan.due_at:
                result.changes.append(Change("move", key, plan.kind, plan.channel, plan.label, row.due_at, plan.due_at))
                if not dry_run:
                    row.due_at = plan.due_at
                    row.save(update_fields=["due_at", "updated_at"])
            elif row.state == State.CANCELLED and plan.due_at > now and row.attempts == 0:
                if plan.kind == Kind.DIARY and plan.due_at > horizon:
                    continue
                result.changes.append(Change("revive", key, plan.kind, plan.channel, plan.label, None, plan.due_at))
                if not dry_run:
                    row.state, row.due_at, row.cancel_reason = State.PENDING, plan.due_at, ""
                    row.save(update_fields=["state", "due_at", "cancel_reason", "updated_at"])
        if dry_run:
            transaction.set_rollback(True)
    return result


def _label(row: Notification) -> str:
    if row.appointment_id is None:
        return "diary"
    return Appointment.objects.filter(pk=row.appointment_id).values_list("event_code", flat=True).first() or ""


def reminders_cancel(*, participant: Participant, reason: str, appointment: Appointment | None = None) -> int:
    """Cancel the participant's pending reminders (those of one appointment, when given). Returns how many."""
    rows = Notification.objects.filter(participant=participant, state=State.PENDING)
    if appointment is not None:
        rows = rows.filter(appointment=appointment)
    count = 0
    for row in rows.select_for_update():
        row.state = State.CANCELLED
        row.cancel_reason = reason[:200]
        row.save(update_fields=["state", "cancel_reason", "updated_at"])
        count += 1
    return count


def live(participant: Participant):
    return Notification.objects.filter(participant=participant, state__in=LIVE_STATES)
