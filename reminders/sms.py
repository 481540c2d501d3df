"""Sending SMS: a small backend interface and its implementations.

``REMINDERS_SMS_BACKEND`` names the class (console by default). A backend's ``send`` returns the
provider's message id, or raises :class:`TransientSendError` (try again later) or
:class:`PermanentSendError` (give up). Every call carries the reminder's idempotency key; a
provider that honours it accepts a repeated call without sending again.

:class:`TwilioSmsBackend` sends every message of a thread through one ``requests.Session``, so
messages after the first reuse its kept-alive HTTPS connection instead of paying for a TCP and TLS
handshake each. A connection that fails is dropped by the session's pool, and the next message opens
another; the failed message is not retried here but by the dispatcher, later, with the same key.
"""

from __future__ import annotations

import math
import sys
import threading
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SendError(Exception):
    pass


class TransientSendError(SendError):
    """The provider could not take the message now (timeout, 5xx, rate limit): try again later.

    ``retry_after``: the seconds the provider asked its sender to wait (a 429's ``Retry-After``),
    or None when it said nothing or the failure was not a rate limit."""

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def retry_after(headers) -> float:
    """The delay a ``Retry-After`` header asks for, in seconds (1 when absent or unreadable, at
    most an hour: a provider asking for longer gets the outbox's backoff instead)."""
    value = (headers or {}).get("Retry-After", "")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 1.0
    return min(max(seconds, 0.0), 3600.0) if math.isfinite(seconds) else 1.0


class PermanentSendError(SendError):
    """The provider refused the message for good (a number it cannot reach, bad credentials)."""


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    idempotency_key: str
    sender: str = ""  # the number to send from; empty: the backend's configured one


class SmsBackend:
    def send(self, message: Sms) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """Writes each message to standard output (the embedded default)."""

    def send(self, message: Sms) -> str:
        sys.stdout.write(f"SMS to {message.to} [{message.idempotency_key}]\n{message.body}\n\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4().hex}"


class InMemorySmsBackend(SmsBackend):
    """Keeps messages in ``InMemorySmsBackend.outbox`` (tests), like Django's locmem email backend."""

    outbox: list[Sms] = []
    _lock = threading.Lock()

    def send(self, message: Sms) -> str:
        with self._lock:
            InMemorySmsBackend.outbox.append(message)
            return f"mem-{len(InMemorySmsBackend.outbox)}"


class RecordingBackendMixin:
    """Records calls in Redis (``REMINDERS_RECORDING_URL``) as a provider that honours idempotency keys.

    ``calls`` counts every call per key; ``deliveries`` counts the messages actually delivered,
    once per key: a repeated call with a known key returns the first message id and delivers
    nothing. Tests and the benchmark read both, so a repeat is visible even though it did not
    reach the participant.
    """

    _clients: dict[str, object] = {}
    _scripts: dict[str, object] = {}
    # One round trip per message, as a provider's one request: count the call, keep the first
    # message id of the key, count a delivery only for a new key, answer the key's message id.
    _RECORD = """
redis.call('HINCRBY', 'reminders:calls', ARGV[1], 1)
if redis.call('HSETNX', 'reminders:ids', ARGV[1], ARGV[2]) == 1 then
  redis.call('HINCRBY', 'reminders:deliveries', ARGV[1], 1)
end
return redis.call('HGET', 'reminders:ids', ARGV[1])
"""

    @classmethod
    def client(cls):
        """One client per URL and process: a new connection per send would cost more than the send."""
        import redis

        url = settings.REMINDERS_RECORDING_URL
        client = cls._clients.get(url)
        if client is None:
            client = RecordingBackendMixin._clients[url] = redis.Redis.from_url(url)
        return client

    @classmethod
    def record(cls, key: str, channel: str) -> str:
        url = settings.REMINDERS_RECORDING_URL
        script = cls._scripts.get(url)
        if script is None:
            script = RecordingBackendMixin._scripts[url] = cls.client().register_script(cls._RECORD)
        return script(args=[key, f"rec-{channel}-{uuid.uuid4().hex}"]).decode()


class RecordingSmsBackend(RecordingBackendMixin, SmsBackend):
    def send(self, message: Sms) -> str:
        return self.record(message.idempotency_key, "sms")


class TwilioSmsBackend(SmsBackend):
    """Twilio's Messages REST API through ``requests``.

    Settings: ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, and ``TWILIO_FROM`` (a number) or
    ``TWILIO_MESSAGING_SERVICE_SID``, unless the message names its site's number (``sender``);
    ``TWILIO_API_URL`` for a regional edge. The idempotency key
    goes in ``I-Twilio-Idempotency-Token``; the status callback reports delivery to
    ``/hooks/twilio/status``. Requests go through this thread's :func:`http_session`.
    """

    path = "/2010-04-01/Accounts/{sid}/Messages.json"

    def send(self, message: Sms) -> str:
        import requests

        sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
        if not sid or not token:
            raise PermanentSendError("Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)")
        data = {"To": message.to, "Body": message.body, "StatusCallback": f"{settings.SITE_URL}/hooks/twilio/status"}
        if message.sender:
            data["From"] = message.sender
        elif settings.TWILIO_MESSAGING_SERVICE_SID:
            data["MessagingServiceSid"] = settings.TWILIO_MESSAGING_SERVICE_SID
        else:
            data["From"] = settings.TWILIO_FROM
        try:
            response = http_session().post(
                settings.TWILIO_API_URL.rstrip("/") + self.path.format(sid=sid),
                data=data,
                auth=(sid, token),
                headers={"I-Twilio-Idempotency-Token": message.idempotency_key},
                timeout=10,
            )
        except requests.RequestException as exc:
            raise TransientSendError(f"Twilio did not answer: {exc.__class__.__name__}") from None
        if response.status_code == 429:
            raise TransientSendError(
                "Twilio answered 429: too many messages", retry_after=retry_after(response.headers)
            )
        if response.status_code >= 500:
            raise TransientSendError(f"Twilio answered {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = response.json().get("message", "")
            except ValueError:
                detail = ""
            raise PermanentSendError(f"Twilio refused the message ({response.status_code}): {detail}"[:500])
        return response.json()["sid"]


_local = threading.local()


def http_session():
    """This thread's ``requests.Session``: its pool keeps connections to the provider open between messages.

    One per thread: requests does not promise that a session is safe to share between threads.
    """
    import requests

    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
    return session


def close_http_session() -> None:
    """Close this thread's session and its connections; the next message opens a new one."""
    session, _local.session = getattr(_local, "session", None), None
    if session is not None:
        session.close()


def backend() -> SmsBackend:
    return import_string(settings.REMINDERS_SMS_BACKEND)()
