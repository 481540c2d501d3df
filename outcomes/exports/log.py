"""The export log: every export is recorded when it starts and completed when its file is whole."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils import timezone

from core import audit
from outcomes.models import ExportLog
from participants.models import Allocation


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


def export_log_report(*, trial, user, blinded: bool, via: str, content: bytes) -> ExportLog:
    """Record that ``user`` (None: the system) was given the analysis report of ``trial``, as an
    export of the dataset ``report`` in ``html``: its factor columns (none when ``blinded``), the
    participants randomised when it was written as its rows, and the SHA-256 of the HTML given.
    Who saw an unblinded report, and when, is then in the same log as who downloaded the data."""
    factors = [] if blinded else [factor.code for factor in trial.version_on().protocol.factors]
    log = export_log_open(
        trial=trial, user=user, format="html", dataset="report", filters={"blinded": blinded}, factors=factors, via=via
    )
    randomised = Allocation.objects.filter(participant__trial=trial).count()
    return export_log_close(log=log, rows=randomised, size=len(content), sha256=hashlib.sha256(content).hexdigest())


def export_log_committee(
    *, trial, user, closed: bool, cutoff, randomised: int, format: str, via: str, content: bytes
) -> ExportLog:
    """Record that ``user`` (None: the system) was given a data monitoring committee report of
    ``trial`` at the data cut-off ``cutoff``: dataset ``dmc-closed`` (by arm: every factor) or
    ``dmc-open`` (pooled: no factor), in ``format`` (``html`` or ``pdf``), with the participants
    randomised by the cut-off as its rows and the SHA-256 of the file given."""
    factors = [factor.code for factor in trial.version_on().protocol.factors] if closed else []
    log = export_log_open(
        trial=trial,
        user=user,
        format=format,
        dataset="dmc-closed" if closed else "dmc-open",
        filters={"cutoff": cutoff.isoformat(), "closed": closed},
        factors=factors,
        via=via,
    )
    return export_log_close(log=log, rows=randomised, size=len(content), sha256=hashlib.sha256(content).hexdigest())
