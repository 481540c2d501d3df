"""Hostile input is refused with a 4xx in the error shape, never answered with a 500.

Found against the running system: 50,000 nested brackets on the token endpoint exhausted the JSON
decoder's stack, and an id of 10**30 overflowed the database's id columns.
"""

from __future__ import annotations

import pytest

from core.parsers import MAX_DEPTH, nesting_depth

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 50_000])
def test_deeply_nested_json_is_a_400_on_the_token_endpoint(api, depth):
    response = api.post("/api/auth/token/", _nested(depth), content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]["message"]


def test_deeply_nested_json_is_a_400_for_a_signed_in_user(kare, make_user, as_user):
    body = '{"reason": ' + _nested(50_000) + "}"
    response = as_user(make_user("data_manager", kare)).post(
        "/api/trials/KARE/locks/", body, content_type="application/json"
    )
    assert response.status_code == 400


def test_json_as_deep_as_the_limit_is_read(api):
    # Read, then refused as a body of the wrong shape: the parser let it through.
    response = api.post("/api/auth/token/", _nested(MAX_DEPTH), content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" not in response.json()["error"]["message"]


def test_brackets_inside_strings_are_not_nesting():
    assert nesting_depth(b'{"a": "[[[[[[", "b": "\\"[[[["}') == 1
    assert nesting_depth(b'[{"a": [1, {"b": []}]}]') == 5


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/screenings/{id}/"),
        ("post", "/api/appointments/{id}/visit/"),
        ("get", "/api/adverse-events/{id}/"),
        ("post", "/api/locks/{id}/unlock/"),
        ("post", "/api/users/{id}/memberships/"),
        ("get", "/api/trials/KARE/versions/{id}/"),
    ],
)
@pytest.mark.parametrize("number", [10**18, 10**30, 2**63])
def test_an_id_beyond_the_databases_range_is_a_404(kare, make_user, as_user, method, path, number):
    client = as_user(make_user("administrator", kare))
    response = getattr(client, method)(path.format(id=number), {}, format="json")
    assert response.status_code == 404, response.content
