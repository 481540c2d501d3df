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

from collections.abc import Iterable

from core.listeners import Listeners

_listeners = Listeners()
subscribe = _listeners.subscribe  # listener(record=..., items=..., actor=..., reason=...) on every correction
unsubscribe = _listeners.unsubscribe


# Among the items of a correction: the rows that belong to the record (an infusion's vitals) changed.
CHILDREN = "_children"


def corrected(*, obj, items: Iterable[str], actor, reason: str) -> None:
    """Tell every listener that ``items`` of ``obj`` (a registered kind of record) were corrected
    by ``actor`` for ``reason`` (:data:`CHILDREN` among them when its rows changed). Items that did
    not change may be left out; none at all is a no-op. A record about to be deleted (a drinking
    day cleared back to missing) is announced before it goes, with the items it loses."""
    from review.records import record_of

    names = frozenset(items)
    if not names or not _listeners:
        return
    _listeners.tell(record=record_of(obj), items=names, actor=actor, reason=reason)
