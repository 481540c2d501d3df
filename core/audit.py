"""The audit context: who changed clinical data, why, and from which request or task.

Services wrap their writes in :func:`context`::

    with transaction.atomic(), audit.context(actor=actor, reason=reason):
        ...

On PostgreSQL every tracked model's insert, update and delete is recorded by database triggers
(django-pghistory) into append-only event tables, each event pointing at a context row that holds
the metadata given here. On SQLite nothing is recorded (pghistory needs PostgreSQL), the context
is a no-op, and a system check warns that the audit trail is off.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pghistory
from celery.signals import task_postrun, task_prerun
from django.db import connection
from pghistory import runtime as pgh_runtime
from pghistory.middleware import HistoryMiddleware


def track(**kwargs: Any):
    """Class decorator: audit every insert, update and delete of a clinical model.

    Tracker instances bind to one model, so each call makes new ones.
    """
    return pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), **kwargs)


def enabled() -> bool:
    """True when the database records the audit trail (PostgreSQL)."""
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def context(*, actor: Any = None, reason: str = "", **metadata: Any) -> Iterator[None]:
    """Attach ``actor``, ``reason`` and any other metadata to every audit event written inside.

    Nested contexts join the outermost one (one context row per request or task) when they only
    add keys; a nested call that says something else (another reason, another actor) gets a context
    row of its own for the writes inside it, so that no event's reason or actor is ever rewritten by
    a later one (the database refuses that too: migration 0006). ``actor`` may be a user or a user id.
    """
    if not enabled():
        yield
        return
    values = dict(metadata)
    if actor is not None:
        values["user"] = getattr(actor, "pk", actor)
        values["username"] = getattr(actor, "username", None)
    if reason:
        values["reason"] = reason
    current = getattr(pgh_runtime._tracker, "value", None)
    if current is not None and any(k in current.metadata and current.metadata[k] != v for k, v in values.items()):
        # pghistory would write another reason (or actor) over the context row the events already
        # written point at: they would then read as made for it. This one gets a row of its own,
        # keeping what the outer context says besides, and the outer one is back when it ends.
        pgh_runtime._tracker.value = pgh_runtime.Context(id=uuid.uuid4(), metadata={**current.metadata, **values})
        try:
            yield
        finally:
            pgh_runtime._tracker.value = current
        return
    with pghistory.context(**values):
        yield


class AuditMiddleware:
    """Open an audit context per writing request, carrying the URL, the method and the user.

    A thin wrapper over pghistory's middleware that does nothing unless the database records the
    audit trail, since pghistory's context fails on SQLite.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._history = HistoryMiddleware(get_response)

    def __call__(self, request):
        if enabled():
            return self._history(request)
        return self.get_response(request)


def _task_context_start(task_id=None, task=None, **_: Any) -> None:
    if enabled() and task is not None:
        cm = pghistory.context(task=task.name, task_id=task_id)
        cm.__enter__()
        task.request._audit_cm = cm


def _task_context_end(task=None, **_: Any) -> None:
    cm = getattr(getattr(task, "request", None), "_audit_cm", None)
    if cm is not None:
        cm.__exit__(None, None, None)


def _connect_task_signals() -> None:
    task_prerun.connect(_task_context_start, weak=False, dispatch_uid="audit-task-start")
    task_postrun.connect(_task_context_end, weak=False, dispatch_uid="audit-task-end")


_connect_task_signals()
