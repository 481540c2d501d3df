"""On SQLite a snapshot is a deferred transaction: it reads one view without taking the write lock
that the project's other transactions take at BEGIN (IMMEDIATE), so writers are not held up while an
export streams. (On PostgreSQL: tests/outcomes/exports/test_snapshot.py.)"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from core.db import snapshot
from trials.models import Trial

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db(transaction=True)]


def _begins(block) -> list[str]:
    seen: list[str] = []

    def note(execute, sql, params, many, context):
        if sql.startswith("BEGIN"):
            seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        block()
    return seen


def test_a_snapshot_begins_deferred_and_other_transactions_still_begin_immediate():
    def read_in_snapshot():
        with snapshot():
            list(Trial.objects.all())

    def write_in_atomic():
        with transaction.atomic():
            Trial.objects.filter(pk=0).update(title="x")

    assert _begins(read_in_snapshot) == ["BEGIN DEFERRED"]
    assert _begins(write_in_atomic) == ["BEGIN IMMEDIATE"]
    assert connection.transaction_mode == "IMMEDIATE"


def test_a_snapshot_inside_a_transaction_joins_it():
    def nested():
        with transaction.atomic(), snapshot():
            list(Trial.objects.all())

    assert _begins(nested) == ["BEGIN IMMEDIATE"]
