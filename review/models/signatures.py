"""An investigator's electronic signature of a participant's casebook or of one visit."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit


class SignatureScope(models.TextChoices):
    CASEBOOK = "casebook", "Casebook"
    VISIT = "visit", "Visit"


class SignatureMeaning(models.TextChoices):
    REVIEW = "review", "Review"
    APPROVAL = "approval", "Approval"
    RESPONSIBILITY = "responsibility", "Responsibility"


MEANING_TEXT = {
    SignatureMeaning.REVIEW: "I have reviewed these records.",
    SignatureMeaning.APPROVAL: "I approve these records as complete and accurate.",
    SignatureMeaning.RESPONSIBILITY: "I take responsibility for these records.",
}


@audit.track()
class Signature(models.Model):
    """``signer`` signed the participant's casebook (or the visit of ``appointment``) with
    ``meaning`` at ``signed_at``, as ``printed_name``; ``fingerprint`` is the keyed digest of the
    ``record_count`` records signed (:func:`review.records.fingerprint_of_many`). Valid while the
    records' digest is unchanged. Append-only: on PostgreSQL the database refuses UPDATE and
    DELETE; signing again adds a row.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="+")
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="signatures")
    scope = models.CharField(max_length=20, choices=SignatureScope.choices)
    appointment = models.ForeignKey(
        "participants.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="signatures"
    )
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    signed_at = models.DateTimeField(db_index=True)
    fingerprint = models.CharField(max_length=64)
    record_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["participant_id", "signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scope="casebook", appointment__isnull=True) | Q(scope="visit", appointment__isnull=False)),
                name="signature_visit_names_its_appointment",
            ),
        ]
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} of {self.participant_id} signed by {self.printed_name} ({self.meaning})"

    @property
    def meaning_text(self) -> str:
        return MEANING_TEXT[SignatureMeaning(self.meaning)]
