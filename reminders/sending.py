"""Sending one reminder: once, re-checked at send time, with backoff in the database.

:func:`notification_send` locks the row and acts only if it is still ``claimed``: a task delivered
twice finds it ``sent`` and does nothing. It re-checks every condition (withdrawal, consent,
opt-out, the appointment's state and date, the policy in force, quiet hours), renders the text from
the current template, sends with the idempotency key, and records the outcome in the same
transaction. A transient failure puts the row back to ``pending`` with a later due time (backoff in
the database, no broker countdown); after ``REMINDERS_MAX_ATTEMPTS`` it is ``failed`` and shown to
the site's coordinators.

The window that remains: the provider accepted a message and the process died before the commit
(or, with ``REMINDERS_SEND_ASYNC_COMMIT`` on, the database server crashed just after it).
The row is still ``claimed``, the sweeper returns it, and it is sent again with the same
idempotency key; a provider that honours the key does not deliver it twice (docs/reminders.md).

:func:`notifications_send` sends a chunk of rows, each on its own as above (the task
``send_notifications`` carries a chunk).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from email.utils import parseaddr

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core import audit
from core.db import one_to_one
from participants.models import AppointmentStatus, Participant, WithdrawalScope
from reminders import channels, links, messages, pacing, rows
from reminders.models import Channel, ContactPreference, Kind, Notification, State
from reminders.planning import INTERVENTION_KINDS, STOPS_EVERYTHING, withdrawal_scopes
from reminders.preferences import contact_problem, in_quiet_hours, out_of_quiet_hours, zone_for
from reminders.sms import PermanentSendError, TransientSendError

log = logging.getLogger(__name__)


def why_not_send(
    n: Notification, participant: Participant, preference: ContactPreference | None, now, scopes: set[str] | None = None
) -> str:
    """The reason this reminder must not go out now, or "" when it may. ``scopes``: the participant's
    withdrawal scopes when already read (None: read them)."""
    scopes = withdrawal_scopes(participant) if scopes is None else scopes
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


class Chunk:
    """What the sends of one chunk share because it belongs to a protocol version, not to a row:
    the trial (whose :meth:`~trials.models.Trial.version_on` remembers the version in force on each
    day), and the site's contact and sender under a version. Read by the chunk's first send that
    needs it; a version saved by another process while the chunk runs is seen by the next chunk."""

    def __init__(self):
        self._trials: dict[int, object] = {}
        self._contacts: dict[tuple[int, str], tuple] = {}

    def trial(self, trial):
        return self._trials.setdefault(trial.pk, trial)

    def contact_and_sender(self, participant: Participant, day: dt.date) -> tuple:
        version = participant.trial.version_on(day)
        key = (version.pk, participant.site.code)
        found = self._contacts.get(key)
        if found is None:
            contact = site_contact(participant, day)
            found = self._contacts[key] = (contact, messages.sender(participant.site.code, contact))
        return found


def notifications_send(*, notification_ids: list[int]) -> dict[str, int]:
    """Send a chunk of claimed reminders, each exactly as :func:`notification_send` sends one: its
    own row lock, its own checks at the moment it goes, its own commit. Only what belongs to the
    protocol version is read once for the chunk (:class:`Chunk`).

    A row whose send raises (a database error, say) is rolled back and left ``claimed`` for the
    sweeper, and the rows after it still go. Returns how many rows had each outcome, ``error`` for
    those.
    """
    chunk, outcomes = Chunk(), {}
    for pk in notification_ids:
        try:
            outcome = notification_send(notification_id=pk, chunk=chunk)
        except Exception:
            log.exception("reminders: sending notification %s failed; left claimed for the sweeper", pk)
            outcome = "error"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def notification_send(*, notification_id: int, now: dt.datetime | None = None, chunk: Chunk | None = None) -> str:
    """Send one claimed reminder, once. Returns what happened: sent, retry, failed, cancelled,
    deferred (quiet hours) or skipped (not claimed: already handled, or swept back).

    Four statements besides BEGIN and COMMIT (:func:`_lock_and_read`; the first two and the last in
    plain SQL, :mod:`reminders.rows`): lock the row, with its
    appointment (telling the commit not to wait for the disk when ``REMINDERS_SEND_ASYNC_COMMIT``
    is on); read the participant with site,
    trial, contact preferences, identity and whether there is any withdrawal (after the lock, so it
    sees whatever committed while this send waited for it), and the withdrawals' scopes only if there
    is one; the protocol version in force (none when ``chunk`` has read it already); the outcome (one
    UPDATE). The lock is held while the provider is called, so a second delivery of the task waits
    and then finds the row no longer ``claimed``.
    """
    now = now or timezone.now()
    chunk = chunk or Chunk()
    with transaction.atomic(), audit.context(reason="reminder sent"):
        found = _lock_and_read(notification_id)
        if found is None:
            return "skipped"
        n, participant, scopes = found
        participant.trial = chunk.trial(participant.trial)
        preference = one_to_one(participant, "contact_preference")
        reason = why_not_send(n, participant, preference, now, scopes)
        if reason:
            n.state, n.cancel_reason, n.claimed_at = State.CANCELLED, reason[:200], None
            rows.save(n, ["state", "cancel_reason", "claimed_at", "updated_at"])
            return "cancelled"
        zone = zone_for(participant, preference)
        local_now = now.astimezone(zone)
        if in_quiet_hours(local_now.time(), preference.quiet_start, preference.quiet_end):
            n.state, n.claimed_at = State.PENDING, None
            n.due_at = out_of_quiet_hours(local_now, preference.quiet_start, preference.quiet_end).astimezone(dt.UTC)
            rows.save(n, ["state", "claimed_at", "due_at", "updated_at"])
            return "deferred"
        identity = one_to_one(participant, "identity")
        problem = contact_problem(n.channel, identity)
        if problem:
            n.state, n.last_error, n.claimed_at = State.FAILED, problem, None
            rows.save(n, ["state", "last_error", "claimed_at", "updated_at"])
            return "failed"
        contact, sender = chunk.contact_and_sender(participant, local_now.date())
        slot = _pace(n, sender, now)
        if slot is not None:
            n.state, n.due_at, n.paced_until, n.claimed_at = State.PENDING, slot, slot, None
            rows.save(n, ["state", "due_at", "paced_until", "claimed_at", "updated_at"])
            return "paced"
        outcome = _deliver(n, participant, identity, preference, local_now, contact, sender)
        n.claimed_at = n.paced_until = None
        rows.save(
            n,
            [
                "state",
                "attempts",
                "due_at",
                "last_error",
                "provider_message_id",
                "sent_at",
                "claimed_at",
                "paced_until",
                "updated_at",
            ],
        )
    return outcome


def _lock_and_read(notification_id: int) -> tuple[Notification, Participant, set[str]] | None:
    """The row locked (with its appointment), then its participant (with site, trial, contact
    preferences and identity) and the participant's withdrawal scopes; None when the row is gone or
    no longer ``claimed``.

    The participant is read after the lock, so it sees whatever committed while this send waited
    for it. Two statements in all, as a rule, in plain SQL (:mod:`reminders.rows`): the one that
    locks the row also tells the commit not to wait for the disk when the operator allows it
    (:func:`_commit_without_waiting`), and the one that reads the participant says whether there is
    any withdrawal at all, so the scopes are read only when there is (rarely).
    """
    n = rows.lock(notification_id, without_waiting=_commit_without_waiting())
    if n is None or n.state != State.CLAIMED:
        return None
    participant = rows.participant(n.participant_id)
    return n, participant, withdrawal_scopes(participant) if participant.has_withdrawn else set()


def _commit_without_waiting() -> bool:
    """Whether this send's commit may return before PostgreSQL has flushed it to disk
    (``REMINDERS_SEND_ASYNC_COMMIT``, off by default; ``synchronous_commit`` is then set off for the
    send's transaction only, by the statement that locks the row).

    Waiting for the flush was most of a send's time in the database. Other transactions see the
    outcome at once, as after any commit, so a second delivery of the task still finds the row no
    longer ``claimed``. What is given up: if the database server itself crashes within a fraction of
    a second of the commit (three times ``wal_writer_delay``), the outcome is lost and the row is
    ``claimed`` again; the sweeper returns it and it is sent again with the same idempotency key, as
    after a worker that died before its commit (docs/reminders.md, "The window that remains").
    """
    return settings.REMINDERS_SEND_ASYNC_COMMIT and connection.vendor == "postgresql"


def sender_key(channel: str, sender: messages.Sender) -> str:
    """Whose rate a message counts against: the number an SMS goes from, the address of an email."""
    return sender.sms if channel == Channel.SMS else parseaddr(sender.email)[1]


def _pace(n: Notification, sender: messages.Sender, now: dt.datetime) -> dt.datetime | None:
    """Wait for the message's slot in its sender's bucket (:mod:`reminders.pacing`) when it is near,
    and return None: it may go. When the slot is further than ``REMINDERS_PACE_SLEEP_SECONDS``,
    return its time: the row goes back to the outbox, due then, holding the slot."""
    if n.paced_until is not None:
        delay = (n.paced_until - now).total_seconds()  # the slot the row holds
    else:
        delay = pacing.reserve(n.channel, sender_key(n.channel, sender))
    if delay > settings.REMINDERS_PACE_SLEEP_SECONDS:
        return n.paced_until or now + dt.timedelta(seconds=delay)
    if delay > 0:
        time.sleep(delay)
    return None


def site_contact(participant: Participant, day: dt.date):
    """The contact the protocol in force on ``day`` gives the participant's site, or None."""
    protocol = participant.trial.version_on(day).protocol
    spec = next((site for site in protocol.sites if site.code == participant.site.code), None)
    return spec.contact if spec is not None else None


def _deliver(n: Notification, participant, identity, preference, local_now: dt.datetime, contact, sender) -> str:
    """Render and send one reminder, and set its outcome on the row (the caller saves it): sent;
    retry with backoff after a transient failure; failed after a permanent one or the last attempt.
    A provider's rate limit with its delay holds the sender's bucket for that long and retries the
    row then, without counting it as a failed attempt: the message was not at fault."""
    now = local_now.astimezone(dt.UTC)
    n.attempts += 1
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
            contact=contact,
        )
        if n.channel == Channel.EMAIL:
            provider_id = channels.send_email(
                to=identity.email,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                key=n.idempotency_key,
                unsubscribe_url=opt_out,
                sender=sender.email,
                reply_to=sender.reply_to,
            )
        else:
            provider_id = channels.send_sms(
                to=identity.phone, body=rendered.text, key=n.idempotency_key, sender=sender.sms
            )
    except PermanentSendError as exc:
        n.state, n.last_error = State.FAILED, str(exc)[:500]
        return "failed"
    except (TransientSendError, Exception) as exc:
        n.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
        delay = getattr(exc, "retry_after", None)
        if delay is not None:
            pacing.hold(n.channel, sender_key(n.channel, sender), delay)
            n.attempts -= 1
            n.state, n.due_at = State.PENDING, now + dt.timedelta(seconds=max(delay, 1.0))
            return "retry"
        if not isinstance(exc, TransientSendError):
            log.exception("reminders: sending notification %s failed", n.pk)
        if n.attempts >= settings.REMINDERS_MAX_ATTEMPTS:
            n.state = State.FAILED
            return "failed"
        n.state, n.due_at = State.PENDING, now + backoff(n.attempts)
        return "retry"
    n.state, n.provider_message_id, n.sent_at, n.last_error = State.SENT, provider_id[:200], now, ""
    return "sent"


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
