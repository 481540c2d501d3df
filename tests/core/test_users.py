"""People and their roles: the ``add_user`` command, one-time set-password links, the users API, roles by migration."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from core.models import RoleDefinition, SiteMembership
from core.roles import ROLE_SPECS, Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def add_user(*args, password: str | None = PASSWORD) -> str:
    """Run ``add_user`` with ``password`` piped in (none: an empty stdin); returns what it printed."""
    out = io.StringIO()
    stdin = io.StringIO(f"{password}\n" if password is not None else "")
    call_command("add_user", *args, stdin=stdin, stdout=out)
    return out.getvalue()


def memberships(username: str) -> set[tuple[str, str, str]]:
    return {
        (m.site.trial.code, m.site.code, m.role_id)
        for m in SiteMembership.objects.filter(user__username=username).select_related("site__trial")
    }


def written() -> tuple[int, int]:
    return get_user_model().objects.count(), SiteMembership.objects.count()


def reset_path(output: str) -> str:
    [link] = re.findall(r"\S+/accounts/reset/\S+", output)
    return urlsplit(link).path


# --- add_user ------------------------------------------------------------------------------------


def test_add_user_with_a_trial_gives_the_role_at_every_site(kare):
    add_user("alice", "--role", "coordinator", "--trial", "KARE")

    assert memberships("alice") == {("KARE", "exeter", "coordinator"), ("KARE", "london", "coordinator")}


def test_add_user_sets_the_password_read_from_stdin(kare):
    output = add_user("alice", "--role", "coordinator", "--trial", "KARE")

    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)
    assert "/accounts/reset/" not in output


def test_add_user_with_sites_gives_the_role_at_those_sites_only(kare):
    add_user("alice", "--role", "pharmacist", "--trial", "KARE", "--site", "london")

    assert memberships("alice") == {("KARE", "london", "pharmacist")}


def test_add_user_with_a_site_unique_across_trials_needs_no_trial(kare):
    add_user("alice", "--role", "therapist", "--site", "exeter")

    assert memberships("alice") == {("KARE", "exeter", "therapist")}


def test_add_user_with_a_site_code_in_several_trials_is_refused(kare, more_kare):
    with pytest.raises(CommandError, match="several trials"):
        add_user("alice", "--role", "therapist", "--site", "exeter")

    assert written() == (0, 0)


def test_add_user_stores_the_details_given(kare):
    add_user("alice", "--role", "monitor", "--trial", "KARE", "--email", "alice@example.org", "--first-name", "Alice")

    user = get_user_model().objects.get(username="alice")
    assert (user.email, user.first_name) == ("alice@example.org", "Alice")


def test_add_user_without_a_password_prints_a_set_password_link(kare):
    output = add_user("alice", "--role", "coordinator", "--trial", "KARE", password=None)

    assert reset_path(output).startswith("/accounts/reset/")
    assert not get_user_model().objects.get(username="alice").has_usable_password()


def test_add_user_with_no_input_ignores_stdin(kare):
    output = add_user("alice", "--role", "coordinator", "--trial", "KARE", "--no-input")

    assert reset_path(output)
    assert not get_user_model().objects.get(username="alice").has_usable_password()


def test_set_password_link_leads_to_the_set_password_form(client, kare):
    path = reset_path(add_user("alice", "--role", "coordinator", "--trial", "KARE", password=None))

    response = client.get(path, follow=True)

    assert response.status_code == 200
    assert response.context["validlink"] is True
    assert "new_password1" in response.content.decode()


def test_set_password_link_sets_the_password(client, kare):
    path = reset_path(add_user("alice", "--role", "coordinator", "--trial", "KARE", password=None))
    form = client.get(path, follow=True).redirect_chain[-1][0]

    response = client.post(form, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.status_code == 302
    assert get_user_model().objects.get(username="alice").check_password(PASSWORD)


def test_set_password_link_works_only_once(client, kare):
    path = reset_path(add_user("alice", "--role", "coordinator", "--trial", "KARE", password=None))
    form = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    client.logout()

    response = client.get(path, follow=True)

    assert response.context["validlink"] is False
    assert "new_password1" not in response.content.decode()


def test_add_user_with_an_unknown_role_is_refused(kare):
    with pytest.raises(CommandError, match="invalid choice: 'janitor'"):
        add_user("alice", "--role", "janitor", "--trial", "KARE")

    assert written() == (0, 0)


def test_add_user_with_an_unknown_site_is_refused(kare):
    with pytest.raises(CommandError, match="Unknown site 'paris' in KARE"):
        add_user("alice", "--role", "coordinator", "--trial", "KARE", "--site", "exeter", "--site", "paris")

    assert written() == (0, 0)


def test_add_user_with_an_unknown_trial_is_refused(kare):
    with pytest.raises(CommandError, match="unknown trial 'NOPE'"):
        add_user("alice", "--role", "coordinator", "--trial", "NOPE")

    assert written() == (0, 0)


def test_add_user_without_a_trial_or_site_is_refused(kare):
    with pytest.raises(CommandError, match="name a trial or at least one site"):
        add_user("alice", "--role", "coordinator")

    assert written() == (0, 0)


def test_add_user_with_a_taken_username_is_refused(kare):
    add_user("alice", "--role", "coordinator", "--trial", "KARE")
    before = written()

    with pytest.raises(CommandError, match="taken"):
        add_user("Alice", "--role", "monitor", "--trial", "KARE")

    assert written() == before
    assert memberships("alice") == {("KARE", "exeter", "coordinator"), ("KARE", "london", "coordinator")}


@pytest.mark.parametrize("weak", ["password", "12345678901", "short1!"], ids=["common", "numeric", "short"])
def test_add_user_with_a_weak_password_is_refused(kare, weak):
    with pytest.raises(CommandError, match="the password is too weak"):
        add_user("alice", "--role", "coordinator", "--trial", "KARE", password=weak)

    assert written() == (0, 0)


def test_add_user_as_an_unknown_actor_is_refused(kare):
    with pytest.raises(CommandError, match="'ghost' is not an active user with that password"):
        add_user("alice", "--role", "coordinator", "--trial", "KARE", "--as", "ghost")

    assert written() == (0, 0)


# --- the users API --------------------------------------------------------------------------------


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="admin")


@pytest.fixture
def coordinator(kare, make_user):
    return make_user(Role.COORDINATOR, kare, username="carol")


def test_administrator_lists_people_with_their_roles(as_user, admin, coordinator):
    body = as_user(admin).get("/api/users/").json()

    assert body["count"] == 2
    carol = next(user for user in body["results"] if user["username"] == "carol")
    assert {(m["trial"], m["site"], m["role"]) for m in carol["memberships"]} == {
        ("KARE", "exeter", "coordinator"),
        ("KARE", "london", "coordinator"),
    }


def test_coordinator_may_not_list_people(as_user, coordinator):
    response = as_user(coordinator).get("/api/users/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_coordinator_may_not_add_people(as_user, coordinator):
    before = written()

    response = as_user(coordinator).post("/api/users/", {"username": "eve", "role": "administrator", "trial": "KARE"})

    assert response.status_code == 403
    assert written() == before


def test_administrator_adds_a_person_with_memberships(as_user, admin):
    response = as_user(admin).post(
        "/api/users/",
        {"username": "dave", "password": PASSWORD, "role": "investigator", "trial": "KARE", "sites": ["london"]},
    )

    assert response.status_code == 201
    assert response.json()["memberships"] == [{"trial": "KARE", "site": "london", "role": "investigator"}]
    assert response.json()["set_password_link"] is None
    assert memberships("dave") == {("KARE", "london", "investigator")}
    assert get_user_model().objects.get(username="dave").check_password(PASSWORD)


def test_person_added_without_a_password_gets_a_set_password_link(as_user, admin):
    response = as_user(admin).post("/api/users/", {"username": "dave", "role": "monitor", "trial": "KARE"})

    assert response.status_code == 201
    assert "/accounts/reset/" in response.json()["set_password_link"]
    assert memberships("dave") == {("KARE", "exeter", "monitor"), ("KARE", "london", "monitor")}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "dave", "role": "janitor", "trial": "KARE"}, "role"),
        ({"username": "dave", "role": "monitor", "trial": "KARE", "sites": ["paris"]}, "site"),
        ({"username": "dave", "role": "monitor", "trial": "NOPE"}, "trial"),
        ({"username": "dave", "role": "monitor", "trial": "KARE", "password": "password"}, "password"),
        ({"username": "dave", "role": "monitor", "trial": "KARE", "email": "not-an-email"}, "email"),
        ({"role": "monitor", "trial": "KARE"}, "username"),
        ({"username": "bad name!", "role": "monitor", "trial": "KARE"}, "username"),
    ],
    ids=["unknown_role", "unknown_site", "unknown_trial", "weak_password", "bad_email", "no_username", "bad_username"],
)
def test_bad_input_is_400_naming_the_field_and_writes_nothing(as_user, admin, body, field):
    before = written()

    response = as_user(admin).post("/api/users/", body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"][field]
    assert written() == before


def test_taken_username_is_409_and_writes_nothing(as_user, admin, coordinator):
    before = written()

    response = as_user(admin).post("/api/users/", {"username": "CAROL", "role": "monitor", "trial": "KARE"})

    assert response.status_code == 409
    assert written() == before


def test_administrator_grants_a_further_role(as_user, admin, coordinator):
    response = as_user(admin).post(
        f"/api/users/{coordinator.pk}/memberships/", {"role": "investigator", "trial": "KARE", "sites": ["exeter"]}
    )

    assert response.status_code == 200
    assert ("KARE", "exeter", "investigator") in memberships("carol")


def test_granting_a_role_to_an_unknown_person_is_404(as_user, admin):
    response = as_user(admin).post("/api/users/999999/memberships/", {"role": "monitor", "trial": "KARE"})

    assert response.status_code == 404


def test_me_gives_the_callers_roles(as_user, coordinator):
    body = as_user(coordinator).get("/api/me/").json()

    assert body["username"] == "carol"
    assert {m["role"] for m in body["memberships"]} == {"coordinator"}


# --- roles ----------------------------------------------------------------------------------------


def test_roles_in_the_database_are_the_declared_roles():
    assert set(RoleDefinition.objects.values_list("code", flat=True)) == {role.value for role in Role}


def test_role_rows_carry_the_declared_titles_and_flags():
    stored = {r.code: (r.title, r.description, r.read_only) for r in RoleDefinition.objects.all()}

    assert stored == {str(spec.code): (spec.title, spec.description, spec.read_only) for spec in ROLE_SPECS}


def test_add_user_as_someone_reads_their_password_first_then_the_new_ones(kare, make_user):
    admin = make_user("administrator", kare, username="root-admin")
    out = io.StringIO()
    stdin = io.StringIO(f"{PASSWORD}\nanother-long-password-9\n")
    call_command(
        "add_user", "alice", "--role", "coordinator", "--trial", "KARE", "--as", admin.username, stdin=stdin, stdout=out
    )
    alice = get_user_model().objects.get(username="alice")
    assert alice.check_password("another-long-password-9")
