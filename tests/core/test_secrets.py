"""No install shares a secret with another, and debug mode is something a developer turns on.

The base settings once carried a fixed ``SECRET_KEY`` and identity salt: a participant's link forged
with them was accepted by an embedded-default install, and anyone with its database file could
derive the key that encrypts identities. Each install now makes its own on first run.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from trialtracker.settings.secrets import local_secret

ROOT = Path(__file__).resolve().parent.parent.parent

SHOW = """
import django, json
django.setup()
from django.conf import settings
from reminders import links
print(json.dumps({"key": settings.SECRET_KEY, "salts": settings.SALT_KEY, "debug": settings.DEBUG,
                  "link": links.page_url(7), "db": str(settings.DATABASES["default"]["NAME"])}))
"""

CHECK = """
import django, sys
django.setup()
from reminders import links
try:
    print(links.notification_id_from(sys.argv[1]))
except links.LinkInvalid:
    print("refused")
"""


def _install(var: Path, code: str, *args: str, **env: str) -> str:
    """Run ``code`` under the embedded default's settings with its files in ``var``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    environment.pop("FIELD_ENCRYPTION_SALTS", None)
    environment.update(DJANGO_SETTINGS_MODULE="trialtracker.settings.local", TRIALTRACKER_VAR_DIR=str(var), **env)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_local_secret_is_random_private_and_kept(tmp_path):
    first = local_secret(tmp_path / "a" / "secret_key")
    assert len(first) >= 60
    assert stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode) == 0o600
    assert local_secret(tmp_path / "a" / "secret_key") == first
    assert local_secret(tmp_path / "b" / "secret_key") != first


def test_two_embedded_installs_share_no_secret_and_refuse_each_others_links(tmp_path):
    one = json.loads(_install(tmp_path / "one", SHOW))
    two = json.loads(_install(tmp_path / "two", SHOW))
    assert one["key"] != two["key"]
    assert one["salts"] != two["salts"]
    token = one["link"].rstrip("/").rsplit("/", 1)[-1]
    assert _install(tmp_path / "one", CHECK, token) == "7"
    assert _install(tmp_path / "two", CHECK, token) == "refused"
    for name in ("secret_key", "identity_salt", "trialtracker.sqlite3"):
        assert stat.S_IMODE((tmp_path / "one" / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE((tmp_path / "one").stat().st_mode) == 0o700


def test_debug_is_off_unless_a_developer_turns_it_on(tmp_path):
    assert json.loads(_install(tmp_path, SHOW))["debug"] is False
    assert json.loads(_install(tmp_path, SHOW, DJANGO_DEBUG="true"))["debug"] is True


@pytest.mark.parametrize("key", ["", "short-key", "a" * 60])
def test_production_refuses_a_missing_short_or_repetitive_key(key):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="trialtracker.settings.production",
        DJANGO_SECRET_KEY=key,
        DJANGO_ALLOWED_HOSTS="trials.example.org",
        FIELD_ENCRYPTION_SALTS="a-salt",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode != 0
    assert "DJANGO_SECRET_KEY" in done.stderr
