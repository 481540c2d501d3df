"""The channels' provider connections: Twilio's API against a local HTTP server, email through a
counting backend and through Django's SMTP backend against a local mail server. A worker thread
keeps one connection per provider for all its messages, and gives up an email connection that is
idle, dead, full, failed or no longer the configured backend."""

from __future__ import annotations

import base64
import http.server
import json
import smtplib
import socket
import socketserver
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.core.mail.backends import locmem

from reminders import channels
from reminders.sms import PermanentSendError, Sms, TransientSendError, TwilioSmsBackend
from tests.reminders.conftest import MOBILE

SID, TOKEN = "AC0123456789abcdef0123456789abcdef", "secret-token"
MESSAGES_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"


@pytest.fixture(autouse=True)
def _no_connection_held():
    """Each test starts and ends without a connection held by this thread, whatever ran before."""
    channels.close_connections()
    yield
    channels.close_connections()


# --- Twilio ---------------------------------------------------------------------------------------


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    client: tuple[str, int]


@dataclass
class FakeTwilio:
    """What the local server saw, and what it answers (the same for every request)."""

    url: str
    requests: list[Request] = field(default_factory=list)
    connections: list[tuple[str, int]] = field(default_factory=list)
    status: int = 201
    answer: dict = field(default_factory=lambda: {"sid": "SM00000000000000000000000000000001"})
    headers: dict[str, str] = field(default_factory=dict)


class TwilioHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio's API: a client may send many requests on one connection

    def setup(self):
        super().setup()
        self.server.twilio.connections.append(self.client_address)

    def do_POST(self):
        twilio = self.server.twilio
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        form = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        twilio.requests.append(Request(self.path, dict(self.headers), form, self.client_address))
        data = json.dumps(twilio.answer).encode()
        self.send_response(twilio.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in twilio.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def twilio(settings, monkeypatch):
    """A local stand-in for Twilio's API, configured as the account's endpoint."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TwilioHandler)
    server.twilio = FakeTwilio(url=f"http://127.0.0.1:{server.server_address[1]}")
    # A short poll so that shutting the server down at teardown takes milliseconds, not half a second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    for name in ("NO_PROXY", "no_proxy"):  # a proxy named by the environment must not stand in between
        monkeypatch.setenv(name, "127.0.0.1")
    settings.TWILIO_API_URL = server.twilio.url
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = SID, TOKEN
    settings.TWILIO_FROM, settings.TWILIO_MESSAGING_SERVICE_SID = "+447700900123", ""
    yield server.twilio
    channels.close_connections()  # lets the handler's thread see the connection end
    server.shutdown()
    server.server_close()


def _sms(n: int = 1) -> str:
    return TwilioSmsBackend().send(Sms(to=MOBILE, body=f"Hello Zebedee, message {n}", idempotency_key=f"key-{n}"))


def test_three_sms_share_one_connection(twilio):
    for n in (1, 2, 3):
        _sms(n)
    assert len(twilio.requests) == 3
    assert len(twilio.connections) == 1
    assert {r.client for r in twilio.requests} == set(twilio.connections)


def test_each_sms_carries_its_own_key_its_fields_and_basic_auth(twilio):
    for n in (1, 2, 3):
        _sms(n)
    basic = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    for n, request in enumerate(twilio.requests, start=1):
        assert request.path == MESSAGES_PATH
        assert request.headers["I-Twilio-Idempotency-Token"] == f"key-{n}"
        assert request.headers["Authorization"] == basic
        assert request.form == {
            "To": MOBILE,
            "Body": f"Hello Zebedee, message {n}",
            "From": "+447700900123",
            "StatusCallback": "https://trials.example.org/hooks/twilio/status",
        }


def test_a_messaging_service_is_named_instead_of_a_from_number(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    _sms()
    (request,) = twilio.requests
    assert request.form["MessagingServiceSid"] == "MG0123456789abcdef0123456789abcdef"
    assert "From" not in request.form


def test_a_sites_own_number_is_the_sender_even_with_a_messaging_service(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
    TwilioSmsBackend().send(Sms(to=MOBILE, body="Hello", idempotency_key="key-site", sender="+441632960001"))
    (request,) = twilio.requests
    assert request.form["From"] == "+441632960001"
    assert "MessagingServiceSid" not in request.form


def test_an_accepted_sms_returns_twilios_sid(twilio):
    twilio.answer = {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}
    assert _sms() == "SM0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("status", [429, 503])
def test_a_rate_limit_or_a_server_error_is_transient(twilio, status):
    twilio.status, twilio.answer = status, {"code": 20429, "message": "Too many requests"}
    with pytest.raises(TransientSendError, match=str(status)):
        _sms()


@pytest.mark.parametrize(("header", "seconds"), [("12", 12.0), (None, 1.0), ("soon", 1.0), ("99999", 3600.0)])
def test_a_rate_limit_carries_the_delay_twilio_asked_for(twilio, header, seconds):
    twilio.status, twilio.answer = 429, {"code": 20429, "message": "Too many requests"}
    if header is not None:
        twilio.headers = {"Retry-After": header}
    with pytest.raises(TransientSendError) as limited:
        _sms()
    assert limited.value.retry_after == seconds


def test_a_server_error_asks_for_no_particular_delay(twilio):
    twilio.status, twilio.answer = 503, {"message": "unavailable"}
    with pytest.raises(TransientSendError) as failed:
        _sms()
    assert failed.value.retry_after is None


def test_a_refusal_is_permanent_with_twilios_message(twilio):
    twilio.status = 400
    twilio.answer = {"code": 21211, "message": "The 'To' number +447911123456 is not a valid phone number."}
    with pytest.raises(PermanentSendError, match="is not a valid phone number") as refused:
        _sms()
    assert "(400)" in str(refused.value)


def test_a_refused_connection_is_transient(settings, monkeypatch):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM = SID, TOKEN, "+447700900123"
    with socket.socket() as bound:  # bound but not listening: a connection to it is refused
        bound.bind(("127.0.0.1", 0))
        settings.TWILIO_API_URL = f"http://127.0.0.1:{bound.getsockname()[1]}"
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, "127.0.0.1")
        with pytest.raises(TransientSendError, match="ConnectionError"):
            _sms()


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"])
def test_missing_credentials_are_permanent_and_send_nothing(twilio, settings, missing):
    setattr(settings, missing, "")
    with pytest.raises(PermanentSendError, match="not configured"):
        _sms()
    assert twilio.requests == []


@pytest.mark.parametrize("url", ["http://api.twilio.com", ""])
def test_a_twilio_address_that_is_not_https_fails_the_system_check(settings, url):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.TWILIO_API_URL = url
    with pytest.raises(SystemCheckError, match=r"trialtracker\.E001"):
        call_command("check")
    settings.TWILIO_API_URL = "https://api.dublin.ie1.twilio.com"
    call_command("check")


# --- email ----------------------------------------------------------------------------------------


class CountingEmailBackend(locmem.EmailBackend):
    """Django's locmem backend with connections as Django's SMTP backend has them, counted.

    ``send_messages`` opens a connection if none is open and closes only one it opened itself.
    ``fail_next`` makes the next send fail as a connection the server dropped.
    """

    opened = 0
    closed = 0
    fail_next = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.is_open = False

    def open(self):
        if self.is_open:
            return False
        CountingEmailBackend.opened += 1
        self.is_open = True
        return True

    def close(self):
        if self.is_open:
            CountingEmailBackend.closed += 1
            self.is_open = False

    def send_messages(self, messages):
        created = self.open()
        try:
            if CountingEmailBackend.fail_next:
                CountingEmailBackend.fail_next = False
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            return super().send_messages(messages)
        finally:
            if created:
                self.close()


@pytest.fixture
def counting(settings):
    CountingEmailBackend.opened = CountingEmailBackend.closed = 0
    CountingEmailBackend.fail_next = False
    settings.REMINDERS_EMAIL_BACKEND = f"{__name__}.CountingEmailBackend"
    settings.REMINDERS_EMAIL_IDLE_SECONDS = 30
    return CountingEmailBackend


@pytest.fixture
def clock(monkeypatch):
    """The monotonic clock the channels read, held still until a test moves it (``clock.now``)."""

    class Clock:
        now = 1000.0

    monkeypatch.setattr(channels, "monotonic", lambda: Clock.now)
    return Clock


def _email(n: int = 1) -> str:
    return channels.send_email(
        to="zebedee.quillfeather@example.org",
        subject="Your next visit",
        text=f"Hello Zebedee, message {n}",
        html="",
        key=f"key-{n}",
        unsubscribe_url="https://trials.example.org/r/token/stop/",
    )


def test_three_emails_share_one_connection(counting):
    for n in (1, 2, 3):
        _email(n)
    assert len(mail.outbox) == 3
    assert (counting.opened, counting.closed) == (1, 0)


def test_an_email_connection_idle_too_long_is_replaced(counting, clock):
    _email(1)
    clock.now += 20
    _email(2)
    clock.now += 20  # 40 s after opening, but 20 s after its last message: still in use
    _email(3)
    assert (counting.opened, counting.closed) == (1, 0)
    clock.now += 31
    _email(4)
    assert (counting.opened, counting.closed) == (2, 1)
    assert len(mail.outbox) == 4


def test_a_failed_email_send_closes_its_connection(counting):
    _email(1)
    counting.fail_next = True
    with pytest.raises(TransientSendError, match="SMTPServerDisconnected"):
        _email(2)
    assert (counting.opened, counting.closed) == (1, 1)
    _email(3)
    assert (counting.opened, counting.closed) == (2, 1)
    assert [m.extra_headers["X-Idempotency-Key"] for m in mail.outbox] == ["key-1", "key-3"]


def test_changing_the_email_backend_closes_the_old_connection(counting, settings):
    _email(1)
    assert (counting.opened, counting.closed) == (1, 0)
    settings.REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _email(2)
    assert (counting.opened, counting.closed) == (1, 1)
    assert len(mail.outbox) == 2


# --- a real SMTP conversation ---------------------------------------------------------------------


@dataclass
class FakeSmtp:
    """A local mail server: what it took, on how many connections, and how it behaves."""

    port: int = 0
    connections: int = 0
    messages: list[str] = field(default_factory=list)
    per_connection: int = 1000  # then ``421`` at MAIL FROM, as Exim's smtp_accept_max_per_connection
    idle_seconds: float | None = None  # then the server hangs up, as Postfix's smtpd_timeout
    rcpt_reply: str = "250 ok"


class SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self):
        server: FakeSmtp = self.server.fake
        server.connections += 1
        if server.idle_seconds is not None:
            self.connection.settimeout(server.idle_seconds)
        taken = 0

        def say(line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())
            self.wfile.flush()

        say("220 mail.example.org ESMTP")
        while True:
            try:
                command = self.rfile.readline().decode().strip().upper()
            except TimeoutError:
                return  # idle too long: hang up without a word
            if not command:
                return
            if command.startswith(("EHLO", "HELO")):
                say("250 mail.example.org")
            elif command.startswith("MAIL"):
                if taken >= server.per_connection:
                    say("421 4.7.0 too many messages on this connection")
                    return
                say("250 ok")
            elif command.startswith("RCPT"):
                say(server.rcpt_reply)
            elif command == "DATA":
                say("354 go ahead")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line.decode())
                taken += 1
                server.messages.append("".join(lines))
                say("250 queued")
            elif command == "QUIT":
                say("221 bye")
                return
            else:  # NOOP, RSET
                say("250 ok")


@pytest.fixture
def smtp(settings):
    fake = FakeSmtp()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpHandler)
    server.daemon_threads = True
    server.fake = fake
    fake.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", fake.port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.REMINDERS_EMAIL_IDLE_SECONDS = 30
    settings.REMINDERS_EMAIL_MAX_PER_CONNECTION = 100
    yield fake
    channels.close_connections()
    server.shutdown()
    server.server_close()


def test_emails_share_one_smtp_connection(smtp):
    for n in (1, 2, 3):
        _email(n)
    assert (len(smtp.messages), smtp.connections) == (3, 1)


def test_a_new_smtp_connection_is_opened_before_the_servers_cap(smtp, settings):
    smtp.per_connection = settings.REMINDERS_EMAIL_MAX_PER_CONNECTION = 2
    for n in range(1, 6):
        _email(n)
    assert (len(smtp.messages), smtp.connections) == (5, 3)


def test_a_421_is_transient_and_the_next_message_goes_on_a_new_connection(smtp):
    smtp.per_connection = 2
    _email(1)
    _email(2)
    with pytest.raises(TransientSendError, match="421"):
        _email(3)
    _email(4)
    assert (len(smtp.messages), smtp.connections) == (3, 2)
    assert "key-3" not in "".join(smtp.messages)


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_the_message(smtp, clock):
    smtp.idle_seconds = 0.2
    _email(1)
    time.sleep(0.5)  # the server has hung up
    clock.now += 2  # and the worker notices the pause
    _email(2)  # no error: the dead connection is found by NOOP and replaced
    assert (len(smtp.messages), smtp.connections) == (2, 2)


@pytest.mark.parametrize(
    ("reply", "error"), [("550 5.1.1 no such user", PermanentSendError), ("450 4.2.1 try later", TransientSendError)]
)
def test_a_refused_recipient_is_permanent_for_a_5xx_and_transient_for_a_4xx(smtp, reply, error):
    smtp.rcpt_reply = reply
    with pytest.raises(error):
        _email(1)
    assert smtp.messages == []


def test_an_email_providers_429_carries_its_delay_and_a_5xx_none():
    from types import SimpleNamespace

    from anymail.exceptions import AnymailAPIError

    limited = AnymailAPIError("slow down", status_code=429, response=SimpleNamespace(headers={"Retry-After": "20"}))
    with pytest.raises(TransientSendError) as raised:
        channels._raise_for_anymail(limited)
    assert raised.value.retry_after == 20.0
    with pytest.raises(TransientSendError) as raised:
        channels._raise_for_anymail(AnymailAPIError("down", status_code=502))
    assert raised.value.retry_after is None
