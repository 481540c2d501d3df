"""Adverse events with their seriousness, relatedness to each intervention, dictionary coding and
reporting times; protocol deviations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core import audit
from core.missing import missing_field
from participants.models.coding import DictionaryRelease
from participants.models.enrolment import Participant
from participants.models.schedule import Appointment, InfusionSession


class Seriousness(models.TextChoices):
    DEATH = "death", "Results in death"
    LIFE_THREATENING = "life_threatening", "Life-threatening"
    HOSPITALISATION = "hospitalisation", "Hospitalisation or its prolongation"
    DISABILITY = "disability", "Persistent or significant disability"
    CONGENITAL_ANOMALY = "congenital_anomaly", "Congenital anomaly"
    IMPORTANT_MEDICAL_EVENT = "important_medical_event", "Other important medical event"


class Causality(models.TextChoices):
    NOT_RELATED = "not_related", "Not related"
    UNLIKELY = "unlikely", "Unlikely related"
    POSSIBLY = "possibly", "Possibly related"
    PROBABLY = "probably", "Probably related"
    DEFINITELY = "definitely", "Definitely related"
    # Only for events recorded before relatedness was assessed for each intervention apart.
    NOT_ASSESSED = "not_assessed", "Not assessed"


# A reasonable possibility of a causal relationship (ICH E2A): what makes an event a reaction.
RELATED = frozenset({Causality.POSSIBLY, Causality.PROBABLY, Causality.DEFINITELY})


@audit.track()
class AdverseEvent(models.Model):
    """An adverse event: severity grade (CTCAE 1-5) apart from seriousness; a serious one starts the
    reporting clock (sponsor within 24 h; a SUSAR to the regulator within 7 days if fatal or
    life-threatening, else 15).

    ``term`` is the verbatim term as reported and is never changed by coding; coding stores the
    dictionary's LLT, PT and primary SOC beside it. Relatedness is assessed for the study drug and
    for the therapy apart, each blind to the arm. ``expected`` is the investigator's assessment;
    ``rsi_expected`` is what the protocol's reference safety information says of the coded PT (None
    until coded, or when the protocol has none). See :attr:`unexpected`.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.CharField(max_length=300)
    onset_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField()
    seriousness = models.JSONField(default=list)
    drug_causality = models.CharField(max_length=20, choices=Causality.choices)
    therapy_causality = models.CharField(max_length=20, choices=Causality.choices)
    expected = models.BooleanField()
    action_taken = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    infusion = models.ForeignKey(
        InfusionSession, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    aware_at = models.DateTimeField()
    sponsor_reported_at = models.DateTimeField(null=True, blank=True)
    regulator_reported_at = models.DateTimeField(null=True, blank=True)
    missing = missing_field()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # coding: copied from the dictionary term, so the record reads alone whatever is loaded later
    dictionary = models.ForeignKey(
        DictionaryRelease, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    llt_code = models.CharField(max_length=10, blank=True)
    llt_name = models.CharField(max_length=300, blank=True)
    pt_code = models.CharField(max_length=10, blank=True)
    pt_name = models.CharField(max_length=300, blank=True)
    soc_code = models.CharField(max_length=10, blank=True)
    soc_name = models.CharField(max_length=300, blank=True)
    coded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coded_at = models.DateTimeField(null=True, blank=True)
    rsi_expected = models.BooleanField(null=True, blank=True)
    rsi_version = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["participant_id", "onset_date", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=5), name="ae_grade_1_to_5"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("onset_date")), name="ae_ends_after_onset"
            ),
        ]

    def __str__(self) -> str:
        return f"AE {self.pk}: {self.term}"

    @property
    def serious(self) -> bool:
        return bool(self.seriousness)

    @property
    def coded(self) -> bool:
        return self.coded_at is not None

    @property
    def unexpected(self) -> bool:
        """Unexpected when the reference safety information does not list the coded PT, or when the
        investigator judged it unexpected (more severe or more specific than the RSI describes, as
        ICH E2A counts it). The investigator's "expected" cannot make an unlisted PT expected: only
        the RSI in force decides that. Before coding the investigator's assessment stands alone."""
        return not self.expected or self.rsi_expected is False

    @property
    def drug_related(self) -> bool:
        return self.drug_causality in RELATED

    @property
    def susar(self) -> bool:
        """A suspected unexpected serious adverse reaction: serious, a reasonable possibility that the
        study drug caused it (whatever the arm), and unexpected."""
        return self.serious and self.drug_related and self.unexpected


class DeviationKind(models.TextChoices):
    OUT_OF_WINDOW = "out_of_window", "Visit outside its window"
    RESCHEDULED_OUT_OF_WINDOW = "rescheduled_out_of_window", "Appointment booked outside its window"
    DOSE = "dose", "Dose different from the computed one"
    DURATION = "duration", "Infusion duration outside tolerance"
    INTERVAL = "interval", "Infusion too soon after the previous one"
    OTHER = "other", "Other"


@audit.track()
class Deviation(models.Model):
    """A departure from the protocol: detected automatically (a candidate) or entered by hand,
    then reviewed and classed important or not."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="deviations")
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.PROTECT, related_name="deviations"
    )
    kind = models.CharField(max_length=40, choices=DeviationKind.choices)
    description = models.TextField()
    automatic = models.BooleanField(default=False)
    occurred_on = models.DateField()
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    important = models.BooleanField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "occurred_on", "pk"]

    def __str__(self) -> str:
        return f"deviation {self.pk} ({self.kind})"
