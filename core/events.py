"""The one point where the base layer announces a request for a role, and its decision.

:func:`role_request_changed` is called by the role-request services inside their transaction,
after their writes. Apps above the base layer subscribe when they start (participants tells the
trial's unblinded team by a staff notification), so that the base layer imports none of them.

A listener runs inside the caller's transaction: what it writes commits or rolls back with the
request or decision it follows, and an error it raises refuses them.
"""

from __future__ import annotations

from core.listeners import Listeners

_listeners = Listeners()
subscribe = _listeners.subscribe  # listener(request=...) on every request and decision
unsubscribe = _listeners.unsubscribe


def role_request_changed(*, request) -> None:
    """Tell every listener that ``request`` (a :class:`core.models.RoleRequest`) was made or decided."""
    _listeners.tell(request=request)
