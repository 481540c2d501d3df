"""Database helpers that the apps share: the read snapshot, and a one-to-one relation that may be empty."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection, models, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """Read inside one consistent view of the database, as of the first query.

    For work of many queries whose results must agree with each other (an export: participants,
    their visits, their records and the audit events of all three). On PostgreSQL the block is a
    ``REPEATABLE READ READ ONLY`` transaction: rows committed by others after its first query are
    not seen, and a write inside it is refused. On SQLite (the embedded default) it is a deferred
    transaction, which under WAL reads one snapshot and takes no write lock, so data entry goes on
    while a slow client downloads an export (the project's other transactions begin IMMEDIATE).
    Inside a transaction already open the block joins it: its isolation can no longer be chosen.
    """
    outermost = not connection.in_atomic_block
    with ExitStack() as stack:
        if outermost and connection.vendor == "sqlite":
            connection.ensure_connection()  # connecting sets the configured mode
            mode, connection.transaction_mode = connection.transaction_mode, "DEFERRED"
            try:
                stack.enter_context(transaction.atomic())
            finally:
                connection.transaction_mode = mode
        else:
            stack.enter_context(transaction.atomic())
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def one_to_one(instance: models.Model, name: str) -> models.Model | None:
    """The object on the far side of a one-to-one relation named ``name``, or None when there is none
    (Django raises on a missing reverse one-to-one)."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None
