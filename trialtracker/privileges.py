"""The application's PostgreSQL role: it reads and writes the data, appends to the audit trail, no more.

Migrations run as the role that owns the schema and its tables (the owner). The web, worker and beat
processes connect as another role, which :func:`app_role_grant` (run by the owner after every
migration: ``manage.py grant_app_role``) allows exactly this, in the ``public`` schema:

- CONNECT to the database and USAGE of the schema; no CREATE in either, and no TEMPORARY tables,
  because a temporary table named like an event table would take the audit triggers' rows for the
  session that made it;
- SELECT, INSERT, UPDATE and DELETE on the data tables, and SELECT only on ``django_migrations``;
- SELECT and INSERT on every event table (the audit trail: ``*event``, any table with pghistory's
  ``pgh_created_at`` column);
- SELECT, INSERT, and UPDATE of ``metadata`` and ``updated_at`` only, on ``pghistory_context``:
  pghistory's ``_pgh_attach_context()`` upserts the context of a request or a task as its metadata
  grows (``INSERT ... ON CONFLICT (id) DO UPDATE``); it never deletes one;
- USAGE of the sequences.

Not owning them, it cannot ALTER, DROP or TRUNCATE a table, nor drop, disable or replace a trigger
or a function. Tables made by later migrations get SELECT and INSERT only (default privileges) until
the next run adds UPDATE and DELETE to the data tables among them: a new event table is append-only
for the application from the moment it exists.

django-pgtrigger lets any session skip named triggers by setting ``pgtrigger.ignore``. Its
``_pgtrigger_should_ignore()`` is replaced here by one that honours that setting for the owner (and
superusers) only, so the application cannot switch the audit triggers off for itself. A migration
that installs a trigger puts pgtrigger's own version back: one more reason to run this after every
migration, as the container's ``migrate`` role does.

The application still writes the context's metadata (who and why) itself: the database records what
it is told, and a process that holds the application's password can say it is anyone. The UPDATE of
``metadata`` that pghistory needs is not confined to the running request's context, but an owner's
trigger (core's migration 0006) lets it add keys only: the attribution of an existing context cannot
be rewritten (nor an event, its values or its time).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.apps import apps
from pghistory.models import Context, Event
from psycopg import sql

from core.errors import Conflict, Invalid

SCHEMA = "public"
CONTEXT_TABLE = Context._meta.db_table
CONTEXT_UPDATABLE = ("metadata", "updated_at")
MIGRATIONS_TABLE = "django_migrations"
# Every pghistory event table has this column; finding them by it also catches the table of a model
# that no longer exists.
EVENT_COLUMN = "pgh_created_at"

_STRICT_IGNORE = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
        _result BOOLEAN;
    BEGIN
        -- Only the owner of the tables may skip a trigger (set by grant_app_role).
        IF NOT pg_has_role(current_user, {owner}, 'MEMBER') THEN
            RETURN FALSE;
        END IF;
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NOT NULL THEN
            SELECT trigger_name = ANY(_pgtrigger_ignore) INTO _result;
            RETURN _result;
        ELSE
            RETURN FALSE;
        END IF;
    END;
$$ LANGUAGE plpgsql;
"""


@dataclass(frozen=True)
class Grants:
    """What :func:`app_role_grant` gave, for the command to report."""

    role: str
    owner: str
    created: bool
    data_tables: tuple[str, ...]
    event_tables: tuple[str, ...]


def app_role_grant(conn: psycopg.Connection, *, role: str, password: str | None = None) -> Grants:
    """Give ``role`` what the application needs and nothing more; idempotent.

    ``conn`` is connected as the owner of the tables, inside a transaction the caller commits.
    Without the role, ``password`` creates it (LOGIN, nothing else); with it, a ``password`` replaces
    the role's. Refused: the owner itself, a role that is a superuser, may create roles or
    databases, bypasses row security, replicates or is a member of the owner; a role that does not
    exist and no password; tables the owner does not own (the migrations ran as someone else).
    Afterwards the result is checked in the catalogue, so a server that ignored a REVOKE (an owner
    that does not own the database, say) is a refusal rather than a quiet gap.
    """
    with conn.cursor() as cur:
        owner, database = cur.execute("SELECT current_user, current_database()").fetchone()
        if role == owner:
            raise Invalid(f"{role} owns the tables: the application needs a role of its own")
        created = _ensure_role(conn, cur, role=role, owner=owner, password=password)
        tables = _tables(cur, owner=owner)
        events = _event_tables(cur, tables)
        data = tuple(t for t in tables if t not in events and t not in (CONTEXT_TABLE, MIGRATIONS_TABLE))
        statements = _statements(role=role, owner=owner, database=database, tables=tables, events=events, data=data)
        for statement in statements:
            cur.execute(statement)
        cur.execute(sql.SQL(_STRICT_IGNORE).format(owner=sql.Literal(owner)))
        _verify(cur, role=role, database=database, events=events, data=data)
    return Grants(role=role, owner=owner, created=created, data_tables=data, event_tables=events)


