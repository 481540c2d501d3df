"""The backup and restore of docs/operations.md, run as written, bring back the data and the audit trail.

The block marked in docs/operations.md is run with bash (``pg_dump`` in custom format,
``pg_restore`` into a new database, ``grant_app_role``) on the database of ``owned_database``
(tests/core/conftest.py), which the services have written to as the application's role. Every
table of the two databases is then compared row by row, the event tables and ``pghistory_context``
among them, and the restored database must still refuse to rewrite its audit trail.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- backup and restore: tests/core/test_backup.py runs this block -->"


def documented_commands() -> str:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    block = re.search(re.escape(MARKER) + r"\n```sh\n(.*?)\n```", text, re.S)
    assert block, f"docs/operations.md has no sh block after {MARKER}"
    return block[1]


@pytest.fixture(scope="module")
def restored(owned_database, tmp_path_factory):
    """``owned_database`` backed up and restored by the documented commands: the restored database's name."""
    db = owned_database
    db.drop(db.restored)
    db.admin_execute(
        sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db.restored), sql.Identifier(db.owner))
    )
    backup = Path(tmp_path_factory.mktemp("backup")) / "trialtracker.dump"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", documented_commands()],
        env=db.env(
            DJANGO_SETTINGS_MODULE="trialtracker.settings.test",
            DATABASE_MIGRATE_URL=db.url(db.owner),
            RESTORE_URL=db.url(db.owner, db.restored),
            APP_ROLE=db.app,
            BACKUP=str(backup),
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert backup.stat().st_size > 0
    yield db.restored
    db.drop(db.restored)


def _rows(db, database: str) -> dict[str, list[str]]:
    """Every row of every table of the public schema, as sorted JSON text."""
    with db.connect(db.owner, database) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {
            table: sorted(
                row
                for (row,) in conn.execute(
                    sql.SQL("SELECT to_jsonb(t)::text FROM {} t").format(sql.Identifier("public", table))
                )
            )
            for table in tables
        }


def _triggers(db, database: str) -> list[tuple[str, str, bool]]:
    with db.connect(db.owner, database) as conn:
        return conn.execute(
            "SELECT tgrelid::regclass::text, tgname, tgenabled = 'O' FROM pg_trigger"
            " WHERE NOT tgisinternal ORDER BY 1, 2"
        ).fetchall()


def test_the_restored_database_holds_every_row_of_every_table(owned_database, restored):
    source = _rows(owned_database, owned_database.name)
    copy = _rows(owned_database, restored)
    assert copy == source
    # Not a comparison of empty tables: the services' writes and their audit trail are there.
    assert source["participants_participant"]
    assert source["participants_participantevent"]
    assert source["trialtracker_sitemembershipevent"]
    assert len(source["pghistory_context"]) > 1


def test_the_restored_database_has_the_same_triggers_all_enabled(owned_database, restored):
    triggers = _triggers(owned_database, restored)
    assert triggers == _triggers(owned_database, owned_database.name)
    assert any(name.startswith("pgtrigger_append_only") for _, name, _ in triggers)
    assert all(enabled for _, _, enabled in triggers)


def test_the_restored_event_tables_refuse_an_update_even_by_the_owner(owned_database, restored):
    with (
        owned_database.connect(owned_database.owner, restored) as conn,
        pytest.raises(psycopg.errors.RaiseException, match="Cannot update or delete rows"),
    ):
        conn.execute("UPDATE participants_participantevent SET pgh_label = 'rewritten'")


def test_the_application_role_is_granted_again_in_the_restored_database(owned_database, restored):
    with owned_database.connect(owned_database.app, restored) as conn:
        assert conn.execute("SELECT count(*) FROM participants_participantevent").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM participants_participantevent")
