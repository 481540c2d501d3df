"""API basics: token authentication, the one error shape, pagination, scoping by trial, schema and docs."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

from core.roles import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def assert_error_shape(response, status: int) -> dict:
    """The body is ``{"error": {"status", "code", "message", "fields"}}`` with ``status``; returns the error."""
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    return error


@pytest.fixture
def coordinator(kare, make_user):
    return make_user(Role.COORDINATOR, kare, username="carol", password=PASSWORD)


@pytest.fixture
def monitor(kare, make_user):
    """A role that sees no factor: a token needs only the password (tests/core/test_second_factor.py)."""
    return make_user(Role.MONITOR, kare, username="mona", password=PASSWORD)


# --- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/trials/", "/api/me/", "/api/users/", "/api/trials/KARE/"])
def test_unauthenticated_request_gets_401_in_the_error_shape(api, kare, path):
    error = assert_error_shape(api.get(path), 401)

    assert error["code"] == "not_authenticated"
    assert error["fields"] == {}


def test_401_names_the_token_scheme(api):
    assert api.get("/api/trials/")["WWW-Authenticate"] == "Token"


def test_token_exchange_gives_a_token(api, monitor):
    response = api.post("/api/auth/token/", {"username": "mona", "password": PASSWORD})

    assert response.status_code == 200
    assert re.fullmatch(r"[0-9a-f]{40}", response.json()["token"])


def test_token_authenticates_later_requests(api, monitor):
    token = api.post("/api/auth/token/", {"username": "mona", "password": PASSWORD}).json()["token"]

    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = fresh.get("/api/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "mona"


def test_unknown_token_gets_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert_error_shape(api.get("/api/me/"), 401)


def test_wrong_password_gets_400_in_the_error_shape(api, coordinator):
    response = api.post("/api/auth/token/", {"username": "carol", "password": "not-the-password"})

    error = assert_error_shape(response, 400)
    assert error["fields"] == {"non_field_errors": ["Unable to log in with the credentials given."]}


def test_wrong_password_and_unknown_user_get_the_same_answer(api, coordinator):
    wrong_password = api.post("/api/auth/token/", {"username": "carol", "password": "not-the-password"})
    unknown_user = api.post("/api/auth/token/", {"username": "nobody", "password": "not-the-password"})

    assert wrong_password.json() == unknown_user.json()
    assert "carol" not in wrong_password.content.decode()
    assert "not-the-password" not in wrong_password.content.decode()


def test_inactive_user_gets_no_token(api, coordinator):
    coordinator.is_active = False
    coordinator.save()

    assert_error_shape(api.post("/api/auth/token/", {"username": "carol", "password": PASSWORD}), 400)


def test_token_exchange_with_a_bad_body_names_each_field(api):
    error = assert_error_shape(api.post("/api/auth/token/", {}), 400)

    assert error["code"] == "invalid"
    assert error["fields"] == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


def test_malformed_json_gets_400_in_the_error_shape(api):
    response = api.post("/api/auth/token/", "{not json", content_type="application/json")

    assert assert_error_shape(response, 400)["code"] == "parse_error"


def test_method_not_allowed_is_405_in_the_error_shape(as_user, coordinator):
    assert_error_shape(as_user(coordinator).delete("/api/trials/"), 405)


def test_url_under_api_that_matches_nothing_is_404_in_the_error_shape(as_user, coordinator):
    error = assert_error_shape(as_user(coordinator).get("/api/users/not-a-number/memberships/"), 404)

    assert error["code"] == "not_found"


def test_url_outside_api_that_matches_nothing_is_a_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_null_character_in_a_query_parameter_is_400_naming_it(as_user, coordinator):
    error = assert_error_shape(as_user(coordinator).get("/api/trials/KARE/design/?version=1%00"), 400)

    assert error["fields"] == {"version": ["Null characters are not allowed."]}


def test_null_character_in_the_path_is_400(as_user, coordinator):
    error = assert_error_shape(as_user(coordinator).get("/api/trials/KA%00RE/"), 400)

    assert list(error["fields"]) == ["path"]


# --- lists and scoping --------------------------------------------------------------------------


def test_lists_are_paginated(as_user, kare, more_kare, make_user):
    user = make_user(Role.MONITOR, kare)
    from core.services import membership_grant, sites_for

    membership_grant(user=user, role=Role.MONITOR, sites=sites_for(trial="MORE-KARE", sites=[]))
    client = as_user(user)

    first = client.get("/api/trials/?page_size=1").json()
    second = client.get(first["next"]).json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert (first["count"], first["previous"], [t["code"] for t in first["results"]]) == (2, None, ["KARE"])
    assert (second["next"], [t["code"] for t in second["results"]]) == (None, ["MORE-KARE"])
    assert second["previous"] is not None


def test_list_shows_only_the_trials_of_the_caller(as_user, coordinator, more_kare):
    body = as_user(coordinator).get("/api/trials/").json()

    assert [trial["code"] for trial in body["results"]] == ["KARE"]
    assert body["count"] == 1


def test_page_out_of_range_is_404_in_the_error_shape(as_user, coordinator):
    assert_error_shape(as_user(coordinator).get("/api/trials/?page=9"), 404)


def test_another_trial_is_404_for_a_member_of_one_trial(as_user, coordinator, more_kare):
    error = assert_error_shape(as_user(coordinator).get("/api/trials/MORE-KARE/"), 404)

    assert error["code"] == "not_found"


def test_another_trial_answers_like_one_that_does_not_exist(as_user, coordinator, more_kare):
    client = as_user(coordinator)

    hidden = client.get("/api/trials/MORE-KARE/").json()["error"]
    missing = client.get("/api/trials/NO-SUCH/").json()["error"]

    assert {k: v for k, v in hidden.items() if k != "message"} == {k: v for k, v in missing.items() if k != "message"}
    assert hidden["message"].replace("MORE-KARE", "X") == missing["message"].replace("NO-SUCH", "X")


# --- schema and docs ------------------------------------------------------------------------------


def test_schema_renders_as_openapi(api):
    response = api.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/auth/token/", "/api/trials/", "/api/trials/{code}/", "/api/users/"} <= set(schema["paths"])


def test_schema_documents_the_error_shape_on_every_operation(api):
    schema = api.get("/api/schema/?format=json").json()

    operations = [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert operations
    for operation in operations:
        assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }


def test_schema_shows_pages_only_on_reads(api):
    schema = api.get("/api/schema/?format=json").json()

    writes = [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch")
    ]
    assert any(label == "PUT /api/participants/{study_id}/drinking-days/" for label, _ in writes)
    for label, operation in writes:
        assert not {"page", "page_size"} & {p["name"] for p in operation.get("parameters", [])}, label
        for answer in operation["responses"].values():
            for content in answer.get("content", {}).values():
                assert not content["schema"].get("$ref", "").startswith("#/components/schemas/Paginated"), label


def test_docs_page_renders(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert "swagger-ui" in response.content.decode()


def test_docs_page_loads_its_assets_from_this_server(api):
    page = api.get("/api/docs/").content.decode()

    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)
    assert any("drf_spectacular_sidecar" in asset for asset in assets)
    assert not [asset for asset in assets if re.match(r"(?:https?:)?//", asset)]
    assert "cdn.jsdelivr.net" not in page


def test_docs_page_assets_are_installed(api, settings):
    page = api.get("/api/docs/").content.decode()

    assets = re.findall(rf"""(?:src|href)=["']{re.escape(settings.STATIC_URL)}([^"']+)["']""", page)
    assert assets
    assert [asset for asset in assets if finders.find(asset) is None] == []
