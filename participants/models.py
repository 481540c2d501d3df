"""Participants and what happens to them: screening, identity, consent, withdrawal, randomisation.

The allocation lives in its own table (:class:`Allocation`) and is only ever shown through
:mod:`participants.blinding`. Identity and contact details live in :class:`Identity`, encrypted
at rest, and appear in no other table, export, log or task payload.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from encrypted_fields.fields import EncryptedCharField, EncryptedDateField, EncryptedEmailField, EncryptedTextField

from core import audit


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


# --- appointments and visits ------------------------------------------------------------------


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


@audit.track()
class Appointment(models.Model):
    """An event of the schedule materialised for one participant (or an unscheduled visit).

    ``target_date`` comes from the event's anchor (randomisation, or the actual date of the event
    it is chained to); ``window_start``/``window_end`` from its window. ``booked_date`` is the date
    the site booked, inside the window unless rescheduled outside with a reason.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="appointments")
    protocol_version = models.ForeignKey("trials.ProtocolVersion", on_delete=models.PROTECT, related_name="+")
    event_code = models.CharField(max_length=40)
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20)
    sequence = models.PositiveSmallIntegerField()
    anchor = models.CharField(max_length=40)
    target_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    booked_date = models.DateField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    unscheduled = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["participant_id", "sequence", "booked_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "event_code"],
                condition=Q(unscheduled=False),
                name="appointment_unique_scheduled_event",
            ),
            models.CheckConstraint(condition=Q(window_start__lte=F("window_end")), name="appointment_window_ordered"),
        ]
        indexes = [models.Index(fields=["status", "window_end"], name="appointment_worklist")]

    def __str__(self) -> str:
        return f"{self.participant_id}:{self.event_code}"


@audit.track()
class Visit(models.Model):
    """What happened at an appointment: the actual date, attended or missed, who saw the participant."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="visit")
    actual_date = models.DateField()
    attended = models.BooleanField()
    missed_reason = models.TextField(blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["appointment_id"]
        constraints = [
            models.CheckConstraint(condition=Q(attended=True) | ~Q(missed_reason=""), name="visit_missed_has_reason")
        ]

    def __str__(self) -> str:
        return f"visit {self.appointment_id}"


@audit.track()
class InfusionSession(models.Model):
    """A study-drug infusion at a visit. ``dose_mg`` is computed by the service from the protocol's
    mg/kg and ``weight_kg``, capped at the maximum; it reveals the drug level and is shown only to
    those who may see that factor."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="infusion")
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    mg_per_kg = models.DecimalField(max_digits=7, decimal_places=3)
    dose_mg = models.DecimalField(max_digits=8, decimal_places=2)
    dose_mg_given = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=7, decimal_places=1)
    breath_alcohol = models.DecimalField(max_digits=4, decimal_places=2)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField()
    interruptions = models.PositiveSmallIntegerField(default=0)
    completed = models.BooleanField()
    dissociation_score = models.PositiveSmallIntegerField(null=True, blank=True)
    safety_flags = models.JSONField(default=list)
    interval_override_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit_id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight_kg__gt=0), name="infusion_weight_positive"),
            models.CheckConstraint(condition=Q(stopped_at__gt=F("started_at")), name="infusion_stops_after_start"),
            models.CheckConstraint(condition=Q(dose_mg__gte=0), name="infusion_dose_not_negative"),
        ]

    def __str__(self) -> str:
        return f"infusion at visit {self.visit_id}"

    @property
    def minutes(self) -> float:
        return (self.stopped_at - self.started_at).total_seconds() / 60


class VitalsPhase(models.TextChoices):
    BEFORE = "before", "Before"
    DURING = "during", "During"
    AFTER = "after", "After"


@audit.track()
class VitalSigns(models.Model):
    infusion = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="vitals")
    phase = models.CharField(max_length=10, choices=VitalsPhase.choices)
    minute = models.SmallIntegerField(help_text="Minutes from the start of the infusion.")
    systolic = models.PositiveSmallIntegerField()
    diastolic = models.PositiveSmallIntegerField()
    heart_rate = models.PositiveSmallIntegerField()
    spo2 = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["infusion_id", "minute", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(systolic__gt=F("diastolic")), name="vitals_systolic_above_diastolic"),
            models.CheckConstraint(condition=Q(spo2__lte=100), name="vitals_spo2_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"vitals {self.infusion_id}@{self.minute}"


@audit.track()
class TherapySession(models.Model):
    """A therapy or education session; both look the same to someone blinded to the therapy factor."""

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, related_name="session")
    session_number = models.PositiveSmallIntegerField()
    attended = models.BooleanField()
    minutes = models.PositiveSmallIntegerField(default=0)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit_id"]

    def __str__(self) -> str:
        return f"session {self.session_number} at visit {self.visit_id}"


# --- safety and protocol deviations -----------------------------------------------------------


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


RELATED = frozenset({Causality.POSSIBLY, Causality.PROBABLY, Causality.DEFINITELY})


@audit.track()
class AdverseEvent(models.Model):
    """An adverse event: severity grade (CTCAE 1-5) apart from seriousness; a serious one starts the
    reporting clock (sponsor within 24 h; a SUSAR to the regulator within 7 days if fatal or
    life-threatening, else 15)."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.CharField(max_length=300)
    onset_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    grade = models.PositiveSmallIntegerField()
    seriousness = models.JSONField(default=list)
    causality = models.CharField(max_length=20, choices=Causality.choices)
    expected = models.BooleanField()
    action_taken = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    infusion = models.ForeignKey(
        InfusionSession, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    aware_at = models.DateTimeField()
    sponsor_reported_at = models.DateTimeField(null=True, blank=True)
    regulator_reported_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
    def susar(self) -> bool:
        return self.serious and self.causality in RELATED and not self.expected


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


# --- database lock and unblinding for analysis -------------------------------------------------


@audit.track()
class DataLock(models.Model):
    """A lock on a trial's clinical data (or one participant's): no change until it is unlocked.

    Active while ``unlocked_at`` is empty; locking and unlocking each need a reason.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="locks")
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="locks")
    reason = models.TextField()
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)
    unlock_reason = models.TextField(blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unlocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trial_id", "locked_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="lock_has_reason"),
            models.CheckConstraint(
                condition=Q(unlocked_at__isnull=True) | ~Q(unlock_reason=""), name="unlock_has_reason"
            ),
            models.UniqueConstraint(
                fields=["trial"],
                condition=Q(unlocked_at__isnull=True, participant__isnull=True),
                name="lock_one_active_per_trial",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(unlocked_at__isnull=True, participant__isnull=False),
                name="lock_one_active_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"lock {self.pk} of {self.participant_id or self.trial_id}"


@audit.track()
class AnalysisUnblinding(models.Model):
    """The whole trial unblinded for analysis, after the database was locked. Once only."""

    trial = models.OneToOneField("trials.Trial", on_delete=models.PROTECT, related_name="analysis_unblinding")
    reason = models.TextField()
    unblinded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unblinded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="analysis_unblinding_has_reason")]

    def __str__(self) -> str:
        return f"analysis unblinding of {self.trial_id}"
