"""Pacing sends to what providers allow: one token bucket per channel and sender, in Redis, shared
by every worker.

A provider caps each sender (an SMS long code at about one message a second, an email account at
its sending rate) and refuses the excess. So before a message goes out, its send takes a slot from
the bucket of its channel and sender (:func:`reserve`). The bucket is kept as a generic cell rate
algorithm (GCRA, the token bucket as one timestamp): the *theoretical arrival time* of the next
message. ``REMINDERS_RATE_PER_SECOND`` gives each channel's rate and ``REMINDERS_RATE_BURST`` how
many may go at once after a quiet spell. Redis's own clock decides, so workers on other machines
agree.

A slot is a reservation. When it is due within ``REMINDERS_PACE_SLEEP_SECONDS`` the worker waits
for it and sends; later than that, the send puts the row back to ``pending`` with its due time at
the slot and keeps the slot on the row (``Notification.paced_until``), so that the dispatcher picks
it up when it is due and the send uses the slot it holds instead of taking another. The outbox's
due time stays the only timer: nothing waits in the broker, and a worker waits at most a fraction
of a second.

When a provider says "not now" (an HTTP 429 with ``Retry-After``, a server's "try later"),
:func:`hold` moves the bucket's next slot past the delay: every worker sending from that sender
waits, not only the one that was told.

Why our own script: the rate limiters on PyPI either count fixed or sliding windows (``limits``),
which answer yes or no but hold no reservation, or wait inside the process (``pyrate-limiter``'s
delays); a send here needs the time of its slot, reserved atomically across workers, to write it
to the outbox. The script is twelve lines of Lua.

Without ``REMINDERS_PACING_URL`` (the embedded default, where Celery runs tasks in-process) sends
are not paced.
"""

from __future__ import annotations

import logging
import math

from django.conf import settings

log = logging.getLogger(__name__)

# KEYS[1]: the bucket. ARGV: the interval between messages and the burst tolerance, in
# microseconds. Returns the delay, in microseconds, before the reserved slot (0: now).
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local interval, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local allow_at = tat - tolerance
if allow_at < now then allow_at = now end
local new_tat = math.max(tat, allow_at) + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return allow_at - now
"""

# KEYS[1]: the bucket. ARGV[1]: the provider's delay, ARGV[2] the burst tolerance (microseconds).
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
local held = now + tonumber(ARGV[1]) + tonumber(ARGV[2])
if held > tat then
  redis.call('SET', KEYS[1], string.format('%d', held), 'PX', math.ceil((held - now) / 1000) + 1000)
end
return 0
"""

_scripts: dict[str, tuple] = {}


def _client():
    """One client and its registered scripts per URL and process."""
    url = settings.REMINDERS_PACING_URL
    found = _scripts.get(url)
    if found is None:
        import redis

        client = redis.Redis.from_url(url)
        found = _scripts[url] = (client, client.register_script(_RESERVE), client.register_script(_HOLD))
    return found


def _limits(channel: str) -> tuple[int, int] | None:
    """The bucket's interval and burst tolerance in microseconds, or None when the channel is not paced."""
    rate = float(settings.REMINDERS_RATE_PER_SECOND.get(channel, 0) or 0)
    if not settings.REMINDERS_PACING_URL or rate <= 0 or not math.isfinite(rate):
        return None
    interval = round(1_000_000 / rate)
    burst = max(int(settings.REMINDERS_RATE_BURST.get(channel, 1) or 1), 1)
    return interval, (burst - 1) * interval


def bucket(channel: str, sender: str) -> str:
    return f"reminders:pace:{channel}:{sender or 'default'}"


def reserve(channel: str, sender: str) -> float:
    """Reserve the next slot of the channel's and sender's bucket; returns the seconds until it (0: now)."""
    limits = _limits(channel)
    if limits is None:
        return 0.0
    _, script, _ = _client()
    return int(script(keys=[bucket(channel, sender)], args=list(limits))) / 1_000_000


def hold(channel: str, sender: str, seconds: float) -> None:
    """A provider asked this sender to wait ``seconds``: no slot of its bucket falls before then."""
    limits = _limits(channel)
    if limits is None or seconds <= 0:
        return
    _, _, script = _client()
    script(keys=[bucket(channel, sender)], args=[round(seconds * 1_000_000), limits[1]])
    log.info("reminders: %s from %s held for %.1f s at the provider's request", channel, sender or "default", seconds)
