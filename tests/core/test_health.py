"""``GET /healthz``: 200 when the database and the broker answer, 503 naming the one that does not.

Outages are made without touching the shared servers: the broker is a Redis started by the test on a
spare port, and the database is reached through a TCP proxy the test opens and closes.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connections

from tests import conftest
from tests.conftest import service_missing
from trialtracker import health

pytestmark = pytest.mark.django_db

# With a broker configured, "both services up" needs that broker to answer.
needs_configured_broker = pytest.mark.redis if settings.REDIS_URL else (lambda test: test)


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target``; ``close()`` refuses and cuts connections, ``open()`` resumes."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = _spare_port()
        self._server: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._pipes: list[socket.socket] = []

    def open(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.1)
        self._accepting = threading.Thread(target=self._accept, args=(self._server,), daemon=True)
        self._accepting.start()

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
            self._accepting.join(timeout=5)
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.shutdown(socket.SHUT_RDWR)
            pipe.close()
        self._pipes.clear()

    def _accept(self, server: socket.socket) -> None:
        while self._server is server:
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            self._pipes += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


class RedisServer:
    """A Redis of the test's own on a spare port, stopped and restarted at will."""

    def __init__(self):
        self.port = _spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


@pytest.fixture
def own_redis(settings):
    if shutil.which("redis-server") is None:
        service_missing("redis-server", "the program is not on the PATH")
    server = RedisServer()
    server.start()
    settings.REDIS_URL = server.url
    yield server
    server.stop()


@pytest.fixture
def database_proxy(monkeypatch):
    """The health check's database connections go through a proxy the test controls."""
    db = connections["default"].settings_dict
    proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.open()

    class ThroughProxy:
        def create_connection(self, alias):
            conn = connections.create_connection(alias)
            conn.settings_dict = {**conn.settings_dict, "HOST": "127.0.0.1", "PORT": str(proxy.port)}
            return conn

    monkeypatch.setattr(health, "connections", ThroughProxy())
    yield proxy
    proxy.close()


@needs_configured_broker
def test_healthz_is_200_when_the_services_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["services"]["database"] == "ok"


@needs_configured_broker
def test_healthz_needs_no_authentication(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@needs_configured_broker
def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_says_the_broker_is_not_configured_without_redis_url(client, settings):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["services"]["broker"] == "not configured"


def test_healthz_reports_the_broker_when_it_answers(client, own_redis):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["services"]["broker"] == "ok"


def test_healthz_is_503_naming_the_broker_when_it_is_down(client, own_redis):
    own_redis.stop()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response.json()["services"] == {"database": "ok", "broker": "down"}


def test_healthz_is_200_again_once_the_broker_is_back(client, own_redis):
    own_redis.stop()
    assert client.get("/healthz").status_code == 503

    own_redis.start()

    assert client.get("/healthz").status_code == 200


def _outcome_of_own_redis(request) -> BaseException:
    """What the ``own_redis`` fixture raises: a skip or a failure (either ends the test at once)."""
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as outcome:
        request.getfixturevalue("own_redis")
    return outcome.value


def test_without_redis_server_the_broker_tests_fail_where_services_are_required(request, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda program: None)
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", True)

    outcome = _outcome_of_own_redis(request)

    assert isinstance(outcome, pytest.fail.Exception)
    assert "needs redis-server" in str(outcome)
    assert "TRIALTRACKER_REQUIRE_SERVICES=1 forbids skipping" in str(outcome)


def test_without_redis_server_the_broker_tests_skip_elsewhere(request, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda program: None)
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", False)

    outcome = _outcome_of_own_redis(request)

    assert isinstance(outcome, pytest.skip.Exception)
    assert str(outcome) == "needs redis-server: the program is not on the PATH"


@pytest.mark.postgres
def test_healthz_is_200_through_the_database_proxy(client, settings, database_proxy):
    settings.REDIS_URL = ""

    response = client.get("/healthz")

    assert response.status_code == 200


@pytest.mark.postgres
def test_healthz_is_503_naming_the_database_when_it_is_unreachable(client, settings, database_proxy):
    settings.REDIS_URL = ""
    database_proxy.close()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["down"] == ["database"]
    assert response.json()["services"]["database"] == "down"


@pytest.mark.postgres
def test_healthz_logs_the_database_error_but_does_not_publish_it(client, settings, database_proxy, caplog):
    settings.REDIS_URL = ""
    database_proxy.close()

    response = client.get("/healthz")

    assert "OperationalError" not in response.content.decode()
    assert any("database is down: OperationalError" in record.getMessage() for record in caplog.records)


@pytest.mark.postgres
def test_healthz_is_200_again_once_the_database_is_back(client, settings, database_proxy):
    settings.REDIS_URL = ""
    database_proxy.close()
    assert client.get("/healthz").status_code == 503

    database_proxy.open()

    assert client.get("/healthz").status_code == 200


@pytest.mark.postgres
def test_healthz_does_not_trust_the_request_connection(client, settings, database_proxy):
    settings.REDIS_URL = ""
    connections["default"].ensure_connection()
    database_proxy.close()

    assert connections["default"].is_usable()
    assert client.get("/healthz").status_code == 503
