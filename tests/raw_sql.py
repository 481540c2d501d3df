"""Writes that bypass the services and the ORM, for the tests of what the database itself refuses.

A constraint or trigger that guards an invariant must hold for any client of the database, not
only for Django: :func:`insert_copy` writes a row with a plain ``INSERT`` built from an existing
row's values, :func:`execute` runs any statement on the test's connection.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def execute(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
    """Run one statement; returns the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_copy(instance: models.Model, **changes: Any) -> None:
    """``INSERT`` a copy of ``instance`` (without its primary key) with ``changes`` (by attribute name,
    ``slot_id`` for a foreign key) through a raw cursor: no ``save()``, no signal, no validation."""
    model = type(instance)
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    unknown = set(changes) - {field.attname for field in fields}
    assert not unknown, f"{model.__name__} has no column for {sorted(unknown)}"
    values = [
        field.get_db_prep_save(changes.get(field.attname, getattr(instance, field.attname)), connection)
        for field in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    execute(f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})", values)


def orm_copy(instance: models.Model, **changes: Any) -> models.Model:
    """Create a copy of ``instance`` with ``changes`` through the ORM directly (no service)."""
    model = type(instance)
    values = {
        field.attname: getattr(instance, field.attname)
        for field in model._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return model.objects.create(**values)
