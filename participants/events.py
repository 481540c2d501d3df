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

from collections.abc import Callable

Listener = Callable[..., object]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener(participant=..., reason=...)`` on every schedule change (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Stop calling ``listener`` (a listener not subscribed is ignored)."""
    if listener in _listeners:
        _listeners.remove(listener)


def schedule_changed(*, participant, reason: str) -> None:
    """Tell every listener that ``participant``'s schedule changed, and why."""
    for listener in _listeners:
        listener(participant=participant, reason=reason)
