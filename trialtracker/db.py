"""Database helpers that the apps share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def snapshot() -> Iterator[None]:
    """Read inside one consistent view of the database, as of the first query.

    For work of many queries whose results must agree with each other (an export: participants,
    their visits, their records and the audit events of all three). On PostgreSQL the block is a
    ``REPEATABLE READ READ ONLY`` transaction: rows committed by others after its first query are
    not seen, and a write inside it is refused. Inside a transaction already open the block joins
    it (its isolation level can no longer be chosen). On SQLite, the embedded default for one
    user, a transaction's reads already see one snapshot; as its transactions begin IMMEDIATE, other
    writers wait until the block ends.
    """
    choose = connection.vendor == "postgresql" and not connection.in_atomic_block
    with transaction.atomic():
        if choose:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield
