"""Data queries: a question on a record, or on one item of it, and its thread of messages.

A query is raised by hand (a monitor, a data manager) or by an edit check (``raised_by`` empty,
``check_code`` naming it). Its state goes open → answered (by the site) → closed, or back to open when
whoever raised it re-opens it. The database holds the invariants: at most one unfinished automatic
query per record, item and check; a state and its times agree; the thread is append-only.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit


class QueryState(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


UNFINISHED = (QueryState.OPEN, QueryState.ANSWERED)


class QueryAction(models.TextChoices):
    RAISED = "raised", "Raised"
    ANSWERED = "answered", "Answered"
    CORRECTED = "corrected", "Answered by a correction"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Re-opened"
    COMMENT = "comment", "Comment"


@audit.track()
class Query(models.Model):
    """A question on one record (``kind`` and ``record_id`` as :mod:`review.records` names them) or
    on one of its items (``item``; blank for the whole record)."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="data_queries")
    kind = models.CharField(max_length=40, help_text="The kind of record (review.records).")
    record_id = models.BigIntegerField()
    item = models.CharField(max_length=60, blank=True, help_text="The item queried; blank for the whole record.")
    state = models.CharField(max_length=10, choices=QueryState.choices, default=QueryState.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for a query raised by an edit check.",
    )
    check_code = models.CharField(max_length=40, blank=True, help_text="The edit check that raised it.")
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "queries"
        indexes = [
            models.Index(fields=["kind", "record_id"], name="query_record"),
            models.Index(fields=["site", "state"], name="query_site_state"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "record_id", "item", "check_code"],
                condition=Q(state__in=UNFINISHED) & ~Q(check_code=""),
                name="query_one_unfinished_per_check",
            ),
            models.CheckConstraint(
                condition=Q(raised_by__isnull=False) | ~Q(check_code=""), name="query_raised_by_someone_or_a_check"
            ),
            models.CheckConstraint(
                condition=(Q(state=QueryState.CLOSED) & Q(closed_at__isnull=False))
                | (~Q(state=QueryState.CLOSED) & Q(closed_at__isnull=True)),
                name="query_closed_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(state=QueryState.ANSWERED) | Q(answered_at__isnull=False),
                name="query_answered_when_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"query {self.pk} on {self.kind} {self.record_id}{f'.{self.item}' if self.item else ''}"

    @property
    def automatic(self) -> bool:
        return bool(self.check_code)


@audit.track()
class QueryMessage(models.Model):
    """One message of a query's thread: who (empty: the system), what they did, what they wrote.
    Never changed or deleted (a database rule)."""

    query = models.ForeignKey(Query, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=10, choices=QueryAction.choices)
    text = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        triggers = [pgtrigger.Protect(name="query_message_append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.action} on query {self.query_id}"
