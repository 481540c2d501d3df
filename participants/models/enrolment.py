"""Screening, the participant, their encrypted identity, consents and withdrawals.

Identity and contact details live in :class:`Identity`, encrypted at rest, and appear in no other
table, export, log or task payload.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedCharField, EncryptedDateField, EncryptedEmailField, EncryptedTextField

from core import audit
from core.missing import missing_field


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    DECLINED = "declined", "Declined"
    OTHER = "other", "Other"


@audit.track()
class Screening(models.Model):
    """One person assessed for eligibility, before any identity is stored.

    ``answers`` holds the protocol's checklist criterion by criterion (``{code: true|false}``: for an
    inclusion criterion, met; for an exclusion criterion, present). ``failed_criteria`` lists the
    codes that made the person not eligible. Every row counts in the CONSORT diagram.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="screenings")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="screenings")
    protocol_version = models.ForeignKey("trials.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=20)
    screened_on = models.DateField()
    answers = models.JSONField()
    outcome = models.CharField(max_length=20, choices=ScreeningOutcome.choices)
    failed_criteria = models.JSONField(default=list)
    outcome_text = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trial_id", "screened_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "number"], name="screening_unique_number"),
            models.CheckConstraint(
                condition=~Q(outcome="other") | ~Q(outcome_text=""), name="screening_other_has_text"
            ),
        ]

    def __str__(self) -> str:
        return self.number


@audit.track()
class Participant(models.Model):
    """A person enrolled in a trial, known by a random study id."""

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="participants")
    site = models.ForeignKey("trials.Site", on_delete=models.PROTECT, related_name="participants")
    screening = models.OneToOneField(
        Screening, null=True, blank=True, on_delete=models.PROTECT, related_name="participant"
    )
    study_id = models.CharField(max_length=20)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_at_consent = models.PositiveSmallIntegerField(null=True, blank=True)  # unknown for some imports
    baseline_weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    enrolled_on = models.DateField()
    baseline_completed_on = models.DateField(null=True, blank=True)
    missing = missing_field()
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["trial_id", "study_id"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "study_id"], name="participant_unique_study_id"),
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="participant_sex_known"),
        ]

    def __str__(self) -> str:
        return self.study_id


@audit.track()
class Identity(models.Model):
    """Name, date of birth and contact details, encrypted at rest; readable by few roles."""

    participant = models.OneToOneField(Participant, on_delete=models.PROTECT, related_name="identity")
    first_name = EncryptedCharField(max_length=200)
    last_name = EncryptedCharField(max_length=200)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    email = EncryptedEmailField(max_length=254, blank=True, null=True)
    phone = EncryptedCharField(max_length=32, blank=True, null=True)
    address = EncryptedTextField(blank=True, null=True)

    class Meta:
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"identity of {self.participant_id}"


@audit.track()
class Consent(models.Model):
    """A consent given to a version of the protocol's consent form."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="consents")
    form_version = models.CharField(max_length=100)
    consented_on = models.DateField()
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "consented_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "form_version"], name="consent_unique_form_version")
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} consent {self.form_version}"


class WithdrawalScope(models.TextChoices):
    INTERVENTION = "intervention", "Stop the intervention only"
    FOLLOW_UP = "follow_up", "Stop the intervention and follow-up"
    DATA_USE = "data_use", "Withdraw consent for further data use"


@audit.track()
class Withdrawal(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="withdrawals")
    scope = models.CharField(max_length=20, choices=WithdrawalScope.choices)
    withdrawn_on = models.DateField()
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "withdrawn_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "scope"], name="withdrawal_unique_scope"),
            models.CheckConstraint(condition=~Q(reason=""), name="withdrawal_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} withdrawal ({self.scope})"
