"""Contact preferences, the notification outbox, and what participants answered through their links.

The outbox (:class:`Notification`) holds every reminder as a row with its due time and state; a
periodic task claims due rows and sends each once (see :mod:`reminders.dispatch`). A row carries
no contact details and no text: both are read and rendered when it is sent.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from core import audit


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class Language(models.TextChoices):
    """The languages reminders and the participant's pages are written in (the message files in
    ``reminders/locale``); each label is the language's own name for itself."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


@audit.track()
class ContactPreference(models.Model):
    """How and when a participant agreed to be contacted.

    A channel is used only with consent to it and no opt-out since. ``quiet_start``/``quiet_end``
    are both set or both empty; a start later than the end means quiet overnight (22:00 to 07:00);
    equal times are refused. Times are local to ``time_zone``.
    """

    participant = models.OneToOneField(
        "participants.Participant", on_delete=models.PROTECT, related_name="contact_preference"
    )
    email_consent = models.BooleanField(default=False)
    sms_consent = models.BooleanField(default=False)
    email_opted_out_at = models.DateTimeField(null=True, blank=True)
    sms_opted_out_at = models.DateTimeField(null=True, blank=True)
    preferred_time = models.TimeField(null=True, blank=True, help_text="For the daily diary prompt.")
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="contactpref_quiet_both_or_neither",
            ),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True) | ~Q(quiet_start=models.F("quiet_end")),
                name="contactpref_quiet_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"contact preferences of {self.participant_id}"

    def channel_open(self, channel: str) -> bool:
        if channel == Channel.EMAIL:
            return self.email_consent and self.email_opted_out_at is None
        if channel == Channel.SMS:
            return self.sms_consent and self.sms_opted_out_at is None
        return False


class Kind(models.TextChoices):
    APPOINTMENT = "appointment", "Appointment reminder"
    MISSED_VISIT = "missed_visit", "After a missed visit"
    DIARY = "diary", "Daily diary prompt"


class State(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed by a dispatcher"
    SENT = "sent", "Sent (accepted by the provider)"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


LIVE_STATES = (State.PENDING, State.CLAIMED)


@audit.track()
class Notification(models.Model):
    """One reminder to one participant through one channel, due at ``due_at`` (UTC).

    ``idempotency_key`` names what the reminder is about (kind, appointment and its booked date or
    the diary day, offset, channel): planning the same reminder twice finds the same row, and the
    key goes to the provider with the message so that a repeated send is recognised there.
    """

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="notifications")
    appointment = models.ForeignKey(
        "participants.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    subject_date = models.DateField(help_text="The appointment's booked date, the missed visit's or the diary day.")
    offset_days = models.SmallIntegerField(default=0)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=200, unique=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The slot this row holds in its sender's rate bucket (reminders.pacing): it goes out then
    # without taking another.
    paced_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    link_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind", "channel", "offset_days"],
                condition=Q(state__in=["pending", "claimed"]),
                name="notification_one_live_per_slot",
            ),
            models.CheckConstraint(
                condition=Q(kind="diary") | Q(appointment__isnull=False), name="notification_appointment_needed"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="notification_due"),
            models.Index(fields=["provider_message_id"], name="notification_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} to {self.participant_id} at {self.due_at:%Y-%m-%d %H:%M}Z"


class ResponseKind(models.TextChoices):
    CONFIRM = "confirm", "Confirmed the appointment"
    RESCHEDULE = "reschedule", "Asked to reschedule"
    DIARY = "diary", "Reported drinking"
    OPT_OUT = "opt_out", "Opted out"


@audit.track()
class ParticipantResponse(models.Model):
    """What a participant did through a reminder's link (or an SMS reply)."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+")
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    appointment = models.ForeignKey(
        "participants.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ResponseKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    note = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.participant_id}"
