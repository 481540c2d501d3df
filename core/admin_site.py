"""The admin site: staff who need a second factor are let in only once it is verified on the session.

Its sign-in page is the project's own (``/admin/login/`` is routed to :func:`core.views.sign_in`),
so the admin has the same lockout and second step as every other sign-in.
"""

from __future__ import annotations

from django.contrib import admin

from core import second_factor


class AdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        if not super().has_permission(request):
            return False
        verified = getattr(request.user, "is_verified", None)
        return bool(verified and verified()) or not second_factor.required_for(request.user)
