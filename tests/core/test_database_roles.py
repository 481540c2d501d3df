"""The application's PostgreSQL role: the services work through it, and it cannot touch the audit trail.

The database is made as the containers make it (tests/core/conftest.py): ``docker/entrypoint.sh
migrate`` applies the migrations as the owner and runs ``grant_app_role``
(:mod:`trialtracker.privileges`). Connected as the application's role, altering a table, dropping or
disabling a trigger, changing an event table or an audit context, and every way round them that a
session has (a temporary table in front of an event table, pgtrigger's ignore setting, replication
mode) are refused with PostgreSQL's "insufficient privilege": refused by the grants, not only by the
append-only triggers.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from core.errors import Conflict, Invalid
from trialtracker.privileges import app_role_grant

pytestmark = pytest.mark.postgres

REFUSED = {
    "alter-table": "ALTER TABLE trials_site ADD COLUMN note text",
    "drop-trigger": "DROP TRIGGER {trigger} ON trials_site",
    "disable-trigger": "ALTER TABLE trials_site DISABLE TRIGGER {trigger}",
    "disable-append-only": "ALTER TABLE trials_siteevent DISABLE TRIGGER USER",
    "replace-trigger-function": "CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS uuid"
    " AS 'SELECT NULL::uuid' LANGUAGE sql",
    "update-event": "UPDATE trials_siteevent SET name = 'rewritten'",
    "delete-event": "DELETE FROM trials_siteevent",
    "truncate-event": "TRUNCATE trials_siteevent",  # row triggers do not see a TRUNCATE
    "delete-context": "DELETE FROM pghistory_context",
    "backdate-context": "UPDATE pghistory_context SET created_at = created_at - interval '1 year'",
    "truncate-data": "TRUNCATE trials_site CASCADE",
    "create-table": "CREATE TABLE trials_shadow (id int)",
    # Inside its session, a temporary table comes first in the search path: the triggers would write there.
    "temporary-event-table": "CREATE TEMPORARY TABLE trials_siteevent (LIKE public.trials_siteevent INCLUDING ALL)",
    "replication-mode": "SET session_replication_role = replica",  # which fires no trigger
    "fake-migration": "INSERT INTO django_migrations (app, name, applied) VALUES ('trials', '9999_fake', now())",
}


def _site_triggers(db) -> list[str]:
    with db.connect(db.owner) as conn:
        rows = conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'trials_site'::regclass AND NOT tgisinternal ORDER BY 1"
        ).fetchall()
    return [name for (name,) in rows]


def _count(conn, table: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]


def _acls(db) -> list[tuple]:
    """Every access list of the database, its schema, its tables and sequences, and default privileges."""
    with db.connect(db.owner) as conn:
        return conn.execute(
            "SELECT 'database', datname, datacl::text FROM pg_database WHERE datname = current_database()"
            " UNION ALL SELECT 'schema', nspname, nspacl::text FROM pg_namespace WHERE nspname = 'public'"
            " UNION ALL SELECT 'relation', c.relname, c.relacl::text FROM pg_class c"
            "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S')"
            " UNION ALL SELECT 'column', attrelid::regclass::text || '.' || attname, attacl::text FROM pg_attribute"
            "  WHERE attacl IS NOT NULL"
            " UNION ALL SELECT 'default', defaclobjtype::text, defaclacl::text FROM pg_default_acl"
            " ORDER BY 1, 2"
        ).fetchall()


def test_the_services_write_through_the_application_role(owned_database):
    db = owned_database
    assert db.writes.returncode == 0, db.writes.stdout[-2000:] + db.writes.stderr[-3000:]
    with db.connect(db.owner) as conn:
        labels = dict(
            conn.execute(
                "SELECT e.pgh_label, c.metadata->>'username' FROM trialtracker_sitemembershipevent e"
                " JOIN pghistory_context c ON c.id = e.pgh_context_id WHERE e.pgh_label = 'delete'"
            ).fetchall()
        )
        assert labels == {"delete": "investigator"}  # the revoked role, and who revoked it
        assert _count(conn, "participants_screeningevent") == 1
        updated = conn.execute("SELECT count(*) FROM participants_participantevent WHERE pgh_label = 'update'")
        assert updated.fetchone()[0] >= 1  # the baseline


@pytest.mark.parametrize("statement", REFUSED.values(), ids=REFUSED.keys())
def test_the_application_role_is_refused(owned_database, statement):
    db = owned_database
    trigger = _site_triggers(db)[0]
    with db.connect() as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement.format(trigger=trigger))


def test_the_application_role_cannot_skip_the_audit_triggers(owned_database):
    """pgtrigger skips the triggers a session names in pgtrigger.ignore: for the owner only."""
    db = owned_database
    names = "{" + ",".join(_site_triggers(db)) + "}"
    with db.connect() as conn, conn.transaction(force_rollback=True):
        before = _count(conn, "trials_siteevent")
        conn.execute("SELECT set_config('pgtrigger.ignore', %s, true)", [names])
        conn.execute("UPDATE trials_site SET name = name || ' (renamed)'")
        assert _count(conn, "trials_siteevent") > before


def test_the_application_role_reads_the_audit_trail(owned_database):
    with owned_database.connect() as conn:
        assert _count(conn, "trials_siteevent") > 0
        assert _count(conn, "pghistory_context") > 0


def test_a_table_made_by_a_later_migration_is_append_only_until_granted(owned_database):
    db = owned_database
    with db.connect(db.owner, autocommit=True) as owner:
        owner.execute("CREATE TABLE trials_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)")
        try:
            with db.connect(autocommit=True) as app:
                app.execute("INSERT INTO trials_later (note) VALUES ('appended')")
                assert _count(app, "trials_later") == 1
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute("UPDATE trials_later SET note = 'changed'")
        finally:
            owner.execute("DROP TABLE trials_later")


def test_granting_again_takes_back_a_stray_grant_and_changes_nothing_else(owned_database):
    db = owned_database
    before = _acls(db)
    with db.connect(db.owner) as conn, conn.transaction():
        conn.execute(sql.SQL("GRANT UPDATE ON trials_siteevent TO {}").format(sql.Identifier(db.app)))
        app_role_grant(conn, role=db.app)
    assert _acls(db) == before


def test_the_owner_cannot_be_the_application_role(owned_database):
    db = owned_database
    with db.connect(db.owner) as conn, pytest.raises(Invalid, match="owns the tables"):
        app_role_grant(conn, role=db.owner)


def test_a_superuser_cannot_be_the_application_role(owned_database):
    db = owned_database
    with db.connect(db.owner) as conn, pytest.raises(Conflict, match="superuser"):
        app_role_grant(conn, role=db.admin)


def test_tables_the_owner_does_not_own_are_refused(owned_database):
    """They mean the migrations ran as someone else, whose tables the grants would not reach."""
    db = owned_database
    with db.connect(db.admin, autocommit=True) as admin:
        admin.execute("CREATE TABLE trials_stray (id int)")
        try:
            with db.connect(db.owner) as conn, pytest.raises(Conflict, match="not owned by"):
                app_role_grant(conn, role=db.app)
        finally:
            admin.execute("DROP TABLE trials_stray")
