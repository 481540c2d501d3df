"""A monitor's mark that a record, or one item of it, matches the source."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models

from core import audit


@audit.track()
class VerificationMark(models.Model):
    """``verified_by`` checked ``item`` of the record (``kind``, ``record_id``) against the source
    (the whole form when ``item`` is blank) at ``verified_at``.

    ``items`` names what the mark covers (for a whole form, the items the monitor could see) and
    ``fingerprint`` is their keyed digest then (:func:`review.verification.digest`): the mark stays
    when the record changes, and the record reads "changed since verified" while the digests
    differ. Append-only: on PostgreSQL the database refuses UPDATE and DELETE.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="verification_marks"
    )
    kind = models.CharField(max_length=40)
    record_id = models.BigIntegerField()
    item = models.CharField(max_length=60, blank=True)
    items = models.JSONField(default=list)
    fingerprint = models.CharField(max_length=64)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["kind", "record_id", "item", "verified_at", "pk"]
        indexes = [models.Index(fields=["kind", "record_id"], name="review_mark_record")]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.kind} {self.record_id} {self.item or '(form)'} verified by {self.verified_by_id}"
