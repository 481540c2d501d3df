"""Who the client is: ``X-Forwarded-For`` believed only as far as ``TRUSTED_PROXY_COUNT`` proxies go, the
same for the token throttle and the lockout, and the throttle's counts kept in the shared cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from core.network import client_address
from core.roles import Role
from tests.core.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture
def dora(kare, make_user):
    return make_user(Role.DATA_MANAGER, kare, username="dora")


@pytest.fixture
def slow_throttle(settings):
    settings.LOGIN_THROTTLE_RATE = "3/min"


def ask(api, *, remote: str, forwarded: str | None = None, password: str = "not-the-password", username="dora"):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return api.post("/api/auth/token/", {"username": username, "password": password}, **headers)


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return client_address(RequestFactory().get("/", **extra))


# --- the address --------------------------------------------------------------------------------


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert address("192.0.2.1", "203.0.113.5") == "192.0.2.1"


def test_behind_one_proxy_the_client_is_the_address_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert address(PROXY, "203.0.113.5") == "203.0.113.5"


def test_behind_one_proxy_what_the_client_wrote_before_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert address(PROXY, "198.51.100.66, 203.0.113.5") == "203.0.113.5"


def test_behind_two_proxies_the_client_is_the_second_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert address(PROXY, "198.51.100.66, 203.0.113.5, 10.0.0.1") == "203.0.113.5"


def test_drf_counts_as_many_proxies_as_the_lockout(settings):
    from rest_framework.settings import api_settings

    assert api_settings.NUM_PROXIES == settings.TRUSTED_PROXY_COUNT == 0


# --- the token throttle -------------------------------------------------------------------------


def test_a_spoofed_header_does_not_escape_the_throttle(api, dora, slow_throttle, throttle_keys, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    throttle_keys("192.0.2.77")

    answers = [ask(api, remote="192.0.2.77", forwarded=f"203.0.113.{n}").status_code for n in range(4)]

    assert answers[-1] == 429


def test_the_right_password_is_refused_once_an_address_is_throttled(api, dora, slow_throttle, throttle_keys):
    throttle_keys("192.0.2.78")
    for n in range(3):
        ask(api, remote="192.0.2.78", forwarded=f"203.0.113.{n}", username=f"guess-{n}")

    response = ask(api, remote="192.0.2.78", forwarded="203.0.113.99", password=PASSWORD)

    assert response.status_code == 429
    assert response.json()["error"]["code"] == "throttled"


def test_behind_the_trusted_proxy_a_client_is_throttled(api, dora, slow_throttle, throttle_keys, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    throttle_keys("203.0.113.5", "203.0.113.6")

    answers = [ask(api, remote=PROXY, forwarded=f"198.51.100.{n}, 203.0.113.5").status_code for n in range(4)]

    assert answers[-1] == 429
    assert ask(api, remote=PROXY, forwarded="203.0.113.6", password=PASSWORD).status_code == 200


def test_behind_the_trusted_proxy_the_lockout_counts_the_client_address(api, dora, settings, throttle_keys):
    settings.TRUSTED_PROXY_COUNT = 1
    throttle_keys("203.0.113.5", "203.0.113.6")
    for n in range(5):
        ask(api, remote=PROXY, forwarded=f"198.51.100.{n}, 203.0.113.5", username=f"guess-{n}")

    locked = ask(api, remote=PROXY, forwarded="203.0.113.5", password=PASSWORD)
    other = ask(api, remote=PROXY, forwarded="203.0.113.6", password=PASSWORD)

    assert (locked.status_code, locked.json()["error"]["code"]) == (403, "locked")
    assert other.status_code == 200


def test_without_a_trusted_proxy_a_spoofed_header_does_not_escape_the_lockout(api, dora, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        ask(api, remote="192.0.2.79", forwarded=f"203.0.113.{n}", username=f"guess-{n}")

    response = ask(api, remote="192.0.2.79", forwarded="203.0.113.200", password=PASSWORD)

    assert response.json()["error"]["code"] == "locked"


# --- the shared cache -----------------------------------------------------------------------------


def test_the_throttle_counts_in_the_configured_cache(api, dora, slow_throttle, throttle_keys):
    throttle_keys("192.0.2.80")

    ask(api, remote="192.0.2.80")

    assert len(cache.get("throttle_token_192.0.2.80")) == 1


@pytest.mark.redis
def test_with_redis_the_throttle_counts_are_seen_by_every_process(api, dora, slow_throttle, throttle_keys, settings):
    """Another process's cache client (a fresh connection to the same Redis) sees the count."""
    from django.core.cache.backends.redis import RedisCache

    throttle_keys("192.0.2.81")
    ask(api, remote="192.0.2.81")

    other_process = RedisCache(settings.CACHES["default"]["LOCATION"], {})
    assert len(other_process.get("throttle_token_192.0.2.81")) == 1
