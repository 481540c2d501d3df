"""How API requests are authenticated: an API token that ends, or a web session; either one only
with the second factor when the person needs one (:func:`core.second_factor.required_for`).

django-otp verifies a device on the session; a token has no session, so the token endpoint asks
for the one-time code itself and the token remembers whether it did (``ApiToken.second_factor``).
A token issued without one stops working when its owner gains a role that needs one.
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from core import second_factor, tokens

NEEDS_SECOND_FACTOR = (
    "Your roles need a second factor, and this {what} was opened without one: sign in again with your one-time code."
)


class ApiTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>`` with a token of :mod:`core.tokens`."""

    def authenticate_credentials(self, key):
        token = tokens.token_find(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        problem = tokens.token_problem(token)
        if problem:
            raise exceptions.AuthenticationFailed(problem)
        if not token.second_factor and second_factor.required_for(token.user):
            raise exceptions.AuthenticationFailed(NEEDS_SECOND_FACTOR.format(what="token"))
        return token.user, token


class VerifiedSessionAuthentication(SessionAuthentication):
    """Django's session (with its CSRF check), verified by a one-time code where one is needed."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user = found[0]
        verified = getattr(user, "is_verified", None)
        if not (verified and verified()) and second_factor.required_for(user):
            raise exceptions.AuthenticationFailed(NEEDS_SECOND_FACTOR.format(what="session"))
        return found
