"""Web sessions that end: after ``SESSION_IDLE_MINUTES`` without a request (the session cookie's age,
moved on by every request) and ``SESSION_MAX_HOURS`` after signing in, whatever happens in between.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout

SIGNED_IN_AT = "signed_in_at"


def mark_signed_in(request) -> None:
    """Start the session's absolute lifetime (called by the sign-in pages right after ``login()``)."""
    request.session[SIGNED_IN_AT] = int(time.time())


class SessionLifetimeMiddleware:
    """Sign out a session older than ``SESSION_MAX_HOURS``.

    A session signed in without the sign-in pages (a test's ``force_login``) starts counting at its
    first request here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            started = request.session.get(SIGNED_IN_AT)
            if started is None:
                mark_signed_in(request)
            elif time.time() - started > settings.SESSION_MAX_HOURS * 3600:
                logout(request)
        return self.get_response(request)
