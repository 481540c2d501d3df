"""Sending in chunks: one task carries many row ids and sends each row on its own, with its own lock,
checks and commit; a row that fails is left claimed for the sweeper and the others still go; a chunk
delivered twice sends nothing twice; the protocol version in force is read once per chunk. And a
send's commit does not wait for the disk, unless the setting says so."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from reminders import dispatch as dispatching
from reminders import sending
from reminders.models import Notification, State
from tests.reminders.conftest import london, pending

pytestmark = pytest.mark.django_db


@pytest.fixture
def participant(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.randomised()


@pytest.fixture
def claimed(clock, participant) -> list[int]:
    """Four due rows, claimed as the dispatcher claims them."""
    rows = list(pending(participant)[:4])
    clock.go(rows[-1].due_at)
    ids = dispatching.notifications_claim()
    assert sorted(ids) == sorted(r.pk for r in rows)
    return ids


def _keys_sent(sms_outbox, email_outbox) -> list[str]:
    return [m.idempotency_key for m in sms_outbox] + [m.extra_headers["X-Idempotency-Key"] for m in email_outbox]


def test_a_chunk_handles_each_row_once_and_a_redelivered_chunk_sends_nothing_twice(claimed, sms_outbox, email_outbox):
    outcomes = sending.notifications_send(notification_ids=claimed)

    assert sum(outcomes.values()) == len(claimed)
    assert outcomes.get("sent", 0) >= 1
    assert not Notification.objects.filter(pk__in=claimed, state=State.CLAIMED).exists()
    sent_rows = Notification.objects.filter(pk__in=claimed, state=State.SENT)
    sent = sorted(sent_rows.values_list("idempotency_key", flat=True))
    assert sorted(_keys_sent(sms_outbox, email_outbox)) == sent

    assert sending.notifications_send(notification_ids=claimed) == {"skipped": len(claimed)}
    assert sorted(_keys_sent(sms_outbox, email_outbox)) == sent


def test_a_row_that_fails_in_a_chunk_stays_claimed_and_the_others_still_go(
    claimed, monkeypatch, sms_outbox, email_outbox
):
    broken = claimed[1]
    check = sending.why_not_send

    def failing(n, *args, **kwargs):
        if n.pk == broken:
            raise OperationalError("the connection was lost")
        return check(n, *args, **kwargs)

    monkeypatch.setattr(sending, "why_not_send", failing)

    outcomes = sending.notifications_send(notification_ids=claimed)

    assert outcomes["error"] == 1
    assert sum(outcomes.values()) == len(claimed)
    row = Notification.objects.get(pk=broken)
    assert (row.state, row.attempts) == (State.CLAIMED, 0)  # the sweeper returns it later
    others = Notification.objects.filter(pk__in=claimed).exclude(pk=broken)
    assert not others.filter(state=State.CLAIMED).exists()
    assert sorted(_keys_sent(sms_outbox, email_outbox)) == sorted(
        others.filter(state=State.SENT).values_list("idempotency_key", flat=True)
    )
    assert row.idempotency_key not in _keys_sent(sms_outbox, email_outbox)


def test_a_chunk_reads_the_protocol_version_in_force_once(claimed):
    with CaptureQueriesContext(connection) as queries:
        sending.notifications_send(notification_ids=claimed)

    versions = [q["sql"] for q in queries.captured_queries if '"trials_protocolversion"' in q["sql"]]
    assert len(versions) == 1


@pytest.mark.postgres
@pytest.mark.parametrize("asynchronous", [True, False])
def test_a_sends_commit_waits_for_the_disk_only_when_told_to(claimed, monkeypatch, settings, asynchronous):
    from reminders import channels

    settings.REMINDERS_SEND_ASYNC_COMMIT = asynchronous
    seen = []
    send_sms, send_email = channels.send_sms, channels.send_email

    def noting(send):
        def sending_and_noting(**kwargs):
            with connection.cursor() as cursor:
                cursor.execute("SHOW synchronous_commit")
                seen.append(cursor.fetchone()[0])
            return send(**kwargs)

        return sending_and_noting

    monkeypatch.setattr(channels, "send_sms", noting(send_sms))
    monkeypatch.setattr(channels, "send_email", noting(send_email))

    sending.notifications_send(notification_ids=claimed)

    assert seen
    assert set(seen) == ({"off"} if asynchronous else {"on"})


RECORDING_DB = 10  # a database of its own (the worker tests record in 13)


@pytest.mark.redis
def test_the_recording_provider_delivers_a_key_once_and_counts_every_call(settings):
    from urllib.parse import urlsplit, urlunsplit

    import redis

    from reminders.sms import RecordingSmsBackend, Sms

    if not settings.REDIS_URL:
        pytest.skip("the recording provider needs Redis (REDIS_URL)")
    settings.REMINDERS_RECORDING_URL = urlunsplit(urlsplit(settings.REDIS_URL)._replace(path=f"/{RECORDING_DB}"))
    client = redis.Redis.from_url(settings.REMINDERS_RECORDING_URL)
    client.flushdb()
    try:
        backend = RecordingSmsBackend()
        first = backend.send(Sms(to="+447911123456", body="Hello", idempotency_key="k1"))
        again = backend.send(Sms(to="+447911123456", body="Hello", idempotency_key="k1"))
        other = backend.send(Sms(to="+447911123456", body="Hello", idempotency_key="k2"))

        assert first == again != other
        assert first.startswith("rec-sms-")
        assert client.hgetall("reminders:calls") == {b"k1": b"2", b"k2": b"1"}
        assert client.hgetall("reminders:deliveries") == {b"k1": b"1", b"k2": b"1"}
    finally:
        client.flushdb()
