"""The export log: every export is recorded when it starts and completed when its file is whole."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import audit
from outcomes.models import ExportLog


def export_log_open(
    *, trial, user, format: str, dataset: str, filters: dict, factors: list[str], via: str
) -> ExportLog:
    """Record that ``user`` (None: the system) started exporting ``dataset`` of ``trial`` as ``format``."""
    with transaction.atomic(), audit.context(actor=user, reason=f"export {dataset} as {format}", source=via):
        return ExportLog.objects.create(
            trial=trial, user=user, format=format, dataset=dataset, filters=filters, factors=factors, via=via
        )


def export_log_close(*, log: ExportLog, rows: int, size: int, sha256: str) -> ExportLog:
    """Complete the record with the file's row count, size in bytes and SHA-256. Once only."""
    with transaction.atomic(), audit.context(actor=log.user, reason=f"export {log.pk} complete", source=log.via):
        updated = ExportLog.objects.filter(pk=log.pk, completed_at__isnull=True).update(
            rows=rows, bytes=size, sha256=sha256, completed_at=timezone.now()
        )
    if not updated:
        raise RuntimeError(f"export log {log.pk} was already complete")
    log.refresh_from_db()
    return log
