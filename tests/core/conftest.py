"""Helpers for the core tests: one-time codes as an authenticator app would show them, people with
an enrolled second factor, throttle counts that do not leak from one test to the next, and (from
:mod:`tests.core.databases`) a PostgreSQL database made as the containers make it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_otp.oath import TOTP, hotp

from tests.core.databases import owned_database  # noqa: F401  (a fixture)

PASSWORD = "correct-horse-battery-staple"


def code_for(device) -> str:
    """The code the device's app shows now (the next one, if the current one was used already)."""
    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    step = max(now, device.last_t + 1)
    return f"{hotp(device.bin_key, step, digits=device.digits):0{device.digits}d}"


def wrong_code(device) -> str:
    right = code_for(device)
    return f"{(int(right) + 1) % 10**device.digits:0{device.digits}d}"


@pytest.fixture
def enrol():
    """``enrol(user)``: give ``user`` a confirmed authenticator, through the services; returns the device."""
    from core.services import totp_confirm, totp_enrol

    def make(user):
        device = totp_enrol(user=user)
        return totp_confirm(user=user, code=code_for(device))

    return make


@pytest.fixture
def throttle_keys():
    """Addresses a test sends token requests from: their throttle counts are dropped before and after."""
    used: list[str] = []

    def forget():
        cache.delete_many([f"throttle_token_{address}" for address in used])

    class Addresses:
        def __call__(self, *addresses: str) -> None:
            used.extend(addresses)
            forget()

    yield Addresses()
    forget()
