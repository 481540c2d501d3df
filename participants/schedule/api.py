"""API of appointments, visits, infusions and sessions.

Site scoping: every object is reached through the participant's site (another site's id is a 404).
Blinding: the infusion's drug, dose in mg and mg/kg, and a session's programme are shown through
:mod:`participants.blinding`.
"""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.clock import today_at
from core.db import one_to_one
from core.errors import Invalid, NotFound
from participants.blinding import presenter
from participants.models import (
    PLACE_MAX_LENGTH,
    Appointment,
    InfusionSession,
    VitalsPhase,
)
from participants.schedule import selectors, services
from participants.selectors import staff_member
from participants.serializers import participant_from_request


class VisitSerializer(serializers.Serializer):
    actual_date = serializers.DateField()
    attended = serializers.BooleanField()
    missed_reason = serializers.CharField(allow_blank=True)
    seen_by = serializers.CharField(allow_null=True)


class AppointmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField()
    site = serializers.CharField()
    event_code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    unscheduled = serializers.BooleanField()
    target_date = serializers.DateField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    booked_date = serializers.DateField()
    booked_time = serializers.TimeField(allow_null=True, help_text="In the site's time zone; null until booked.")
    place = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["upcoming", "due", "overdue", "done", "missed", "cancelled"])
    window_state = serializers.ChoiceField(choices=["early", "in_window", "late"])
    note = serializers.CharField(allow_blank=True)
    visit = VisitSerializer(allow_null=True)


def appointment_data(appointment: Appointment, today: dt.date) -> dict:
    visit = one_to_one(appointment, "visit")
    return {
        "id": appointment.pk,
        "study_id": appointment.participant.study_id,
        "site": appointment.participant.site.code,
        "event_code": appointment.event_code,
        "title": appointment.title,
        "kind": appointment.kind,
        "unscheduled": appointment.unscheduled,
        "target_date": appointment.target_date,
        "window_start": appointment.window_start,
        "window_end": appointment.window_end,
        "booked_date": appointment.booked_date,
        "booked_time": appointment.booked_time,
        "place": appointment.place,
        "status": selectors.display_status(appointment, today),
        "window_state": selectors.window_state(appointment, visit.actual_date if visit else None),
        "note": appointment.note,
        "visit": (
            {
                "actual_date": visit.actual_date,
                "attended": visit.attended,
                "missed_reason": visit.missed_reason,
                "seen_by": visit.seen_by.get_username() if visit.seen_by_id else None,
            }
            if visit
            else None
        ),
    }


def appointment_answer(pk: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The appointment ``pk`` read again after a write, as its row shows it on its site's today."""
    appointment = selectors.appointment_shown(pk=pk)
    data = AppointmentSerializer(appointment_data(appointment, today_at(appointment.participant.site))).data
    return Response(data, status=status_code)


class ParticipantAppointmentsApi(GenericAPIView):
    """The participant's schedule with each appointment's status and window state; ``POST`` adds an
    unscheduled visit."""

    serializer_class = AppointmentSerializer
    paginated_list = True

    class InputSerializer(serializers.Serializer):
        booked_date = serializers.DateField()
        title = serializers.CharField(max_length=500)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(parameters=[OpenApiParameter("trial", str)])
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        today = today_at(participant.site)
        page = self.paginate_queryset(selectors.appointments_of(participant=participant))
        return self.get_paginated_response(
            AppointmentSerializer([appointment_data(a, today) for a in page], many=True).data
        )

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)], request=InputSerializer, responses={201: AppointmentSerializer}
    )
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = services.appointment_add_unscheduled(
            actor=request.user, participant=participant, **data.validated_data
        )
        return appointment_answer(appointment.pk, status_code=status.HTTP_201_CREATED)


class WorklistApi(GenericAPIView):
    """The coordinator's worklist: open appointments at the caller's sites whose window starts by
    ``due_before`` (default: a week from today), the earliest window end (most overdue) first."""

    serializer_class = AppointmentSerializer
    paginated_list = True

    @extend_schema(
        parameters=[
            OpenApiParameter("site", str, description="A site code."),
            OpenApiParameter("trial", str, description="A trial code."),
            OpenApiParameter("due_before", dt.date, description="Windows starting on or before this date."),
        ]
    )
    def get(self, request):
        params = request.query_params
        found = selectors.worklist(
            user=request.user,
            trial_code=params.get("trial", ""),
            site_code=params.get("site", ""),
            due_before=params.get("due_before", ""),
        )
        page = self.paginate_queryset(found.appointments)
        return self.get_paginated_response(
            AppointmentSerializer([appointment_data(a, found.today) for a in page], many=True).data
        )


class RescheduleApi(APIView):
    """Book the appointment: its date, and its time and place when given (left as they were when
    not; a null time clears it). Outside its window a reason is needed and a candidate deviation is
    recorded; a place naming a level, drug or arm of the trial is refused."""

    class InputSerializer(serializers.Serializer):
        booked_date = serializers.DateField()
        booked_time = serializers.TimeField(
            required=False, allow_null=True, help_text="HH:MM in the site's time zone; null clears it."
        )
        place = serializers.CharField(
            max_length=PLACE_MAX_LENGTH,
            required=False,
            allow_blank=True,
            trim_whitespace=True,
            help_text="A neutral place: the site's name, a building or a room.",
        )
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_reschedule(actor=request.user, appointment=appointment, **data.validated_data)
        return appointment_answer(pk)


