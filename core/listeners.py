"""Who is told when something happens in a lower layer that an upper one acts on.

A layer announces through one :class:`Listeners` of its own (``core.events``,
``participants.events``, ``review.changes``); apps above subscribe when they start, so the layer
that announces imports none of them. Each listener is subscribed once and called in the order
subscribed, inside the announcer's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[..., object]


class Listeners:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` on every announcement (once, however often it subscribes)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop calling ``listener`` (one not subscribed is ignored)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def __bool__(self) -> bool:
        return bool(self._listeners)

    def tell(self, **announcement: object) -> None:
        for listener in list(self._listeners):
            listener(**announcement)
