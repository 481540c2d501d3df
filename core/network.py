"""Who is asking: the client's address, believing ``X-Forwarded-For`` only as far as trusted proxies go.

``TRUSTED_PROXY_COUNT`` is the one setting for it: the lockout (django-axes calls
:func:`client_address`) and DRF's throttles (``NUM_PROXIES``, and the token throttle calls this
function too) agree on who the client is. With no trusted proxy the header is ignored, since any
client can write one; with ``n`` proxies, each appending the address it received the request from,
the client is the ``n``-th address from the right, and whatever a client put to the left of it
changes nothing.
"""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str | None:
    """The address of the client that sent ``request`` (a Django or DRF request), or None if unknown."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or None
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if trusted <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(trusted, len(hops))]
