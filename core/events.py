"""The one point where the base layer announces a request for a role, and its decision.

:func:`role_request_changed` is called by the role-request services inside their transaction,
after their writes. Apps above the base layer subscribe when they start (participants tells the
trial's unblinded team by a staff notification), so that the base layer imports none of them.

A listener runs inside the caller's transaction: what it writes commits or rolls back with the
request or decision it follows, and an error it raises refuses them.
"""

from __future__ import annotations

from collections.abc import Callable

Listener = Callable[..., object]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    """Call ``listener(request=...)`` on every request and decision (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    """Stop calling ``listener`` (a listener not subscribed is ignored)."""
    if listener in _listeners:
        _listeners.remove(listener)


def role_request_changed(*, request) -> None:
    """Tell every listener that ``request`` (a :class:`core.models.RoleRequest`) was made or decided."""
    for listener in _listeners:
        listener(request=request)
