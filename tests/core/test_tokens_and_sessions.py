"""API tokens and web sessions that end: a token expires after ``API_TOKEN_HOURS``, dies with a password
change, is revoked by its owner (``DELETE``) or by an administrator of their trials (listed, with a
reason, recorded); a session ends after ``SESSION_IDLE_MINUTES`` idle and ``SESSION_MAX_HOURS`` in all."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from core.models import AccountEvent, ApiToken
from core.roles import Role
from tests.core.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora(kare, make_user):
    return make_user(Role.DATA_MANAGER, kare, username="dora")


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="ada")


def new_token(username: str = "dora") -> str:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def later(**delta) -> time_machine.travel:
    return time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(**delta))


# --- expiry --------------------------------------------------------------------------------------


def test_a_token_works_until_it_expires(dora, settings):
    key = new_token()

    with later(hours=settings.API_TOKEN_HOURS, minutes=-1):
        assert with_token(key).get("/api/me/").status_code == 200


def test_a_token_is_refused_once_it_has_expired(dora, settings):
    key = new_token()

    with later(hours=settings.API_TOKEN_HOURS, minutes=1):
        response = with_token(key).get("/api/me/")

    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


def test_the_lifetime_is_a_setting(dora, settings):
    settings.API_TOKEN_HOURS = 1
    key = new_token()

    with later(minutes=61):
        assert with_token(key).get("/api/me/").status_code == 401


def test_the_token_answer_says_when_it_ends(api, dora, settings):
    before = dt.datetime.now(dt.UTC)

    body = api.post("/api/auth/token/", {"username": "dora", "password": PASSWORD}).json()

    ends = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(0) <= ends - (before + dt.timedelta(hours=settings.API_TOKEN_HOURS)) < dt.timedelta(minutes=1)


def test_each_request_gives_a_new_token(dora):
    assert new_token() != new_token()


def test_only_a_digest_of_the_key_is_stored(dora):
    key = new_token()

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM trialtracker_apitoken")
        rows = cursor.fetchall()
    assert rows
    assert not [value for row in rows for value in row if isinstance(value, str) and key in value]


# --- revocation -----------------------------------------------------------------------------------


def test_a_password_change_ends_every_token(dora):
    keys = [new_token(), new_token()]
    dora.set_password("a-new-Battery-staple-7")
    dora.save()

    answers = [with_token(key).get("/api/me/") for key in keys]

    assert [a.status_code for a in answers] == [401, 401]
    assert "password changed" in answers[0].json()["error"]["message"]


def test_delete_revokes_the_token_the_request_carries(dora):
    key, other = new_token(), new_token()

    assert with_token(key).delete("/api/auth/token/").status_code == 204

    assert with_token(key).get("/api/me/").status_code == 401
    assert with_token(other).get("/api/me/").status_code == 200


def test_delete_without_a_token_is_refused(as_user, dora):
    assert as_user(dora).delete("/api/auth/token/").status_code == 409


def test_delete_without_authentication_is_401(api):
    assert api.delete("/api/auth/token/").status_code == 401


def test_an_administrator_lists_the_tokens_in_use_in_their_trials(as_user, dora, admin, more_kare, make_user):
    new_token()
    revoked = new_token()
    with_token(revoked).delete("/api/auth/token/")
    make_user(Role.DATA_MANAGER, more_kare, username="otto")
    new_token("otto")

    body = as_user(admin).get("/api/tokens/").json()

    assert [(t["username"], t["second_factor"]) for t in body["results"]] == [("dora", False)]
    assert body["count"] == 1


def test_an_administrator_revokes_someones_token_with_a_reason(as_user, dora, admin):
    key = new_token()
    token_id = ApiToken.objects.get(user=dora).pk

    response = as_user(admin).post(f"/api/tokens/{token_id}/revoke/", {"reason": "laptop stolen"})

    assert response.status_code == 200
    assert response.json()["revoke_reason"] == "laptop stolen"
    assert with_token(key).get("/api/me/").status_code == 401
    [event] = AccountEvent.objects.filter(kind=AccountEvent.Kind.TOKEN_REVOKED)
    assert (event.user, event.actor, event.reason) == (dora, admin, "laptop stolen")


def test_revoking_needs_a_reason(as_user, dora, admin):
    key = new_token()

    response = as_user(admin).post(f"/api/tokens/{ApiToken.objects.get().pk}/revoke/", {"reason": ""})

    assert response.status_code == 400
    assert with_token(key).get("/api/me/").status_code == 200


def test_an_administrator_of_another_trial_cannot_see_or_revoke(as_user, dora, more_kare, make_user):
    key = new_token()
    other = make_user(Role.ADMINISTRATOR, more_kare)
    client = as_user(other)

    assert client.get("/api/tokens/").json()["count"] == 0
    assert client.post(f"/api/tokens/{ApiToken.objects.get().pk}/revoke/", {"reason": "x"}).status_code == 404
    assert with_token(key).get("/api/me/").status_code == 200


def test_only_administrators_list_tokens(as_user, dora):
    assert as_user(dora).get("/api/tokens/").status_code == 403


# --- sessions --------------------------------------------------------------------------------------


def signed_in_client(client):
    assert client.post("/accounts/login/", {"username": "dora", "password": PASSWORD}).status_code == 302
    return client


def test_a_session_ends_after_the_idle_time(client, dora, settings):
    signed_in_client(client)

    with later(minutes=settings.SESSION_IDLE_MINUTES + 1):
        assert client.get("/api/me/").status_code in (401, 403)


def test_activity_keeps_a_session_open(client, dora, settings):
    signed_in_client(client)

    for step in range(1, 5):
        with later(minutes=step * (settings.SESSION_IDLE_MINUTES - 5)):
            assert client.get("/api/me/").status_code == 200


def test_a_session_ends_after_its_whole_lifetime_however_active(client, dora, settings):
    settings.SESSION_MAX_HOURS = 1
    signed_in_client(client)
    answers = []

    for step in range(1, 5):
        with later(minutes=step * 20):
            answers.append(client.get("/api/me/").status_code)

    assert answers[:2] == [200, 200]
    assert answers[-1] in (401, 403)
