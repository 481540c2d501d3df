"""User names that cannot pass for one another: a name mixing alphabets, or looking like an existing
one (Cyrillic ``е`` for Latin ``e``, ``1`` for ``l``), is refused at creation with a field message;
names are stored NFKC-normalised."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.errors import Invalid
from core.roles import Role
from core.services import sites_for, user_create
from core.usernames import skeleton

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="ada")


def add(username: str, trial: str = "KARE"):
    return user_create(username=username, role=Role.MONITOR, sites=sites_for(trial=trial, sites=[]))


def refusal(username: str) -> list[str]:
    with pytest.raises(Invalid) as refused:
        add(username)
    return refused.value.fields["username"]


def test_a_name_mixing_cyrillic_and_latin_is_refused_through_the_api(as_user, admin):
    before = get_user_model().objects.count()

    response = as_user(admin).post("/api/users/", {"username": "p\u0435ter", "role": "monitor", "trial": "KARE"})

    assert response.status_code == 400
    assert "mixes alphabets" in response.json()["error"]["fields"]["username"][0]
    assert get_user_model().objects.count() == before


def test_a_name_in_another_alphabet_that_looks_like_an_existing_one_is_refused(kare):
    add("pepe")

    assert "looks too much like an existing one" in refusal("\u0440\u0435\u0440\u0435")[0]  # Cyrillic р, е


def test_a_digit_for_a_letter_is_a_look_alike(kare):
    add("carol")

    assert refusal("caro1")


def test_a_name_in_one_other_alphabet_is_allowed(kare):
    assert add("\u0438\u0440\u0438\u043d\u0430").username == "ирина"


def test_a_different_name_is_allowed(kare):
    add("carol")

    assert add("carl").username == "carl"


def test_names_are_stored_normalised(kare):
    assert add("\uff4d\uff41\uff52\uff59").username == "mary"  # full-width letters


def test_the_add_user_command_refuses_a_look_alike(kare):
    call_command("add_user", "pepe", "--role", "monitor", "--trial", "KARE", "--no-input", stdout=io.StringIO())

    with pytest.raises(CommandError, match="looks too much like"):
        call_command("add_user", "\u0440\u0435\u0440\u0435", "--role", "monitor", "--trial", "KARE", "--no-input")


@pytest.mark.parametrize(
    ("one", "other"),
    [("admin", "\u0430dmin"), ("carol", "CAROL"), ("dr.who", "dr.wh0"), ("molly", "rnolly"), ("Ian", "lan")],
)
def test_look_alikes_share_a_skeleton(one, other):
    assert skeleton(one) == skeleton(other)


@pytest.mark.parametrize(("one", "other"), [("carol", "carl"), ("jose", "josé"), ("ann", "anne")])
def test_different_names_have_different_skeletons(one, other):
    assert skeleton(one) != skeleton(other)
