"""A PostgreSQL database made as the containers make it, with an owner and an application role.

``owned_database`` (for the session) creates two roles and a database owned by the first, beside
the test database and named after it (``test_<name>_owner``, ...), so runs against different
``DATABASE_URL`` names do not meet. It then runs ``docker/entrypoint.sh migrate`` as compose's migrate service does: the
migrations as the owner, then ``grant_app_role``, which creates the application's role with the
password in ``DATABASE_URL``. Last, tests/core/app_role_writes.py writes through the services as
that role. Everything is dropped at the end, and any leftover of an interrupted run at the start.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = str(Path(sys.executable).parent)


@dataclass
class OwnedDatabase:
    """The server, the database and the two roles; ``url()`` and ``connect()`` as any of them."""

    host: str
    port: str
    admin: str  # the test's own (superuser) role, which made the others
    admin_password: str
    name: str
    restored: str  # the name for a copy restored from a backup
    owner: str
    app: str
    password: str  # the owner's and the application's
    migrated: subprocess.CompletedProcess
    writes: subprocess.CompletedProcess

    def url(self, role: str | None = None, database: str | None = None) -> str:
        role = role or self.app
        password = self.admin_password if role == self.admin else self.password
        secret = f":{quote(password, safe='')}" if password else ""
        return f"postgres://{role}{secret}@{self.host}:{self.port}/{database or self.name}"

    def connect(self, role: str | None = None, database: str | None = None, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url(role, database), **kwargs)

    def admin_execute(self, statement: sql.Composable) -> None:
        with self.connect(self.admin, "postgres", autocommit=True) as conn:
            conn.execute(statement)

    def env(self, **values: str) -> dict[str, str]:
        """An environment for a process of this project (see :func:`subprocess_env`)."""
        return subprocess_env(**values)

    def drop(self, *databases: str) -> None:
        for database in databases:
            self.admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def subprocess_env(**values: str) -> dict[str, str]:
    """This environment without the suite's services, this virtualenv's python first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    return {**env, **values}


def _production_env() -> dict[str, str]:
    """What production settings need to start; nothing here is contacted by a migration."""
    return {
        "DJANGO_SETTINGS_MODULE": "trialtracker.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "FIELD_ENCRYPTION_SALTS": secrets.token_urlsafe(16),
        "REDIS_URL": "redis://127.0.0.1:9/0",
    }


@pytest.fixture(scope="session")
def owned_database():
    settings = connection.settings_dict
    # Named as pytest-django names the test database, whether or not it has been made yet.
    base = settings["NAME"] if settings["NAME"].startswith("test_") else f"test_{settings['NAME']}"
    base = base[:40]
    db = OwnedDatabase(
        host=settings["HOST"] or "127.0.0.1",
        port=str(settings["PORT"] or 5432),
        admin=settings["USER"],
        admin_password=settings["PASSWORD"] or "",
        name=f"{base}_roles",
        restored=f"{base}_restored",
        owner=f"{base}_owner",
        app=f"{base}_app",
        password=secrets.token_urlsafe(16),
        migrated=None,
        writes=None,
    )

    def clean() -> None:
        db.drop(db.name, db.restored)
        for role in (db.app, db.owner):
            db.admin_execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))

    clean()
    try:
        # CREATEROLE: the migrate step creates the application's role, as in compose.
        db.admin_execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(db.owner), sql.Literal(db.password)
            )
        )
        db.admin_execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db.name), sql.Identifier(db.owner))
        )
        db.migrated = subprocess.run(
            ["bash", str(ROOT / "docker" / "entrypoint.sh"), "migrate"],
            env=subprocess_env(**_production_env(), DATABASE_URL=db.url(db.app), DATABASE_MIGRATE_URL=db.url(db.owner)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if db.migrated.returncode != 0:
            pytest.fail(
                f"docker/entrypoint.sh migrate failed:\n{db.migrated.stdout[-3000:]}{db.migrated.stderr[-3000:]}"
            )
        db.writes = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "core" / "app_role_writes.py")],
            env=subprocess_env(DJANGO_SETTINGS_MODULE="trialtracker.settings.test", DATABASE_URL=db.url(db.app)),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        yield db
    finally:
        clean()
