"""Sending a rendered reminder through its channel, and delivery reports coming back.

Email goes through Django's email framework (``REMINDERS_EMAIL_BACKEND``, by default the
project's ``EMAIL_BACKEND``; django-anymail's backends for a real provider). The idempotency key
becomes the message's ``Message-ID`` and an ``X-Idempotency-Key`` header. SMS goes through
:mod:`reminders.sms`. Delivery reports come back through :mod:`reminders.views`.

Each thread keeps one open connection of the email backend and sends its messages on it: a new
SMTP connection (or an ESP's HTTPS session) for every message would cost a handshake, and a login,
for every reminder. Django's backends leave a connection that was open before ``send_messages``
open after it. The connection is closed and a new one opened when it has been idle longer than
``REMINDERS_EMAIL_IDLE_SECONDS`` (mail servers drop idle connections, and a send on a dropped one
would fail), when an SMTP connection paused for a second no longer answers a NOOP, after
``REMINDERS_EMAIL_MAX_PER_CONNECTION`` messages (servers cap them, e.g. Exim's
``smtp_accept_max_per_connection``), when the backend setting names another backend, and after any
error, since the state of a connection that failed mid-message is unknown. A server's 4xx reply
(try later) is a transient failure, a 5xx a permanent one. A failed send is not retried here: the
dispatcher retries it later with the same key, so that a message is never sent twice by one call.
"""

from __future__ import annotations

import logging
import smtplib
import threading
from dataclasses import dataclass
from time import monotonic

from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from reminders.sms import (
    PermanentSendError,
    RecordingBackendMixin,
    Sms,
    TransientSendError,
    close_http_session,
    retry_after,
)
from reminders.sms import backend as sms_backend

log = logging.getLogger(__name__)


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    safe = "".join(c if c.isalnum() or c in "-._" else "." for c in key)
    return f"<{safe}@{domain}>"


def send_email(
    *, to: str, subject: str, text: str, html: str, key: str, unsubscribe_url: str, sender: str = "", reply_to: str = ""
) -> str:
    """Send one email on this thread's connection, from ``sender`` (``REMINDERS_FROM_EMAIL`` when
    empty) with ``reply_to`` when given; returns the provider's message id (or the Message-ID we gave it)."""
    held = _email_connection(settings.REMINDERS_EMAIL_BACKEND or settings.EMAIL_BACKEND)
    msg = mail.EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender or settings.REMINDERS_FROM_EMAIL,
        to=[to],
        reply_to=[reply_to] if reply_to else None,
        headers={
            "Message-ID": message_id(key),
            "X-Idempotency-Key": key,
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        connection=held.connection,
    )
    if html:
        msg.attach_alternative(html, "text/html")
    try:
        _send_held(held, msg)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        code = _smtp_code(exc)
        if code is not None and 400 <= code < 500:
            # 4xx: not now (too many messages on one connection, greylisting, a full mailbox)
            raise TransientSendError(f"the mail server deferred the message ({code})") from None
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


def _smtp_code(exc: smtplib.SMTPException) -> int | None:
    """The server's reply code; for refused recipients the lowest (a 4xx for any of them: try again)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return min(codes) if codes else None
    return getattr(exc, "smtp_code", None)


@dataclass
class _HeldConnection:
    path: str
    connection: BaseEmailBackend
    last_used: float
    sent: int = 0

    def alive(self) -> bool:
        """After a pause, whether an SMTP connection still answers (NOOP): a server may have dropped
        it, with or without a 421, and a message must not be refused for that. Other backends and
        connections in steady use are taken as they are."""
        smtp = getattr(self.connection, "connection", None)
        if not isinstance(smtp, smtplib.SMTP) or monotonic() - self.last_used < PROBE_AFTER_SECONDS:
            return True
        try:
            return smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False


PROBE_AFTER_SECONDS = 1.0


_local = threading.local()


def _email_connection(path: str) -> _HeldConnection:
    """This thread's connection of the backend at ``path``: the one held, unless it is stale."""
    held = getattr(_local, "email", None)
    if held is not None and (
        held.path != path
        or monotonic() - held.last_used > settings.REMINDERS_EMAIL_IDLE_SECONDS
        or held.sent >= settings.REMINDERS_EMAIL_MAX_PER_CONNECTION
        or not held.alive()
    ):
        _close_email_connection()
        held = None
    if held is None:
        held = _local.email = _HeldConnection(path=path, connection=mail.get_connection(path), last_used=monotonic())
    return held


def _send_held(held: _HeldConnection, msg: mail.EmailMessage) -> None:
    """Send on the held connection, opened first so that the backend keeps it open after the message.

    On any error the connection is closed and no longer held: the next send opens a new one.
    """
    try:
        held.connection.open()  # does nothing when it is already open
        msg.send(fail_silently=False)
    except BaseException:
        _close_email_connection()
        raise
    held.last_used = monotonic()
    held.sent += 1


def _close_email_connection() -> None:
    held, _local.email = getattr(_local, "email", None), None
    if held is None:
        return
    try:
        held.connection.close()
    except Exception as exc:
        # A connection being given up on may already be dead; failing to say goodbye on it is no
        # reason to fail the send that replaces it, nor to hide the error that made us give it up.
        log.debug("reminders: closing the email connection failed: %s", exc.__class__.__name__)


def close_connections() -> None:
    """Close this thread's email connection and SMS session; the next send opens new ones."""
    _close_email_connection()
    close_http_session()


def _raise_for_anymail(exc: Exception) -> None:
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover
        return
    if isinstance(exc, AnymailRecipientsRefused):
        raise PermanentSendError("the provider refused the recipient") from None
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status == 429:
            headers = getattr(getattr(exc, "response", None), "headers", None)
            raise TransientSendError(
                "the email provider answered 429: too many messages", retry_after=retry_after(headers)
            ) from None
        if status is None or status >= 500:
            raise TransientSendError(f"the email provider could not take the message ({status})") from None
        raise PermanentSendError(f"the email provider refused the message ({status})") from None


def send_sms(*, to: str, body: str, key: str, sender: str = "") -> str:
    """Send one SMS from ``sender`` (the backend's configured number when empty)."""
    return sms_backend().send(Sms(to=to, body=body, idempotency_key=key, sender=sender))


class RecordingEmailBackend(RecordingBackendMixin, BaseEmailBackend):
    """An email backend that records each message in Redis by its idempotency key (tests, benchmark)."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            message.recorded_id = self.record(message.extra_headers["X-Idempotency-Key"], "email")
        return len(email_messages)
