"""Pacing: a token bucket per channel and sender in Redis, shared by every worker; a send whose slot
is near waits for it, a later one goes back to the outbox holding its slot; a provider's 429 holds
the sender's bucket for the delay it asked and is not counted as a failed attempt."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from reminders import pacing
from reminders.models import Channel, State
from reminders.sms import InMemorySmsBackend, TransientSendError
from tests.reminders.conftest import london, pending

PACING_DB = 11


@pytest.fixture
def paced(settings):
    """Pacing on, against a Redis database of its own, emptied before and after."""
    if not settings.REDIS_URL:
        pytest.skip("pacing needs Redis (REDIS_URL)")
    url = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{PACING_DB}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    settings.REMINDERS_PACING_URL = url
    settings.REMINDERS_RATE_PER_SECOND = {"sms": 1.0, "email": 4.0}
    settings.REMINDERS_RATE_BURST = {"sms": 1, "email": 2}
    settings.REMINDERS_PACE_SLEEP_SECONDS = 0.3
    yield client
    client.flushdb()


pytestmark = pytest.mark.redis


def test_a_burst_goes_at_once_then_one_slot_per_interval(paced):
    delays = [pacing.reserve(Channel.EMAIL, "a@example.org") for _ in range(5)]
    assert delays[:2] == [0.0, 0.0]
    # 4 a second: 0.25 s apart after the burst of two (less the few microseconds between calls)
    for k, delay in enumerate(delays[2:], start=1):
        assert 0.25 * k - 0.05 < delay <= 0.25 * k


def test_senders_and_channels_have_buckets_of_their_own(paced):
    assert pacing.reserve(Channel.SMS, "+441632960001") == 0.0
    assert pacing.reserve(Channel.SMS, "+441632960002") == 0.0
    assert pacing.reserve(Channel.EMAIL, "+441632960001") == 0.0
    assert pacing.reserve(Channel.SMS, "+441632960001") > 0.9


def test_every_worker_reads_the_same_bucket(paced):
    pacing.reserve(Channel.SMS, "")
    pacing._scripts.clear()  # as another process would: its own client and scripts
    assert pacing.reserve(Channel.SMS, "") > 0.9


def test_a_providers_delay_holds_the_bucket_for_every_worker(paced):
    pacing.hold(Channel.SMS, "", 7)
    assert 6.9 < pacing.reserve(Channel.SMS, "") <= 7.0


def test_a_channel_without_a_rate_or_without_redis_is_not_paced(paced, settings):
    settings.REMINDERS_RATE_PER_SECOND = {"email": 4.0}
    assert [pacing.reserve(Channel.SMS, "") for _ in range(3)] == [0.0, 0.0, 0.0]
    settings.REMINDERS_PACING_URL = ""
    assert [pacing.reserve(Channel.EMAIL, "") for _ in range(5)] == [0.0] * 5
    assert not paced.keys()


@pytest.mark.django_db
def test_sends_beyond_the_rate_go_back_to_the_outbox_holding_their_slots(paced, clock, contacts, dispatch, settings):
    settings.REMINDERS_RATE_PER_SECOND = {"sms": 0.2}  # a slot every 5 s: far more than a send takes
    clock.go(london(2025, 7, 28, 11))
    people = [contacts.randomised(prefs={"email_consent": False}) for _ in range(3)]
    firsts = [pending(p).first() for p in people]
    assert {n.channel for n in firsts} == {Channel.SMS}
    due = max(n.due_at for n in firsts)
    now = clock.go(due)
    for n in pending().filter(due_at__lte=due).exclude(pk__in=[n.pk for n in firsts]):
        n.due_at = due + dt.timedelta(days=30)  # only the three first reminders are due now
        n.save()
    dispatch()
    outcome = {n.pk: n for n in pending().filter(pk__in=[n.pk for n in firsts])}
    assert len(InMemorySmsBackend.outbox) == 1  # one at once (burst 1); the next slot was 5 s away
    assert len(outcome) == 2
    slots = sorted(n.paced_until for n in outcome.values())
    assert [n.due_at for n in sorted(outcome.values(), key=lambda n: n.paced_until)] == slots
    # The slots are 5 s apart on Redis's clock; the test's clock stands still while the sends take
    # real time, so each slot is seen that much earlier here.
    assert dt.timedelta(seconds=0.3) < slots[0] - now <= dt.timedelta(seconds=5)
    assert dt.timedelta(seconds=5) < slots[1] - now <= dt.timedelta(seconds=10)
    assert all(n.attempts == 0 for n in outcome.values())
    # At their slots they go, each on the slot it holds: no new slot taken from the bucket.
    clock.go(slots[1])
    before = paced.get(pacing.bucket(Channel.SMS, ""))
    dispatch()
    assert len(InMemorySmsBackend.outbox) == 3
    assert paced.get(pacing.bucket(Channel.SMS, "")) == before
    assert not pending().filter(pk__in=[n.pk for n in firsts]).exists()
    assert {m.idempotency_key for m in InMemorySmsBackend.outbox} == {n.idempotency_key for n in firsts}


@pytest.mark.django_db
def test_a_rate_limit_answer_waits_its_delay_without_counting_a_failure(paced, clock, contacts, dispatch, monkeypatch):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised(prefs={"email_consent": False})
    n = pending(participant).first()
    now = clock.go(n.due_at)

    def too_many(message):
        raise TransientSendError("Twilio answered 429", retry_after=30)

    monkeypatch.setattr(InMemorySmsBackend, "send", lambda self, message: too_many(message))
    dispatch()
    n.refresh_from_db()
    assert n.state == State.PENDING
    assert n.attempts == 0
    assert n.due_at == now + dt.timedelta(seconds=30)
    assert "429" in n.last_error
    assert 29 < pacing.reserve(Channel.SMS, "") <= 30  # the whole sender waits, not only this row
