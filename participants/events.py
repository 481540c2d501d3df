"""The one point where participants announce that what is due for someone has changed.

A service that changes a participant's schedule or what it means (randomisation and import
materialise the appointments; a visit recorded or corrected re-dates what is chained to it; a
booking moved or cancelled, an unscheduled visit added, an amendment applied; a withdrawal) calls
:func:`schedule_changed` once, inside its transaction, after its writes. Apps above participants
subscribe when they start (reminders re-plans the participant's outbox), so that participants
imports none of them and no service has a call of its own to forget.

A listener runs inside the caller's transaction: what it writes commits or rolls back with the
change it follows, and an error it raises refuses the change.
"""

from __future__ import annotations

from core.listeners import Listeners

_listeners = Listeners()
subscribe = _listeners.subscribe  # listener(participant=..., reason=...) on every schedule change
unsubscribe = _listeners.unsubscribe


def schedule_changed(*, participant, reason: str) -> None:
    """Tell every listener that ``participant``'s schedule changed, and why."""
    _listeners.tell(participant=participant, reason=reason)