def _ensure_role(conn: psycopg.Connection, cur: psycopg.Cursor, *, role: str, owner: str, password: str | None) -> bool:
    found = cur.execute(
        "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication,"
        " pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s",
        [role, owner, role],
    ).fetchone()
    hashed = None
    if password is not None:
        # The server gets a SCRAM verifier, never the password: statements can end up in its log.
        hashed = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
    if found is None:
        if hashed is None:
            raise Invalid(f"there is no role {role}: give its password to create it, or create it first")
        cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(hashed)))
        return True
    powerful, member_of_owner = found
    if powerful:
        raise Conflict(
            f"{role} is a superuser or may create roles or databases, bypass row security or replicate: "
            "the application's role must hold none of these"
        )
    if member_of_owner:
        raise Conflict(f"{role} is a member of {owner}, so it holds the owner's rights: revoke that membership")
    if hashed is not None:
        cur.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(hashed)))
    return False


def _tables(cur: psycopg.Cursor, *, owner: str) -> tuple[str, ...]:
    rows = cur.execute(
        "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname",
        [SCHEMA],
    ).fetchall()
    foreign = [name for name, by in rows if by != owner]
    if foreign:
        raise Conflict(
            f"{len(foreign)} tables are not owned by {owner} ({', '.join(foreign[:3])}, ...): run the "
            "migrations as the owner, or give it the tables (ALTER TABLE ... OWNER TO)"
        )
    return tuple(name for name, _ in rows)


def _event_tables(cur: psycopg.Cursor, tables: tuple[str, ...]) -> tuple[str, ...]:
    found = {
        name
        for (name,) in cur.execute(
            "SELECT c.relname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND a.attname = %s AND NOT a.attisdropped",
            [SCHEMA, EVENT_COLUMN],
        )
    }
    found |= {
        m._meta.db_table for m in apps.get_models() if issubclass(m, Event) and m._meta.managed and not m._meta.proxy
    }
    return tuple(t for t in tables if t in found)


def _names(tables) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(SCHEMA, t) for t in tables)


def _statements(*, role, owner, database, tables, events, data) -> list[sql.Composable]:
    r, o, schema, db = sql.Identifier(role), sql.Identifier(owner), sql.Identifier(SCHEMA), sql.Identifier(database)
    s = sql.SQL
    statements = [
        # PUBLIC may connect and make temporary tables by default: only the roles named may connect.
        s("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db),
        s("REVOKE ALL ON DATABASE {} FROM {}").format(db, r),
        s("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        s("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema),
        s("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, r),
        s("GRANT USAGE ON SCHEMA {} TO {}").format(schema, r),
        # From nothing each time (column grants go with the table's), so a run undoes what it no longer gives.
        s("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, r),
        s("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, r),
        s("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM {}").format(schema, r),
        s("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, r),
    ]
    if data:
        statements.append(s("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(_names(data), r))
    if events:
        statements.append(s("GRANT SELECT, INSERT ON {} TO {}").format(_names(events), r))
    if CONTEXT_TABLE in tables:
        statements += [
            s("GRANT SELECT, INSERT ON {} TO {}").format(_names([CONTEXT_TABLE]), r),
            s("GRANT UPDATE ({}) ON {} TO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, CONTEXT_UPDATABLE)), _names([CONTEXT_TABLE]), r
            ),
        ]
    if MIGRATIONS_TABLE in tables:
        statements.append(s("GRANT SELECT ON {} TO {}").format(_names([MIGRATIONS_TABLE]), r))
    default = s("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} ").format(o, schema)
    statements += [
        default + s("REVOKE ALL ON TABLES FROM {}").format(r),
        default + s("GRANT SELECT, INSERT ON TABLES TO {}").format(r),
        default + s("REVOKE ALL ON SEQUENCES FROM {}").format(r),
        default + s("GRANT USAGE ON SEQUENCES TO {}").format(r),
    ]
    return statements


def _verify(cur: psycopg.Cursor, *, role: str, database: str, events: tuple[str, ...], data: tuple[str, ...]) -> None:
    problems = []
    if cur.execute("SELECT has_database_privilege(%s, %s, 'CREATE, TEMPORARY')", [role, database]).fetchone()[0]:
        problems.append(f"may create schemas or temporary tables in {database} (the owner must own the database)")
    if cur.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, SCHEMA]).fetchone()[0]:
        problems.append(f"may create objects in the schema {SCHEMA} (the owner must own the schema)")
    for table in events:
        qualified = f'{SCHEMA}."{table}"'
        if cur.execute(
            "SELECT has_table_privilege(%s, %s, 'UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES')", [role, qualified]
        ).fetchone()[0]:
            problems.append(f"may change {table}, an event table")
    for table in data:
        qualified = f'{SCHEMA}."{table}"'
        if cur.execute("SELECT has_table_privilege(%s, %s, 'TRUNCATE, TRIGGER')", [role, qualified]).fetchone()[0]:
            problems.append(f"may truncate {table} or add triggers to it")
    if problems:
        raise Conflict(f"{role} still {'; '.join(problems)}")
