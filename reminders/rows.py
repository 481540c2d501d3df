"""A send's three statements in plain SQL: lock the row (with its appointment), read its participant
(with what a send checks), write the outcome.

Why not the ORM for these: profiling a send (docs/reminders.md, "Where a send's time went") found
that Django building these statements and their rows took most of a worker's CPU, more than
PostgreSQL took to answer them. Each statement here is written once per process from the models' own
metadata (tables and columns, so a renamed column cannot be missed), and every value read goes
through the converters the ORM itself would apply (the identity's decryption, SQLite's dates), so
the instances returned are the ORM's own, with their related objects cached as ``select_related``
caches them. The audit trail is unchanged: the database's triggers record the ``UPDATE`` and the
audit context reaches it through Django's cursor as for any other statement.

On PostgreSQL the two reads are prepared once per database connection (:func:`_execute`); a
connection pooler in transaction mode does not keep a session's prepared statements, so behind one
set ``REMINDERS_PREPARED_STATEMENTS=false`` (docs/operations.md). The row lock (``FOR UPDATE OF``)
is PostgreSQL's; SQLite has one writer at a time.
"""

from __future__ import annotations

import weakref
from functools import cache

from django.conf import settings
from django.db import connection
from django.db.models import Model

from participants.models import Appointment, Identity, Participant, Withdrawal
from reminders.models import ContactPreference, Notification
from trials.models import Site, Trial


class Columns:
    """One model's concrete columns under a table alias in a statement: their SQL, and the instance
    built from their values (None when the row is absent, as from a ``LEFT JOIN``)."""

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias
        self.fields = model._meta.concrete_fields
        self.width = len(self.fields)
        self.pk_position = self.fields.index(model._meta.pk)

    def sql(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def build(self, values) -> Model | None:
        if values[self.pk_position] is None:
            return None
        converted = list(values)
        for position, converters, expression in _converters(self, connection.vendor):
            value = converted[position]
            for converter in converters:
                value = converter(value, expression, connection)
            converted[position] = value
        return self.model.from_db(connection.alias, None, converted)


@cache
def _converters(columns: Columns, vendor: str) -> list[tuple[int, list, object]]:
    """The ORM's converters for each column that has any, as its compiler finds them."""
    found = []
    for position, field in enumerate(columns.fields):
        expression = field.get_col(columns.alias)
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        if converters:
            found.append((position, converters, expression))
    return found


NOTIFICATION, APPOINTMENT = Columns(Notification, "n"), Columns(Appointment, "a")
PARTICIPANT, SITE, TRIAL = Columns(Participant, "p"), Columns(Site, "s"), Columns(Trial, "t")
PREFERENCE, IDENTITY = Columns(ContactPreference, "cp"), Columns(Identity, "i")


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@cache
def _lock_sql(vendor: str, without_waiting: bool) -> str:
    extra = ", set_config('synchronous_commit', 'off', true)" if without_waiting else ""
    lock = " FOR UPDATE OF n" if connection.features.has_select_for_update_of else ""
    return (
        f"SELECT {NOTIFICATION.sql()}, {APPOINTMENT.sql()}{extra} FROM {_table(Notification)} n"
        f" LEFT JOIN {_table(Appointment)} a ON a.id = n.appointment_id WHERE n.id = %s{lock}"
    )


_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # database connection -> names


def _execute(cursor, name: str, sql: str, key: int) -> None:
    """Run ``sql`` for one row's key. On PostgreSQL, as a statement prepared once per database
    connection (``REMINDERS_PREPARED_STATEMENTS``): the server then plans it once, not at every send,
    which was a fifth of its time on a send. A new connection (after a restart, say) prepares again."""
    if connection.vendor != "postgresql" or not settings.REMINDERS_PREPARED_STATEMENTS:
        cursor.execute(sql, [key])
        return
    prepared = _PREPARED.setdefault(connection.connection, set())
    if name not in prepared:
        cursor.execute(f"PREPARE {name}(bigint) AS {sql.replace('%s', '$1')}")
        prepared.add(name)
    cursor.execute(f"EXECUTE {name}(%s)", [key])


def lock(notification_id: int, *, without_waiting: bool = False) -> Notification | None:
    """The row, locked until the transaction ends, with its appointment; None when it is gone.
    ``without_waiting``: the same statement tells this transaction's commit not to wait for the
    disk (PostgreSQL's ``synchronous_commit``, for this transaction only)."""
    with connection.cursor() as cursor:
        name = "reminders_lock_without_waiting" if without_waiting else "reminders_lock"
        _execute(cursor, name, _lock_sql(connection.vendor, without_waiting), notification_id)
        row = cursor.fetchone()
    if row is None:
        return None
    n = NOTIFICATION.build(row[: NOTIFICATION.width])
    Notification._meta.get_field("appointment").set_cached_value(
        n, APPOINTMENT.build(row[NOTIFICATION.width : NOTIFICATION.width + APPOINTMENT.width])
    )
    return n


@cache
def _participant_sql(vendor: str) -> str:
    return (
        f"SELECT {PARTICIPANT.sql()}, {SITE.sql()}, {TRIAL.sql()}, {PREFERENCE.sql()}, {IDENTITY.sql()},"
        f" EXISTS (SELECT 1 FROM {_table(Withdrawal)} w WHERE w.participant_id = p.id)"
        f" FROM {_table(Participant)} p JOIN {_table(Site)} s ON s.id = p.site_id"
        f" JOIN {_table(Trial)} t ON t.id = p.trial_id"
        f" LEFT JOIN {_table(ContactPreference)} cp ON cp.participant_id = p.id"
        f" LEFT JOIN {_table(Identity)} i ON i.participant_id = p.id WHERE p.id = %s"
    )


def participant(participant_id: int) -> Participant:
    """The participant with site, trial, contact preferences and identity cached (either of the last
    two may be None), and ``has_withdrawn``: whether any withdrawal is recorded."""
    with connection.cursor() as cursor:
        _execute(cursor, "reminders_participant", _participant_sql(connection.vendor), participant_id)
        row = cursor.fetchone()
    if row is None:
        raise Participant.DoesNotExist(f"participant {participant_id}")
    parts, start = [], 0
    for columns in (PARTICIPANT, SITE, TRIAL, PREFERENCE, IDENTITY):
        parts.append(columns.build(row[start : start + columns.width]))
        start += columns.width
    p, site, trial, preference, identity = parts
    meta = Participant._meta
    meta.get_field("site").set_cached_value(p, site)
    meta.get_field("trial").set_cached_value(p, trial)
    for name, related in (("contact_preference", preference), ("identity", identity)):
        relation = meta.get_field(name)
        relation.set_cached_value(p, related)
        if related is not None:
            relation.field.set_cached_value(related, p)
    p.has_withdrawn = bool(row[start])
    return p


def save(n: Notification, field_names: list[str]) -> None:
    """Write these fields of the row (``updated_at`` is set now when named), as
    ``save(update_fields=...)`` would."""
    fields = [Notification._meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(n, False), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Notification)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} WHERE id = %s",
            [*values, n.pk],
        )
