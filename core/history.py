"""Reading the audit trail: the events of tracked records, each with who, when, why and what changed.

The event tables (django-pghistory) snapshot every tracked column, so reading them is guarded:
callers name the records through a selector that has already scoped them to what the user may
see, and :func:`events_for` is given only those. On SQLite there are no events.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.db import models
from pghistory.models import Event

from core import audit

HIDDEN_FIELDS = frozenset({"password"})


def event_model_for(model: type[models.Model]) -> type[Event] | None:
    """The pghistory event model that tracks ``model`` (None when it is not tracked)."""
    for candidate in apps.get_models():
        if issubclass(candidate, Event) and getattr(candidate, "pgh_tracked_model", None) is model:
            return candidate
    return None


def events_for(
    sources: Iterable[tuple[type[models.Model], models.Q]], *, hidden: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """Events of the records each ``(model, filter)`` selects, oldest first, with their changes.

    ``hidden`` names fields left out of ``values`` and ``changes`` (e.g. a factor the reader is
    blinded to). Each event: ``model, object_id, label (insert/update/delete), at, actor, reason,
    context (url or task), values, changes {field: [old, new]}``.
    """
    if not audit.enabled():
        return []
    hidden = set(hidden) | HIDDEN_FIELDS
    rows: list[tuple[tuple, dict[str, Any]]] = []
    for model, where in sources:
        event_model = event_model_for(model)
        if event_model is None:
            continue
        fields = [f for f in model._meta.concrete_fields if f.attname not in hidden and f.name not in hidden]
        previous: dict[Any, dict[str, Any]] = {}
        for event in event_model.objects.filter(where).select_related("pgh_context").order_by("pgh_id"):
            values = {f.attname: _plain(getattr(event, f.attname)) for f in fields}
            before = previous.get(event.pgh_obj_id, {})
            changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
            if event.pgh_label == "delete":
                changes = {}
            previous[event.pgh_obj_id] = values
            meta = event.pgh_context.metadata if event.pgh_context_id else {}
            # Events of one transaction share their time: within a model the event number keeps
            # their order (compared as a number: ":10" sorts before ":9" as text).
            key = (event.pgh_created_at, model._meta.label_lower, event.pgh_id)
            rows.append(
                (
                    key,
                    {
                        "id": f"{model._meta.label_lower}:{event.pgh_id}",
                        "model": model._meta.label_lower,
                        "object_id": str(event.pgh_obj_id),
                        "label": event.pgh_label,
                        "at": event.pgh_created_at,
                        "actor": meta.get("username") or (str(meta["user"]) if meta.get("user") else None),
                        "reason": meta.get("reason", ""),
                        "context": meta.get("url") or meta.get("task") or meta.get("source") or "",
                        "values": values,
                        "changes": changes,
                    },
                )
            )
    rows.sort(key=lambda pair: pair[0])
    return [row for _, row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, type(None), list, dict)):
        return value
    return str(value)
