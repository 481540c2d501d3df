"""Sending a rendered reminder through its channel, and delivery reports coming back.

Email goes through Django's email framework (``REMINDERS_EMAIL_BACKEND``, by default the
project's ``EMAIL_BACKEND``; django-anymail's backends for a real provider). The idempotency key
becomes the message's ``Message-ID`` and an ``X-Idempotency-Key`` header. SMS goes through
:mod:`reminders.sms`.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from reminders.sms import PermanentSendError, RecordingBackendMixin, Sms, TransientSendError
from reminders.sms import backend as sms_backend


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    safe = "".join(c if c.isalnum() or c in "-._" else "." for c in key)
    return f"<{safe}@{domain}>"


def send_email(*, to: str, subject: str, text: str, html: str, key: str, unsubscribe_url: str) -> str:
    """Send one email; returns the provider's message id (or the Message-ID we gave it)."""
    msg = mail.EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.REMINDERS_FROM_EMAIL,
        to=[to],
        headers={
            "Message-ID": message_id(key),
            "X-Idempotency-Key": key,
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=mail.get_connection(settings.REMINDERS_EMAIL_BACKEND or settings.EMAIL_BACKEND),
    )
    if html:
        msg.attach_alternative(html, "text/html")
    try:
        msg.send(fail_silently=False)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise PermanentSendError(f"the mail server refused the message: {exc.__class__.__name__}") from None
    except (TimeoutError, smtplib.SMTPException, ConnectionError, OSError) as exc:
        raise TransientSendError(f"the mail server could not take the message: {exc.__class__.__name__}") from None
    except Exception as exc:
        _raise_for_anymail(exc)
        raise
    status = getattr(msg, "anymail_status", None)
    if status is not None and getattr(status, "message_id", None):
        return str(status.message_id)
    return getattr(msg, "recorded_id", None) or message_id(key)


def _raise_for_anymail(exc: Exception) -> None:
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover
        return
    if isinstance(exc, AnymailRecipientsRefused):
        raise PermanentSendError("the provider refused the recipient") from None
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is None or status >= 500 or status == 429:
            raise TransientSendError(f"the email provider could not take the message ({status})") from None
        raise PermanentSendError(f"the email provider refused the message ({status})") from None


def send_sms(*, to: str, body: str, key: str) -> str:
    return sms_backend().send(Sms(to=to, body=body, idempotency_key=key))


class RecordingEmailBackend(RecordingBackendMixin, BaseEmailBackend):
    """An email backend that records each message in Redis by its idempotency key (tests, benchmark)."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            message.recorded_id = self.record(message.extra_headers["X-Idempotency-Key"], "email")
        return len(email_messages)


def connect_delivery_webhooks() -> None:
    """Mark reminders delivered (or failed) when django-anymail's tracking webhooks report it."""
    from anymail.signals import tracking

    tracking.connect(_anymail_tracking, weak=False, dispatch_uid="reminders-anymail-tracking")


def _anymail_tracking(sender, event, esp_name, **kwargs) -> None:
    from reminders.dispatch import notification_delivery_report

    if not event.message_id:
        return
    if event.event_type == "delivered":
        notification_delivery_report(provider_message_id=str(event.message_id), delivered=True)
    elif event.event_type in ("bounced", "rejected", "failed"):
        notification_delivery_report(
            provider_message_id=str(event.message_id), delivered=False, detail=f"{esp_name}: {event.event_type}"
        )
