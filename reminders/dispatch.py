"""Sending the outbox: claim due rows, send each once, retry with backoff, sweep stuck claims.

* :func:`notifications_dispatch` (the beat task every minute, or ``manage.py dispatch_reminders``)
  first returns rows stuck in ``claimed`` to ``pending`` (a sender died before it could finish),
  then claims due rows in batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two dispatchers
  never claim the same row) and, after the claim commits, enqueues one send task per row whose
  only payload is the row's id, ``ENQUEUE_CHUNK`` of them per Redis pipeline. If the broker
  refuses, the rows not yet enqueued go back to ``pending``.
* :func:`notification_send` locks the row and acts only if it is still ``claimed``: a task
  delivered twice finds it ``sent`` and does nothing. It re-checks every condition (withdrawal,
  consent, opt-out, the appointment's state and date, the policy in force, quiet hours), renders
  the text from the current template, sends with the idempotency key, and records the outcome in
  the same transaction. A transient failure puts the row back to ``pending`` with a later due time
  (backoff in the database, no broker countdown); after ``REMINDERS_MAX_ATTEMPTS`` it is ``failed``
  and shown to the site's coordinators.

The window that remains: the provider accepted a message and the process died before the commit.
The row is still ``claimed``, the sweeper returns it, and it is sent again with the same
idempotency key; a provider that honours the key does not deliver it twice (docs/reminders.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import transaction
from django.utils import timezone

from core import audit
from participants.models import AppointmentStatus, Participant, WithdrawalScope
from reminders import channels, links, messages
from reminders.models import Channel, ContactPreference, Kind, Notification, State
from reminders.planning import INTERVENTION_KINDS, STOPS_EVERYTHING, withdrawal_scopes
from reminders.preferences import contact_problem, in_quiet_hours, out_of_quiet_hours, zone_for
from reminders.sms import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)

ENQUEUE_CHUNK = 500  # sends published in one broker round trip


@dataclass
class DispatchResult:
    swept: int = 0
    claimed: int = 0
    released: int = 0
    error: str = ""


def notifications_sweep(*, now: dt.datetime | None = None) -> int:
    """Return rows claimed longer than ``REMINDERS_CLAIM_TIMEOUT_SECONDS`` ago to ``pending``.

    Rows a sender holds locked are in flight and skipped.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.REMINDERS_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic(), audit.context(reason="stuck reminder claims returned"):
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=State.CLAIMED, claimed_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(state=State.PENDING, claimed_at=None, updated_at=now)
    return len(ids)