class CancelApi(APIView):
    """Cancel an open appointment, with a reason."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_cancel(actor=request.user, appointment=appointment, **data.validated_data)
        return appointment_answer(pk)


class VisitApi(APIView):
    """``POST`` records the visit (attended or missed); ``PATCH`` corrects its date, and a missed
    visit's reason, with a reason for the change."""

    class InputSerializer(serializers.Serializer):
        actual_date = serializers.DateField()
        attended = serializers.BooleanField()
        missed_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        seen_by = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text="A username.")

    class ChangeSerializer(serializers.Serializer):
        actual_date = serializers.DateField()
        reason = serializers.CharField(max_length=2000)
        missed_reason = serializers.CharField(
            max_length=2000, required=False, help_text="A missed visit's reason, corrected."
        )

    @extend_schema(request=InputSerializer, responses={201: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        seen_by = request.user
        if values.get("seen_by"):
            seen_by = staff_member(site=appointment.participant.site, username=values["seen_by"])
            if seen_by is None:
                raise Invalid("unknown person", fields={"seen_by": ["No such person at this site."]})
        values["seen_by"] = seen_by
        services.visit_record(actor=request.user, appointment=appointment, **values)
        return appointment_answer(pk, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeSerializer, responses={200: AppointmentSerializer})
    def patch(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        visit = one_to_one(appointment, "visit")
        if visit is None:
            raise NotFound("the visit is not recorded yet")
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.visit_update(actor=request.user, visit=visit, **data.validated_data)
        return appointment_answer(pk)


class VitalsSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=VitalsPhase.choices)
    minute = serializers.IntegerField(min_value=-120, max_value=720)
    systolic = serializers.IntegerField(min_value=0, max_value=400)
    diastolic = serializers.IntegerField(min_value=0, max_value=300)
    heart_rate = serializers.IntegerField(min_value=0, max_value=300)
    spo2 = serializers.IntegerField(min_value=0, max_value=100)


class InfusionOutputSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    event_code = serializers.CharField()
    drug = serializers.CharField(help_text='The drug, or "study drug" if you may not see the drug factor.')
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1)
    mg_per_kg = serializers.DecimalField(max_digits=7, decimal_places=3, allow_null=True)
    dose_mg = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
    started_at = serializers.DateTimeField()
    stopped_at = serializers.DateTimeField()
    minutes = serializers.FloatField()
    interruptions = serializers.IntegerField()
    completed = serializers.BooleanField()
    dissociation_score = serializers.IntegerField(allow_null=True)
    safety_flags = serializers.ListField(child=serializers.CharField())
    adverse_event_prompt = serializers.BooleanField(help_text="True when a vital passed a safety threshold.")
    vitals = VitalsSerializer(many=True)


def infusion_data(infusion: InfusionSession, user) -> dict:
    drug = presenter.infusion_drug(infusion=infusion, user=user)
    return {
        "study_id": infusion.visit.appointment.participant.study_id,
        "event_code": infusion.visit.appointment.event_code,
        "drug": drug["drug"],
        "weight_kg": infusion.weight_kg,
        "mg_per_kg": drug["mg_per_kg"],
        "dose_mg": drug["dose_mg"],
        "volume_ml": infusion.volume_ml,
        "started_at": infusion.started_at,
        "stopped_at": infusion.stopped_at,
        "minutes": round(infusion.minutes, 1),
        "interruptions": infusion.interruptions,
        "completed": infusion.completed,
        "dissociation_score": infusion.dissociation_score,
        "safety_flags": infusion.safety_flags,
        "adverse_event_prompt": bool(infusion.safety_flags) and not infusion.adverse_events.exists(),
        "vitals": list(infusion.vitals.all()),
    }


class InfusionApi(APIView):
    """Record (``POST``), read or correct (``PATCH``, with a reason) the infusion of an attended
    infusion visit."""

    class InputSerializer(serializers.Serializer):
        weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1)
        volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1)
        breath_alcohol = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0)
        started_at = serializers.DateTimeField()
        stopped_at = serializers.DateTimeField()
        completed = serializers.BooleanField()
        interruptions = serializers.IntegerField(min_value=0, max_value=100, default=0)
        dissociation_score = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
        dose_mg_given = serializers.DecimalField(
            max_digits=8,
            decimal_places=2,
            min_value=0,
            required=False,
            allow_null=True,
            help_text="Entered by the pharmacist when it differs from the computed dose.",
        )
        interval_override_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        vitals = VitalsSerializer(many=True, allow_empty=False)

    class ChangeSerializer(serializers.Serializer):
        """Only the fields given are corrected; ``vitals``, when given, replaces the readings."""

        reason = serializers.CharField(max_length=2000, help_text="Why the recorded infusion changes.")
        weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, required=False)
        volume_ml = serializers.DecimalField(max_digits=7, decimal_places=1, required=False)
        breath_alcohol = serializers.DecimalField(max_digits=4, decimal_places=2, min_value=0, required=False)
        started_at = serializers.DateTimeField(required=False)
        stopped_at = serializers.DateTimeField(required=False)
        completed = serializers.BooleanField(required=False)
        interruptions = serializers.IntegerField(min_value=0, max_value=100, required=False)
        dissociation_score = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
        dose_mg_given = serializers.DecimalField(
            max_digits=8,
            decimal_places=2,
            min_value=0,
            required=False,
            allow_null=True,
            help_text="Only from one who may see the study drug.",
        )
        interval_override_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        vitals = VitalsSerializer(many=True, allow_empty=False, required=False)

    def _infusion(self, request, pk):
        return selectors.infusion_get(appointment=selectors.appointment_get(user=request.user, pk=pk))

    @extend_schema(responses={200: InfusionOutputSerializer})
    def get(self, request, pk: int):
        return Response(InfusionOutputSerializer(infusion_data(self._infusion(request, pk), request.user)).data)

    @extend_schema(request=InputSerializer, responses={201: InfusionOutputSerializer})
    def post(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["vitals"] = [services.VitalsReading(**v) for v in values["vitals"]]
        services.infusion_record(actor=request.user, appointment=appointment, **values)
        return Response(
            InfusionOutputSerializer(infusion_data(self._infusion(request, pk), request.user)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ChangeSerializer, responses={200: InfusionOutputSerializer})
    def patch(self, request, pk: int):
        infusion = self._infusion(request, pk)
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "vitals" in values:
            values["vitals"] = [services.VitalsReading(**v) for v in values["vitals"]]
        services.infusion_update(actor=request.user, infusion=infusion, **values)
        return Response(InfusionOutputSerializer(infusion_data(self._infusion(request, pk), request.user)).data)


class SessionOutputSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    event_code = serializers.CharField()
    programme = serializers.CharField(help_text='The programme, or "psychological session" if you are blinded to it.')
    session_number = serializers.IntegerField()
    attended = serializers.BooleanField()
    minutes = serializers.IntegerField()
    therapist = serializers.CharField(allow_null=True)


def session_data(session, appointment: Appointment, user) -> dict:
    """A session as ``user`` may see it: the programme only through the blinding presenter."""
    return {
        "study_id": appointment.participant.study_id,
        "event_code": appointment.event_code,
        "programme": presenter.programme(appointment=appointment, user=user),
        "session_number": session.session_number,
        "attended": session.attended,
        "minutes": session.minutes,
        "therapist": session.therapist.get_username() if session.therapist_id else None,
    }


def _therapist(appointment: Appointment, username: str):
    """The member of staff at the participant's site named ``username`` (None for ''), else a 400."""
    if not username:
        return None
    therapist = staff_member(site=appointment.participant.site, username=username)
    if therapist is None:
        raise Invalid("unknown therapist", fields={"therapist": ["No such person at this site."]})
    return therapist


class SessionApi(APIView):
    """Record (``POST``), read or correct (``PATCH``, with a reason) the therapy or education
    session of a visit. Its programme is named only to those who may see the therapy factor, and
    is never set here: it follows the allocation."""

    class InputSerializer(serializers.Serializer):
        session_number = serializers.IntegerField(min_value=1, max_value=100)
        attended = serializers.BooleanField()
        minutes = serializers.IntegerField(min_value=0, max_value=1200)
        therapist = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text="A username.")

    class ChangeSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, help_text="Why the recorded session changes.")
        session_number = serializers.IntegerField(min_value=1, max_value=100, required=False)
        attended = serializers.BooleanField(required=False)
        minutes = serializers.IntegerField(
            min_value=0, max_value=1200, required=False, help_text="0 when not attended (the default then)."
        )
        therapist = serializers.CharField(
            max_length=150, required=False, allow_blank=True, help_text="A username; empty for nobody."
        )

    @extend_schema(responses={200: SessionOutputSerializer})
    def get(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        session = selectors.session_get(appointment=appointment)
        return Response(SessionOutputSerializer(session_data(session, appointment, request.user)).data)

    @extend_schema(request=InputSerializer, responses={201: SessionOutputSerializer})
    def post(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        therapist = _therapist(appointment, values.pop("therapist", ""))
        session = services.session_record(actor=request.user, appointment=appointment, therapist=therapist, **values)
        return Response(
            SessionOutputSerializer(session_data(session, appointment, request.user)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ChangeSerializer, responses={200: SessionOutputSerializer})
    def patch(self, request, pk: int):
        appointment = selectors.appointment_get(user=request.user, pk=pk)
        session = selectors.session_get(appointment=appointment)
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "therapist" in values:
            values["therapist"] = _therapist(appointment, values["therapist"])
        session = services.session_update(actor=request.user, session=session, **values)
        return Response(SessionOutputSerializer(session_data(session, appointment, request.user)).data)
