"""Appointments materialised from the schedule, and what happened at them: visits, infusions with
their vital signs, therapy and education sessions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from core import audit
from core.missing import missing_field
from participants.models.enrolment import Participant


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    DONE = "done", "Done"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


PLACE_MAX_LENGTH = 120


@audit.track()
class Appointment(models.Model):
    """An event of the schedule materialised for one participant (or an unscheduled visit).

    ``target_date`` comes from the event's anchor (randomisation, or the actual date of the event
    it is chained to); ``window_start``/``window_end`` from its window. ``booked_date`` is the date
    the site booked, inside the window unless rescheduled outside with a reason; ``booked_time`` (in
    the site's time zone, none until the site books one) and ``place`` say when and where on that
    day. A place is neutral (the site's name, a building, a room): it names no level, drug or arm.
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
    booked_time = models.TimeField(null=True, blank=True)
    place = models.CharField(max_length=PLACE_MAX_LENGTH, blank=True)
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
        indexes = [
            models.Index(fields=["status", "window_end"], name="appointment_worklist"),
            # the dashboard's week, in booking order: without it every open appointment is read
            models.Index(fields=["status", "booked_date"], name="appointment_bookings"),
        ]

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
    missing = missing_field()
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
    missing = missing_field()
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
    missing = missing_field()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visit_id"]

    def __str__(self) -> str:
        return f"session {self.session_number} at visit {self.visit_id}"
