"""The one point where a service says it corrected saved values of a record under review.

A service that changes saved fields of a record with a reason (``visit_update``,
``adverse_event_update``, a drinking day changed...) calls :func:`corrected` inside its
transaction, after its writes. The review's own parts subscribe when they start (an open query on
a corrected item is answered by the correction), so that no service knows of them.

Verification marks and signatures need no call: they hold a fingerprint of what was verified or
signed, and a record whose fingerprint differs has changed since, however it changed.

A listener runs inside the caller's transaction: what it writes commits or rolls back with the
correction, and an error it raises refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Listener = Callable[..., object]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener(record=..., items=..., actor=..., reason=...)`` on every correction."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def corrected(*, obj, items: Iterable[str], actor, reason: str) -> None:
    """Tell every listener that ``items`` of ``obj`` (a registered kind of record) were corrected
    by ``actor`` for ``reason``. Items that did not change may be left out; none at all is a no-op."""
    from review.records import record_of

    names = frozenset(items)
    if not names or not _listeners:
        return
    record = record_of(obj)
    for listener in _listeners:
        listener(record=record, items=names, actor=actor, reason=reason)
