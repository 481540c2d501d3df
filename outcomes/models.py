"""What is measured: daily drinking records, biomarker samples, and questionnaires.

A day without a :class:`DrinkingRecord` is *missing*, never abstinent; so is a day recorded as
not remembered (no amount, with the reason ``unknown`` in ``missing``, :mod:`core.missing`). Amounts are stored in grams
of ethanol beside the amount and unit as entered (the original), so a display in another unit
never loses what was said. Biomarkers never overwrite self-report: a positive marker on a day
reported abstinent raises a data query (``review.queries``) for review.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit
from core.missing import missing_field


class Source(models.TextChoices):
    TLFB = "tlfb", "Timeline Follow-Back interview"
    DIARY = "diary", "Participant diary"
    BREATHALYSER = "breathalyser", "Breathalyser"
    TRANSDERMAL = "transdermal", "Transdermal monitor"


class Unit(models.TextChoices):
    GRAMS = "g", "grams of ethanol"
    UK_UNIT = "uk_unit", "UK unit (8 g)"
    US_DRINK = "us_drink", "US standard drink (14 g)"


@audit.track()
class DrinkingRecord(models.Model):
    """What one participant drank on one calendar day, according to one source.

    A day the participant could not remember (or was not asked about) has no amount and no grams,
    and says why under ``missing["amount"]``: the endpoints count it apart from the assessed days.
    ``entered_by`` is the member of staff who entered the day; a day the participant reported
    themselves (the diary page of a reminder's link) has no ``entered_by`` and
    ``entered_by_participant`` set, and its source is always ``diary``.
    """

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="drinking")
    day = models.DateField()
    source = models.CharField(max_length=20, choices=Source.choices)
    amount = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="As entered, in ``unit``; empty when missing."
    )
    unit = models.CharField(max_length=10, choices=Unit.choices)
    grams = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="Grams of ethanol; empty when missing."
    )
    missing = missing_field()
    visit_code = models.CharField(max_length=40, blank=True, help_text="The schedule event the recall belongs to.")
    change_reason = models.TextField(blank=True, help_text="Why the day was changed after its first entry.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_by_participant = models.BooleanField(
        default=False, help_text="Reported by the participant themselves (diary), not entered by staff."
    )
    entered_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["participant_id", "day", "source"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "day", "source"], name="drinking_one_per_day_source"),
            models.CheckConstraint(condition=Q(grams__gte=0) & Q(amount__gte=0), name="drinking_not_negative"),
            # an amount, or none with the reason why: never an empty day that says nothing
            models.CheckConstraint(
                condition=(Q(amount__isnull=False, grams__isnull=False) & ~Q(missing__has_key="amount"))
                | Q(amount__isnull=True, grams__isnull=True, missing__has_key="amount"),
                name="drinking_amount_or_reason",
            ),
            models.CheckConstraint(
                condition=Q(entered_by_participant=False) | Q(entered_by__isnull=True, source=Source.DIARY),
                name="drinking_participant_entry_is_diary",
            ),
        ]

    def __str__(self) -> str:
        if self.grams is None:
            return f"{self.participant_id} {self.day} {self.source}: missing ({self.missing['amount']['code']})"
        return f"{self.participant_id} {self.day} {self.source}: {self.grams} g"


class BiomarkerKind(models.TextChoices):
    ETG = "etg", "Urine ethyl glucuronide (ng/mL)"
    BREATH = "breath", "Breath alcohol"
    TRANSDERMAL = "transdermal", "Transdermal alcohol event"


# The edit check a positive marker against a day reported abstinent raises its data queries as.
BIOMARKER_CHECK = "biomarker_contradiction"


def detection_days(kind: str, protocol) -> int:
    """How many days before a sample a positive marker of ``kind`` speaks for."""
    markers = protocol.outcomes.biomarkers
    return {
        BiomarkerKind.ETG: markers.etg_detection_days,
        BiomarkerKind.BREATH: 0,
        BiomarkerKind.TRANSDERMAL: markers.transdermal_detection_days,
    }[kind]


@audit.track()
class BiomarkerSample(models.Model):
    """One dated objective measurement. ``value`` is empty for a transdermal event (its presence is
    the finding); ``positive`` is derived from the protocol's cutoffs when it is recorded."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="biomarkers")
    kind = models.CharField(max_length=20, choices=BiomarkerKind.choices)
    taken_on = models.DateField()
    value = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)
    positive = models.BooleanField()
    visit_code = models.CharField(max_length=40, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "taken_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=BiomarkerKind.TRANSDERMAL) | (Q(value__isnull=False) & Q(value__gte=0)),
                name="biomarker_value_given",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.kind} {self.taken_on}"


@audit.track()
class QuestionnaireResponse(models.Model):
    """One administration of an instrument, item by item, with the total derived on entry."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="questionnaires")
    instrument = models.CharField(max_length=20)
    administered_on = models.DateField()
    visit_code = models.CharField(max_length=40, blank=True)
    items = models.JSONField(help_text="Item number (text) → score, or null when not answered.")
    missing = missing_field()
    missing_items = models.PositiveSmallIntegerField()
    total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    prorated = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "administered_on", "instrument", "pk"]

    def __str__(self) -> str:
        return f"{self.participant_id} {self.instrument} {self.administered_on}"


@audit.track()
class ExportLog(models.Model):
    """One export of a trial's data: who, when, what (format, dataset, factor columns), with which
    filters, and, once the file is complete, its row count, size and SHA-256. A row whose
    ``completed_at`` is empty is an export that was started but never finished (a client that
    hung up mid-stream, an error)."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="exports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the system itself exported (a command run without --as).",
    )
    format = models.CharField(max_length=20)
    dataset = models.CharField(max_length=40)
    filters = models.JSONField(default=dict, help_text="Sites, blinded, and any other restriction applied.")
    factors = models.JSONField(default=list, help_text="The factor columns the file carries.")
    via = models.CharField(max_length=20, help_text="api, command or web")
    rows = models.PositiveBigIntegerField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trial_id", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | (Q(rows__isnull=False) & ~Q(sha256="")),
                name="exportlog_complete_has_checksum",
            )
        ]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.trial_id} ({self.format}/{self.dataset})"


@audit.track()
class AnalysisPlanVersion(models.Model):
    """One version of a trial's statistical analysis plan (:mod:`outcomes.plan`). Immutable: the
    database refuses UPDATE and DELETE; an amendment is a new version with its reason."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="analysis_plans")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=100)
    document = models.JSONField()
    sha256 = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["trial_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "number"], name="analysisplan_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="analysisplan_number_positive"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(reason=""), name="analysisplan_amendment_has_reason"),
        ]
        triggers = [pgtrigger.Protect(name="analysisplan_immutable", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"{self.trial_id} analysis plan v{self.number} ({self.label})"


@audit.track()
class AnalysisPlanLock(models.Model):
    """A plan version finalised, before the blind is broken: by whom, when, why. Immutable, once
    per version."""

    plan = models.OneToOneField(AnalysisPlanVersion, on_delete=models.PROTECT, related_name="lock")
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField()

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="analysisplanlock_has_reason")]
        triggers = [pgtrigger.Protect(name="analysisplanlock_immutable", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"lock of {self.plan}"
