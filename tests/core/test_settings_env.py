"""Settings read from the environment in the form the documentation and docker/env.example write them."""

from __future__ import annotations

import json

from tests.core.test_secrets import _install

RATES = """
import django, json
django.setup()
from django.conf import settings
print(json.dumps([settings.REMINDERS_RATE_PER_SECOND, settings.REMINDERS_RATE_BURST]))
"""


def test_reminder_rates_are_read_as_comma_separated_pairs(tmp_path):
    rates, burst = json.loads(
        _install(tmp_path, RATES, REMINDERS_RATE_PER_SECOND="sms=2.5,email=10", REMINDERS_RATE_BURST="sms=5,email=50")
    )
    assert rates == {"sms": 2.5, "email": 10.0}
    assert burst == {"sms": 5, "email": 50}


def test_reminder_rates_default_when_unset(tmp_path):
    rates, burst = json.loads(_install(tmp_path, RATES))
    assert rates == {"sms": 1.0, "email": 10.0}
    assert burst == {"sms": 5, "email": 50}