def notifications_claim(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Claim up to ``limit`` due pending rows (oldest first) that no one else holds; returns their ids."""
    now = now or timezone.now()
    limit = limit or settings.REMINDERS_DISPATCH_BATCH
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=State.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(state=State.CLAIMED, claimed_at=now, updated_at=now)
    return ids


def notifications_release(ids: list[int], *, error: str) -> int:
    """Put claimed rows back to ``pending`` (their sends could not be enqueued)."""
    with transaction.atomic():
        return Notification.objects.filter(pk__in=ids, state=State.CLAIMED).update(
            state=State.PENDING, claimed_at=None, last_error=error[:500], updated_at=timezone.now()
        )


class EnqueueError(Exception):
    """The broker refused a batch; ``enqueued`` sends (whole batches) went before it."""

    def __init__(self, enqueued: int, cause: Exception):
        super().__init__(f"{cause.__class__.__name__}: {cause}")
        self.enqueued = enqueued


def _batch(producer, size: int):
    batch = getattr(producer, "batch", None)
    return batch(max_size=size + 1) if batch is not None else contextlib.nullcontext()


def _enqueue(ids: list[int]) -> int:
    """Enqueue one send per id, in batches of ``ENQUEUE_CHUNK``; returns how many were enqueued.

    Raises :class:`EnqueueError` with the number enqueued before the batch the broker refused.
    """
    from reminders.tasks import send_notification
    from trialtracker.celery import app

    done = 0
    if app.conf.task_always_eager:
        for pk in ids:
            send_notification.apply(args=(pk,), throw=True)
            done += 1
        return done
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            chunk = ids[start : start + ENQUEUE_CHUNK]
            # On Redis (kombu 5.7+) the chunk goes in one pipeline, one round trip; elsewhere each is
            # published at once. A failed chunk counts as not enqueued even if part of it was. That is
            # safe: its rows go back to pending, and of the sends queued for a row only one finds it
            # claimed and sends it; the others find it pending or sent and do nothing.
            try:
                with _batch(producer, len(chunk)):
                    for pk in chunk:
                        send_notification.apply_async(args=(pk,), producer=producer, retry=False)
            except Exception as exc:
                raise EnqueueError(done, exc) from exc
            done += len(chunk)
    return done


def notifications_dispatch(*, now: dt.datetime | None = None, max_rows: int | None = None) -> DispatchResult:
    """Sweep, then claim and enqueue due rows batch by batch (at most ``max_rows`` in this run)."""
    result = DispatchResult(swept=notifications_sweep(now=now))
    max_rows = max_rows or settings.REMINDERS_DISPATCH_MAX_PER_RUN
    while result.claimed < max_rows:
        ids = notifications_claim(now=now, limit=min(settings.REMINDERS_DISPATCH_BATCH, max_rows - result.claimed))
        if not ids:
            break
        result.claimed += len(ids)
        failure: list[str] = []

        def enqueue(ids=ids, failure=failure) -> None:
            try:
                _enqueue(ids)
            except Exception as exc:  # the broker is down: keep the rows for the next run
                done = exc.enqueued if isinstance(exc, EnqueueError) else 0
                detail = str(exc) if isinstance(exc, EnqueueError) else f"{exc.__class__.__name__}: {exc}"
                failure.append(f"could not enqueue: {detail}")
                result.error = failure[0]
                result.released += notifications_release(ids[done:], error=failure[0])
                log.warning("reminders: %s; %d rows returned to pending", failure[0], len(ids) - done)

        transaction.on_commit(enqueue)  # runs now unless the caller holds a transaction
        if failure:
            break
    return result


# --- sending one ---------------------------------------------------------------------------------


def why_not_send(n: Notification, participant: Participant, preference: ContactPreference | None, now) -> str:
    """The reason this reminder must not go out now, or "" when it may."""
    scopes = withdrawal_scopes(participant)
    if scopes & set(STOPS_EVERYTHING):
        return "the participant withdrew"
    if preference is None:
        return "no consent to contact"
    if n.channel == Channel.EMAIL and not preference.email_consent:
        return "no consent to email"
    if n.channel == Channel.SMS and not preference.sms_consent:
        return "no consent to SMS"
    if not preference.channel_open(n.channel):
        return f"opted out of {n.channel}"
    zone = zone_for(participant, preference)
    today = now.astimezone(zone).date()
    version = participant.trial.version_on(today)
    spec = version.protocol.reminders
    if n.kind == Kind.DIARY:
        diary = spec.daily_diary
        if diary is None or not version.protocol.outcomes.daily_self_report or n.channel not in diary.channels:
            return "the protocol no longer asks for a daily diary by this channel"
        if today > n.subject_date:
            return "too late: the diary day has passed"
        return ""
    appointment = n.appointment
    policy_kind = "missed_visit" if n.kind == Kind.MISSED_VISIT else appointment.kind
    policy = next((p for p in spec.policies if p.event_kind == policy_kind), None)
    if policy is None or n.offset_days not in policy.offsets_days or n.channel not in policy.channels:
        return "the reminder policy in force no longer asks for this reminder"
    if n.kind == Kind.MISSED_VISIT:
        if appointment.status != AppointmentStatus.MISSED:
            return f"the appointment is {appointment.status}"
        return ""
    if WithdrawalScope.INTERVENTION in scopes and appointment.kind in INTERVENTION_KINDS:
        return "the participant stopped the intervention"
    if appointment.status != AppointmentStatus.SCHEDULED:
        return f"the appointment is {appointment.status}"
    if appointment.booked_date != n.subject_date:
        return "the appointment was rescheduled"
    if today > appointment.booked_date:
        return "too late: the appointment has passed"
    return ""


def backoff(attempts: int) -> dt.timedelta:
    seconds = settings.REMINDERS_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.REMINDERS_RETRY_MAX_SECONDS))


def _one_to_one(instance, name: str):
    """A reverse one-to-one loaded by ``select_related``, or None when there is no row."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> str:
    """Send one claimed reminder, once. Returns what happened: sent, retry, failed, cancelled,
    deferred (quiet hours) or skipped (not claimed: already handled, or swept back).

    Five statements besides BEGIN and COMMIT: lock the row (with its appointment); read the
    participant with site, trial, contact preferences and identity (one query, after the lock, so it
    sees whatever committed while this send waited for it); the withdrawal scopes; the protocol
    version in force; the outcome (one UPDATE). The lock is held while the provider is called, so
    a second delivery of the task waits and then finds the row no longer ``claimed``.
    """
    now = now or timezone.now()
    with transaction.atomic(), audit.context(reason="reminder sent"):
        n = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("appointment")
            .filter(pk=notification_id)
            .first()
        )
        if n is None or n.state != State.CLAIMED:
            return "skipped"
        participant = Participant.objects.select_related("site", "trial", "contact_preference", "identity").get(
            pk=n.participant_id
        )
        preference = _one_to_one(participant, "contact_preference")
        reason = why_not_send(n, participant, preference, now)
        if reason:
            n.state, n.cancel_reason, n.claimed_at = State.CANCELLED, reason[:200], None
            n.save(update_fields=["state", "cancel_reason", "claimed_at", "updated_at"])
            return "cancelled"
        zone = zone_for(participant, preference)
        local_now = now.astimezone(zone)
        if in_quiet_hours(local_now.time(), preference.quiet_start, preference.quiet_end):
            n.state, n.claimed_at = State.PENDING, None
            n.due_at = out_of_quiet_hours(local_now, preference.quiet_start, preference.quiet_end).astimezone(dt.UTC)
            n.save(update_fields=["state", "claimed_at", "due_at", "updated_at"])
            return "deferred"
        identity = _one_to_one(participant, "identity")
        problem = contact_problem(n.channel, identity)
        if problem:
            n.state, n.last_error, n.claimed_at = State.FAILED, problem, None
            n.save(update_fields=["state", "last_error", "claimed_at", "updated_at"])
            return "failed"
        n.attempts += 1
        outcome = "sent"
        try:
            # An SMS is stopped by replying STOP; only an email carries an opt-out link.
            opt_out = links.opt_out_url(participant.pk, Channel.EMAIL) if n.channel == Channel.EMAIL else ""
            rendered = messages.render(
                n,
                first_name=identity.first_name,
                language=preference.language,
                today=local_now.date(),
                link=links.page_url(n.pk),
                opt_out=opt_out,
            )
            if n.channel == Channel.EMAIL:
                provider_id = channels.send_email(
                    to=identity.email,
                    subject=rendered.subject,
                    text=rendered.text,
                    html=rendered.html,
                    key=n.idempotency_key,
                    unsubscribe_url=opt_out,
                )
            else:
                provider_id = channels.send_sms(to=identity.phone, body=rendered.text, key=n.idempotency_key)
        except PermanentSendError as exc:
            n.state, n.last_error = State.FAILED, str(exc)[:500]
            outcome = "failed"
        except (TransientSendError, Exception) as exc:
            n.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
            if n.attempts >= settings.REMINDERS_MAX_ATTEMPTS:
                n.state, outcome = State.FAILED, "failed"
            else:
                n.state, n.due_at, outcome = State.PENDING, now + backoff(n.attempts), "retry"
            if not isinstance(exc, TransientSendError):
                log.exception("reminders: sending notification %s failed", n.pk)
        else:
            n.state, n.provider_message_id, n.sent_at, n.last_error = State.SENT, provider_id[:200], now, ""
        n.claimed_at = None
        n.save(
            update_fields=[
                "state",
                "attempts",
                "due_at",
                "last_error",
                "provider_message_id",
                "sent_at",
                "claimed_at",
                "updated_at",
            ]
        )
    return outcome


def notification_delivery_report(*, provider_message_id: str, delivered: bool, detail: str = "") -> int:
    """Record a provider's delivery report (anymail tracking webhook, Twilio status callback)."""
    with transaction.atomic(), audit.context(reason="delivery report"):
        rows = list(
            Notification.objects.select_for_update().filter(
                provider_message_id=provider_message_id, state__in=[State.SENT, State.DELIVERED]
            )
        )
        for n in rows:
            if delivered:
                n.state, n.delivered_at = State.DELIVERED, n.delivered_at or timezone.now()
            else:
                n.state, n.last_error = State.FAILED, (detail or "the provider could not deliver it")[:500]
            n.save(update_fields=["state", "delivered_at", "last_error", "updated_at"])
    return len(rows)
