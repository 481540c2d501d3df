"""``manage.py start_trial``: a new installation's database, trial and first administrator in one step."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from core import permissions
from core.roles import Role
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db

KARE = str(ROOT / "protocols" / "kare.yaml")


def test_it_loads_the_trial_and_adds_its_administrator_at_every_site():
    out = io.StringIO()
    call_command("start_trial", KARE, "--admin", "ada", stdin=io.StringIO("a-long-first-password\n"), stdout=out)
    ada = get_user_model().objects.get(username="ada")
    assert ada.check_password("a-long-first-password")
    held = {(m.site.code, m.role_id) for m in permissions.memberships(ada)}
    assert held == {("exeter", Role.ADMINISTRATOR.value), ("london", Role.ADMINISTRATOR.value)}
    assert "KARE: loaded" in out.getvalue()
    assert "open http://localhost:8000/ to sign in as ada" in out.getvalue()


def test_without_a_password_it_prints_a_set_password_link():
    out = io.StringIO()
    call_command("start_trial", KARE, "--admin", "ada", stdin=None, stdout=out)
    assert "one-time link to set the password: http://localhost:8000/accounts/reset/" in out.getvalue()
    assert not get_user_model().objects.get(username="ada").has_usable_password()


def test_a_second_run_for_the_same_administrator_is_refused_and_changes_nothing():
    call_command(
        "start_trial", KARE, "--admin", "ada", stdin=io.StringIO("a-long-first-password\n"), stdout=io.StringIO()
    )
    with pytest.raises(CommandError, match="ada already exists"):
        call_command("start_trial", KARE, "--admin", "ADA", stdin=io.StringIO("other\n"), stdout=io.StringIO())
    assert get_user_model().objects.get(username="ada").check_password("a-long-first-password")


def test_a_protocol_that_does_not_load_is_named_and_no_one_is_added(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("trial: {code: X}\n")
    with pytest.raises(CommandError, match=r"sites|factors|title"):
        call_command("start_trial", str(bad), "--admin", "ada", stdin=io.StringIO("pw\n"), stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="ada").exists()
