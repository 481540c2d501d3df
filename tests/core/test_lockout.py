"""Lockout after repeated failed sign-ins (django-axes), per account and per address: on the token
endpoint, the sign-in page, the admin's sign-in and the current password asked by the
password-change page; refused with a clear message even with the right
password; lifted by the cool-off or by an administrator (or ``manage.py unlock``), who is recorded."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.models import AccountEvent
from core.roles import Role
from tests.conftest import password_in
from tests.core.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = 5  # the default LOGIN_FAILURE_LIMIT


@pytest.fixture
def dora(kare, make_user):
    """A data manager: needs no second factor, so a token needs only the password."""
    return make_user(Role.DATA_MANAGER, kare, username="dora")


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="ada")


def token(api, username: str, password: str, address: str = "192.0.2.10"):
    return api.post("/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(api, username: str, times: int = LIMIT, *, address: str | None = None) -> list[int]:
    """``times`` wrong passwords for ``username``, each from its own address unless one is given."""
    return [
        token(api, username, "not-the-password", address or f"198.51.100.{n + 1}").status_code for n in range(times)
    ]


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- the token endpoint -------------------------------------------------------------------------


def test_a_locked_account_is_refused_even_with_the_right_password(api, dora):
    fail(api, "dora")

    response = token(api, "dora", PASSWORD)

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "locked"
    assert "locked" in error["message"]
    assert "token" not in response.json()


def test_the_failure_that_reaches_the_limit_is_answered_as_locked(api, dora):
    answers = fail(api, "dora")

    assert answers == [400] * (LIMIT - 1) + [403]


def test_fewer_failures_than_the_limit_leave_the_account_open(api, dora):
    fail(api, "dora", LIMIT - 1)

    assert token(api, "dora", PASSWORD).status_code == 200


def test_an_address_with_too_many_failures_is_locked_for_every_account(api, dora):
    for n in range(LIMIT):
        token(api, f"guess-{n}", "not-the-password", address="203.0.113.9")

    assert token(api, "dora", PASSWORD, address="203.0.113.9").json()["error"]["code"] == "locked"
    assert token(api, "dora", PASSWORD, address="203.0.113.10").status_code == 200


def test_the_lockout_ends_after_the_cool_off(api, dora, settings):
    fail(api, "dora")

    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES + 1)):
        assert token(api, "dora", PASSWORD).status_code == 200


def test_the_failure_limit_is_a_setting(api, dora, settings):
    settings.AXES_FAILURE_LIMIT = 2

    assert fail(api, "dora", 2) == [400, 403]


# --- the sign-in page and the admin -------------------------------------------------------------


def test_the_sign_in_page_refuses_a_locked_account_saying_so(client, dora):
    for _ in range(LIMIT):
        client.post("/accounts/login/", {"username": "dora", "password": "not-the-password"})

    response = client.post("/accounts/login/", {"username": "dora", "password": PASSWORD})

    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert not signed_in(client)


def test_the_sign_in_page_signs_in_below_the_limit(client, dora):
    client.post("/accounts/login/", {"username": "dora", "password": "not-the-password"})

    response = client.post("/accounts/login/", {"username": "dora", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in(client)


def _change_password(client, old: str, path: str = "/accounts/password_change/"):
    new = "a-new-and-long-password-7"
    return client.post(path, {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize("path", ["/accounts/password_change/", "/admin/password_change/"])
def test_guessing_the_password_on_the_change_page_locks_the_account_and_ends_the_session(client, dora, path):
    client.force_login(dora)
    answers = [_change_password(client, "not-the-password", path).status_code for _ in range(LIMIT)]

    assert answers == [200] * (LIMIT - 1) + [403]  # the form again, then locked
    assert not signed_in(client)
    assert _change_password(client, PASSWORD).status_code == 302  # to the sign-in page
    dora.refresh_from_db()
    assert dora.check_password(PASSWORD)  # unchanged
    response = client.post("/accounts/login/", {"username": "dora", "password": PASSWORD})
    assert response.status_code == 403
    assert "locked" in response.content.decode()


def test_the_change_page_still_changes_a_password_below_the_limit(client, dora):
    client.force_login(dora)
    assert _change_password(client, "not-the-password").status_code == 200

    assert _change_password(client, PASSWORD).status_code == 302
    dora.refresh_from_db()
    assert dora.check_password("a-new-and-long-password-7")


def test_the_admin_sign_in_is_locked_too(client, django_user_model):
    django_user_model.objects.create_superuser("root", password=PASSWORD)
    for _ in range(LIMIT):
        client.post("/admin/login/?next=/admin/", {"username": "root", "password": "not-the-password"})

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert not signed_in(client)


def test_failures_on_the_page_and_the_api_count_together(api, client, dora):
    for _ in range(LIMIT - 1):
        client.post("/accounts/login/", {"username": "dora", "password": "not-the-password"})

    assert token(api, "dora", "not-the-password").status_code == 403


# --- unlocking ------------------------------------------------------------------------------------


def test_an_administrator_unlocks_an_account(api, as_user, dora, admin):
    fail(api, "dora")

    response = as_user(admin).post(f"/api/users/{dora.pk}/unlock/", {"reason": "called the help desk"})

    assert response.status_code == 200
    assert response.json()["username"] == "dora"
    api.force_authenticate(None)
    assert token(api, "dora", PASSWORD).status_code == 200


def test_an_unlock_is_recorded_with_who_and_why(api, as_user, dora, admin):
    fail(api, "dora")

    as_user(admin).post(f"/api/users/{dora.pk}/unlock/", {"reason": "called the help desk"})

    [event] = AccountEvent.objects.filter(kind=AccountEvent.Kind.UNLOCKED)
    assert (event.user, event.actor, event.reason) == (dora, admin, "called the help desk")


def test_unlocking_needs_a_reason(api, as_user, dora, admin):
    fail(api, "dora")

    response = as_user(admin).post(f"/api/users/{dora.pk}/unlock/", {"reason": ""})

    assert response.status_code == 400
    assert not AccountEvent.objects.exists()
    api.force_authenticate(None)
    assert token(api, "dora", PASSWORD).status_code == 403


def test_only_administrators_unlock(api, as_user, dora, kare, make_user):
    fail(api, "dora")
    monitor = make_user(Role.MONITOR, kare)

    assert as_user(monitor).post(f"/api/users/{dora.pk}/unlock/", {"reason": "asked"}).status_code == 403


def test_an_administrator_of_another_trial_cannot_unlock(api, as_user, dora, more_kare, make_user):
    other = make_user(Role.ADMINISTRATOR, more_kare)

    assert as_user(other).post(f"/api/users/{dora.pk}/unlock/", {"reason": "asked"}).status_code == 404


def test_the_unlock_command_lifts_a_lockout_and_records_it(api, dora):
    fail(api, "dora")
    out = io.StringIO()

    call_command("unlock", "dora", "--reason", "help desk ticket 42", "--system", stdout=out)

    assert "dora" in out.getvalue()
    assert token(api, "dora", PASSWORD).status_code == 200
    [event] = AccountEvent.objects.filter(kind=AccountEvent.Kind.UNLOCKED)
    assert (event.user, event.actor, event.reason) == (dora, None, "help desk ticket 42")


def test_the_unlock_command_lifts_an_address(api, dora):
    for n in range(LIMIT):
        token(api, f"guess-{n}", "not-the-password", address="203.0.113.9")

    call_command(
        "unlock",
        "--address",
        "203.0.113.9",
        "--reason",
        "the site's shared connection",
        "--system",
        stdout=io.StringIO(),
    )

    assert token(api, "dora", PASSWORD, address="203.0.113.9").status_code == 200


def test_the_unlock_command_refuses_an_unknown_user(dora):
    with pytest.raises(CommandError, match="no user 'nobody'"):
        call_command("unlock", "nobody", "--reason", "asked", "--system", stdout=io.StringIO())
    assert not AccountEvent.objects.exists()
    assert get_user_model().objects.filter(username="dora").exists()


def test_an_administrator_unlocks_by_command_and_is_recorded(api, dora, admin):
    fail(api, "dora")

    call_command("unlock", "dora", "--reason", "ticket 43", "--as", "ada", stdin=password_in(), stdout=io.StringIO())

    assert token(api, "dora", PASSWORD).status_code == 200
    [event] = AccountEvent.objects.filter(kind=AccountEvent.Kind.UNLOCKED)
    assert (event.user, event.actor, event.reason) == (dora, admin, "ticket 43")


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ((), "say who is acting"),
        (("--as", "dora"), "'dora' is not an administrator"),
        (("--as", "other-admin"), "no user 'dora'"),
    ],
)
def test_the_unlock_command_says_who_and_only_an_administrator_of_the_account_may(
    api, dora, more_kare, make_user, who, refusal
):
    make_user(Role.ADMINISTRATOR, more_kare, username="other-admin")
    fail(api, "dora")

    with pytest.raises(CommandError, match=refusal):
        call_command("unlock", "dora", "--reason", "asked", *who, stdin=password_in(), stdout=io.StringIO())

    assert not AccountEvent.objects.exists()
    assert token(api, "dora", PASSWORD).status_code == 403
