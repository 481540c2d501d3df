"""Participants and what happens to them: screening, identity, consent, withdrawal, randomisation.

The allocation lives in its own table (:class:`Allocation`) and is only ever shown through
:mod:`participants.blinding`. Identity and contact details live in :class:`Identity`, encrypted
at rest, and appear in no other table, export, log or task payload.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from encrypted_fields.fields import EncryptedCharField, EncryptedDateField, EncryptedEmailField, EncryptedTextField

from trialtracker import audit


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


# --- randomisation ----------------------------------------------------------------------------


@audit.track()
class RandomisationList(models.Model):
    """The concealed allocation list of one stratum, generated in advance from a secret seed.

    Only the unblinded statistician may see it. ``fingerprint`` is the SHA-256 of the list; the
    list regenerated from ``seed`` must give the same fingerprint.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="randomisation_lists")
    stratum = models.CharField(max_length=200)
    seed = models.CharField(max_length=64)
    blocks = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trial_id", "stratum"]
        constraints = [models.UniqueConstraint(fields=["trial", "stratum"], name="randlist_unique_stratum")]

    def __str__(self) -> str:
        return f"{self.trial_id}:{self.stratum}"


@audit.track()
class ListSlot(models.Model):
    """One position of a stratum's list: the arm the next participant there receives."""

    list = models.ForeignKey(RandomisationList, on_delete=models.PROTECT, related_name="slots")
    position = models.PositiveIntegerField()
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.ForeignKey("trials.Arm", on_delete=models.PROTECT, related_name="slots")

    class Meta:
        ordering = ["list_id", "position"]
        constraints = [models.UniqueConstraint(fields=["list", "position"], name="slot_unique_position")]

    def __str__(self) -> str:
        return f"{self.list_id}#{self.position}"


class AllocationMethod(models.TextChoices):
    PERMUTED_BLOCKS = "permuted_blocks", "Permuted blocks"
    MINIMISATION = "minimisation", "Minimisation"
    IMPORTED = "imported", "Imported"


@audit.track()
class Allocation(models.Model):
    """The arm a participant was randomised to. One per participant; one participant per slot."""

    participant = models.OneToOneField(Participant, on_delete=models.PROTECT, related_name="allocation")
    arm = models.ForeignKey("trials.Arm", on_delete=models.PROTECT, related_name="allocations")
    slot = models.OneToOneField(ListSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation")
    method = models.CharField(max_length=20, choices=AllocationMethod.choices)
    stratum = models.CharField(max_length=200)
    allocated_on = models.DateField()
    allocated_at = models.DateTimeField(auto_now_add=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["participant_id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="permuted_blocks") | Q(slot__isnull=False), name="allocation_blocks_have_slot"
            )
        ]

    def __str__(self) -> str:
        return f"allocation of {self.participant_id}"


@audit.track()
class EmergencyUnblinding(models.Model):
    """One participant's allocation revealed to one authorised person, for a recorded reason."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="unblindings")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "created_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="unblinding_has_reason")]

    def __str__(self) -> str:
        return f"unblinding of {self.participant_id}"


class StaffNotification(models.Model):
    """A message to a member of staff (e.g. the unblinded team after an emergency unblinding).

    Written in the same transaction as the event that causes it and sent after commit; never
    carries identity or allocation.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"
