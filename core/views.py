"""The sign-in pages: the password first (``/accounts/login/``, also the admin's), then, for whoever
has or needs a second factor, the one-time code, or setting up an authenticator app when they have
none yet. Both steps go through the same lockout as the API (:mod:`core.login`), and so does the
current password asked by the password-change page (:class:`PasswordChange`).

Between the steps the session holds only who passed the password, for ``PENDING_SECONDS``; the
person is signed in once the code is right, with the device verified on the session (django-otp).
"""

from __future__ import annotations

import time

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from core import login, second_factor, services, sessions
from core.errors import DomainError, Invalid

PENDING = "sign_in_pending"
PENDING_SECONDS = 300


class PasswordForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(max_length=4096, strip=False, widget=forms.PasswordInput)


class CodeForm(forms.Form):
    code = forms.CharField(max_length=16)


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _complete(request, user, *, backend: str, device=None):
    auth_login(request, user, backend=backend)
    if device is not None:
        django_otp.login(request, device)
    sessions.mark_signed_in(request)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request):
    """The password step; on to the code step when the person has or needs a second factor."""
    next_url = _next(request)
    form = PasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = login.sign_in(request, **form.cleaned_data)
        except login.Locked as exc:
            form.add_error(None, exc.message)
            status = 403
        except Invalid:
            form.add_error(None, login.BAD_CREDENTIALS)
        else:
            if second_factor.device_of(user) is None and not second_factor.required_for(user):
                _complete(request, user, backend=user.backend)
                return redirect(next_url)
            request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time(), "next": next_url}
            return redirect("login-code")
    return render(request, "registration/login.html", {"form": form, "next": next_url}, status=status)


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


@csrf_protect
@never_cache
def sign_in_code(request):
    """The code step: the one-time code, or (with no device yet) setting one up and confirming it."""
    user, pending = _pending_user(request)
    if user is None:
        return redirect("login")
    device = second_factor.device_of(user)
    enrolling = device is None
    setup = None
    if enrolling:
        setup = second_factor.enrolling_device_of(user) or services.totp_enrol(user=user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            verified = _verify(request, user, form.cleaned_data["code"], enrolling=enrolling)
        except login.Locked as exc:
            request.session.pop(PENDING, None)
            form.add_error(None, exc.message)
            status = 403
        except DomainError as exc:
            form.add_error("code", " ".join(exc.fields.get("code", [exc.message])))
        else:
            request.session.pop(PENDING, None)
            _complete(request, user, backend=pending["backend"], device=verified)
            return redirect(pending["next"])
    context = {"form": form, "enrolling": enrolling}
    if setup is not None:
        context |= {
            "secret": second_factor.secret_of(setup),
            "otpauth_uri": setup.config_url,
            "qr_code": segno.make(setup.config_url, micro=False).svg_data_uri(scale=4),
        }
    return render(request, "registration/login_code.html", context, status=status)


def _verify(request, user, code: str, *, enrolling: bool):
    """The device the code verifies; raises Locked, or Invalid for a wrong code (which counts as a
    failed sign-in, except while setting up)."""
    if login.is_locked(username=user.get_username(), request=request):
        raise login.Locked()
    if enrolling:
        return services.totp_confirm(user=user, code=code)
    verified = second_factor.totp_verify(user=user, code=code)
    if verified is None:
        login.sign_in_failed(request, username=user.get_username())
        raise Invalid("wrong code", fields={"code": ["The code is not right or was already used: try the next one."]})
    return verified


class CountedPasswordChangeForm(PasswordChangeForm):
    """Django's password-change form, whose check of the current password goes through the lockout:
    a wrong one counts as a failed sign-in (:func:`core.login.password_confirm`), so that a session
    left open, or taken, cannot be used to guess its owner's password without limit."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not login.password_confirm(user=self.user, password=old_password, request=self.request):
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        return old_password


class PasswordChange(auth_views.PasswordChangeView):
    """``/accounts/password_change/`` (and the admin's ``/admin/password_change/``): Django's page
    with :class:`CountedPasswordChangeForm`. When the failures lock the account, the session ends
    too (whoever is guessing is not let go on from it) and the page says the account is locked,
    403, as the sign-in page does."""

    form_class = CountedPasswordChangeForm

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"request": self.request}

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except login.Locked as exc:
            username = request.user.get_username()
            auth_logout(request)
            form = PasswordForm(initial={"username": username})
            form.cleaned_data = {}  # an unbound form given the error as the sign-in page gives it
            form.add_error(None, exc.message)
            return render(request, "registration/login.html", {"form": form, "next": _next(request)}, status=403)
