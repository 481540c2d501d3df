"""API of appointments, visits, infusions, sessions, adverse events and protocol deviations.

Site scoping: every object is reached through the participant's site (another site's id is a 404).
Blinding: the infusion dose in mg and mg/kg are shown only to users who may see the dosing factor;
a session's programme only to users who may see the therapy factor ("psychological session"
otherwise).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core import permissions
from core.clock import today_at
from core.errors import Invalid, NotFound
from participants import appointments as appointment_services
from participants import blinding, safety, selectors, visits
from participants.models import (
    AdverseEvent,
    Appointment,
    Causality,
    Deviation,
    DeviationKind,
    InfusionSession,
    Seriousness,
    VitalsPhase,
)
from trials.models import Site

# --- reading helpers ----------------------------------------------------------------------------


def _appointment(request, pk: int) -> Appointment:
    appointment = (
        Appointment.objects.filter(pk=pk, participant__site_id__in=permissions.site_ids(request.user))
        .select_related("participant__site", "participant__trial", "protocol_version")
        .first()
    )
    if appointment is None:
        raise NotFound("no such appointment")
    return appointment


def _participant(request, study_id: str):
    return selectors.participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


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
    status = serializers.ChoiceField(choices=["upcoming", "due", "overdue", "done", "missed", "cancelled"])
    window_state = serializers.ChoiceField(choices=["early", "in_window", "late"])
    note = serializers.CharField(allow_blank=True)
    visit = VisitSerializer(allow_null=True)


def appointment_data(appointment: Appointment, today: dt.date) -> dict:
    visit = getattr(appointment, "visit", None) if hasattr(appointment, "visit") else None
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
        "status": appointment_services.display_status(appointment, today),
        "window_state": appointment_services.window_state(appointment, visit.actual_date if visit else None),
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


def _with_visit(qs):
    return qs.select_related("participant__site", "visit__seen_by")


# --- appointments -----------------------------------------------------------------------------------


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
        participant = _participant(request, study_id)
        today = today_at(participant.site)
        qs = _with_visit(participant.appointments.all()).order_by("sequence", "booked_date", "pk")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(
            AppointmentSerializer([appointment_data(a, today) for a in page], many=True).data
        )

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)], request=InputSerializer, responses={201: AppointmentSerializer}
    )
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = appointment_services.appointment_add_unscheduled(
            actor=request.user, participant=participant, **data.validated_data
        )
        appointment = _with_visit(Appointment.objects.filter(pk=appointment.pk)).get()
        return Response(
            AppointmentSerializer(appointment_data(appointment, today_at(participant.site))).data,
            status=status.HTTP_201_CREATED,
        )


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
        sites = Site.objects.filter(pk__in=permissions.site_ids(request.user))
        if params.get("trial"):
            sites = sites.filter(trial__code=params["trial"])
        if params.get("site"):
            sites = sites.filter(code=params["site"])
        sites = list(sites)
        today = min((today_at(s) for s in sites), default=dt.date.today())
        due_before = today + dt.timedelta(days=7)
        if params.get("due_before"):
            try:
                due_before = dt.date.fromisoformat(params["due_before"])
            except ValueError:
                raise Invalid("not a date", fields={"due_before": ["Use the form YYYY-MM-DD."]}) from None
        qs = _with_visit(
            Appointment.objects.filter(
                participant__site__in=sites, status="scheduled", window_start__lte=due_before
            ).order_by("window_end", "participant__study_id", "sequence")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(
            AppointmentSerializer([appointment_data(a, today) for a in page], many=True).data
        )


class RescheduleApi(APIView):
    """Book the appointment on another date; outside its window a reason is needed and a candidate
    deviation is recorded."""

    class InputSerializer(serializers.Serializer):
        booked_date = serializers.DateField()
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = _appointment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment_services.appointment_reschedule(actor=request.user, appointment=appointment, **data.validated_data)
        appointment = _with_visit(Appointment.objects.filter(pk=pk)).get()
        return Response(
            AppointmentSerializer(appointment_data(appointment, today_at(appointment.participant.site))).data
        )


class CancelApi(APIView):
    """Cancel an open appointment, with a reason."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = _appointment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment_services.appointment_cancel(actor=request.user, appointment=appointment, **data.validated_data)
        appointment = _with_visit(Appointment.objects.filter(pk=pk)).get()
        return Response(
            AppointmentSerializer(appointment_data(appointment, today_at(appointment.participant.site))).data
        )


class VisitApi(APIView):
    """``POST`` records the visit (attended or missed); ``PATCH`` corrects its date with a reason."""

    class InputSerializer(serializers.Serializer):
        actual_date = serializers.DateField()
        attended = serializers.BooleanField()
        missed_reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
        seen_by = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text="A username.")

    class ChangeSerializer(serializers.Serializer):
        actual_date = serializers.DateField()
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={201: AppointmentSerializer})
    def post(self, request, pk: int):
        appointment = _appointment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        seen_by = request.user
        if values.get("seen_by"):
            seen_by = (
                get_user_model()
                .objects.filter(
                    username=values["seen_by"], memberships__site=appointment.participant.site, is_active=True
                )
                .first()
            )
            if seen_by is None:
                raise Invalid("unknown person", fields={"seen_by": ["No such person at this site."]})
        values["seen_by"] = seen_by
        visits.visit_record(actor=request.user, appointment=appointment, **values)
        appointment = _with_visit(Appointment.objects.filter(pk=pk)).get()
        return Response(
            AppointmentSerializer(appointment_data(appointment, today_at(appointment.participant.site))).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ChangeSerializer, responses={200: AppointmentSerializer})
    def patch(self, request, pk: int):
        appointment = _appointment(request, pk)
        visit = getattr(appointment, "visit", None) if hasattr(appointment, "visit") else None
        if visit is None:
            raise NotFound("the visit is not recorded yet")
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visits.visit_update(actor=request.user, visit=visit, **data.validated_data)
        appointment = _with_visit(Appointment.objects.filter(pk=pk)).get()
        return Response(
            AppointmentSerializer(appointment_data(appointment, today_at(appointment.participant.site))).data
        )


# --- infusions and sessions ----------------------------------------------------------------------------


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
    participant = infusion.visit.appointment.participant
    protocol = infusion.visit.appointment.protocol_version.protocol
    sees_drug = protocol.dosing.factor in blinding.visible_for_participant(user=user, participant=participant)
    drug = "study drug"
    if sees_drug:
        level = blinding.arm_levels(participant.allocation)[protocol.dosing.factor]
        drug = protocol.dose_for(level).drug
    return {
        "study_id": participant.study_id,
        "event_code": infusion.visit.appointment.event_code,
        "drug": drug,
        "weight_kg": infusion.weight_kg,
        "mg_per_kg": infusion.mg_per_kg if sees_drug else None,
        "dose_mg": infusion.dose_mg if sees_drug else None,
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
    """Record (``POST``) or read the infusion of an attended infusion visit."""

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

    def _infusion(self, request, pk):
        appointment = _appointment(request, pk)
        infusion = (
            InfusionSession.objects.filter(visit__appointment=appointment)
            .select_related("visit__appointment__participant__allocation__arm", "visit__appointment__protocol_version")
            .first()
        )
        if infusion is None:
            raise NotFound("no infusion is recorded for this appointment")
        return infusion

    @extend_schema(responses={200: InfusionOutputSerializer})
    def get(self, request, pk: int):
        return Response(InfusionOutputSerializer(infusion_data(self._infusion(request, pk), request.user)).data)

    @extend_schema(request=InputSerializer, responses={201: InfusionOutputSerializer})
    def post(self, request, pk: int):
        appointment = _appointment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["vitals"] = [visits.VitalsReading(**v) for v in values["vitals"]]
        visits.infusion_record(actor=request.user, appointment=appointment, **values)
        return Response(
            InfusionOutputSerializer(infusion_data(self._infusion(request, pk), request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class SessionOutputSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    event_code = serializers.CharField()
    programme = serializers.CharField(help_text='The programme, or "psychological session" if you are blinded to it.')
    session_number = serializers.IntegerField()
    attended = serializers.BooleanField()
    minutes = serializers.IntegerField()
    therapist = serializers.CharField(allow_null=True)


class SessionApi(APIView):
    """Record the therapy or education session of a visit."""

    class InputSerializer(serializers.Serializer):
        session_number = serializers.IntegerField(min_value=1, max_value=100)
        attended = serializers.BooleanField()
        minutes = serializers.IntegerField(min_value=0, max_value=1200)
        therapist = serializers.CharField(max_length=150, required=False, allow_blank=True, help_text="A username.")

    @extend_schema(request=InputSerializer, responses={201: SessionOutputSerializer})
    def post(self, request, pk: int):
        appointment = _appointment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        therapist = None
        if values.pop("therapist", ""):
            therapist = (
                get_user_model()
                .objects.filter(
                    username=request.data.get("therapist"),
                    memberships__site=appointment.participant.site,
                    is_active=True,
                )
                .first()
            )
            if therapist is None:
                raise Invalid("unknown therapist", fields={"therapist": ["No such person at this site."]})
        session = visits.session_record(actor=request.user, appointment=appointment, therapist=therapist, **values)
        participant = appointment.participant
        protocol = appointment.protocol_version.protocol
        label = protocol.factor(protocol.therapy.factor).blinded_label or "psychological session"
        if protocol.therapy.factor in blinding.visible_for_participant(user=request.user, participant=participant):
            level = blinding.arm_levels(participant.allocation)[protocol.therapy.factor]
            label = next(p.title for p in protocol.therapy.programmes if p.level == level)
        out = {
            "study_id": participant.study_id,
            "event_code": appointment.event_code,
            "programme": label,
            "session_number": session.session_number,
            "attended": session.attended,
            "minutes": session.minutes,
            "therapist": therapist.get_username() if therapist else None,
        }
        return Response(SessionOutputSerializer(out).data, status=status.HTTP_201_CREATED)


# --- adverse events ------------------------------------------------------------------------------------


class AdverseEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField(source="participant.study_id")
    term = serializers.CharField()
    onset_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    grade = serializers.IntegerField()
    serious = serializers.BooleanField()
    seriousness = serializers.ListField(child=serializers.CharField())
    causality = serializers.CharField()
    expected = serializers.BooleanField()
    susar = serializers.BooleanField()
    action_taken = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField(allow_blank=True)
    infusion_event = serializers.CharField(allow_null=True)
    aware_at = serializers.DateTimeField()
    sponsor_due = serializers.DateTimeField(allow_null=True)
    sponsor_reported_at = serializers.DateTimeField(allow_null=True)
    regulator_due = serializers.DateTimeField(allow_null=True)
    regulator_reported_at = serializers.DateTimeField(allow_null=True)


def ae_data(ae: AdverseEvent) -> AdverseEvent:
    due = safety.deadlines(ae)
    ae.sponsor_due = due["sponsor"]
    ae.regulator_due = due["regulator"]
    ae.infusion_event = ae.infusion.visit.appointment.event_code if ae.infusion_id else None
    return ae


class AdverseEventInputSerializer(serializers.Serializer):
    term = serializers.CharField(max_length=300)
    onset_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    grade = serializers.IntegerField(min_value=1, max_value=5)
    seriousness = serializers.ListField(
        child=serializers.ChoiceField(choices=Seriousness.choices), required=False, default=list
    )
    causality = serializers.ChoiceField(choices=Causality.choices)
    expected = serializers.BooleanField()
    action_taken = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    infusion_appointment = serializers.IntegerField(required=False, allow_null=True)


def _ae_queryset():
    return AdverseEvent.objects.select_related("participant", "infusion__visit__appointment")


class ParticipantAdverseEventsApi(GenericAPIView):
    """The participant's adverse events; ``POST`` records one."""

    serializer_class = AdverseEventSerializer
    paginated_list = True

    @extend_schema(parameters=[OpenApiParameter("trial", str)])
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        page = self.paginate_queryset(_ae_queryset().filter(participant=participant))
        return self.get_paginated_response(AdverseEventSerializer([ae_data(a) for a in page], many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)],
        request=AdverseEventInputSerializer,
        responses={201: AdverseEventSerializer},
    )
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = AdverseEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        infusion = None
        if values.get("infusion_appointment") is not None:
            infusion = InfusionSession.objects.filter(
                visit__appointment_id=values["infusion_appointment"], visit__appointment__participant=participant
            ).first()
            if infusion is None:
                raise Invalid("unknown infusion", fields={"infusion_appointment": ["No infusion of this participant."]})
        values.pop("infusion_appointment", None)
        ae = safety.adverse_event_record(actor=request.user, participant=participant, infusion=infusion, **values)
        return Response(
            AdverseEventSerializer(ae_data(_ae_queryset().get(pk=ae.pk))).data, status=status.HTTP_201_CREATED
        )


def _ae(request, pk: int) -> AdverseEvent:
    ae = _ae_queryset().filter(pk=pk, participant__site_id__in=permissions.site_ids(request.user)).first()
    if ae is None:
        raise NotFound("no such adverse event")
    return ae


class AdverseEventDetailApi(APIView):
    """Read an adverse event, or change it (``PATCH``) with a reason."""

    class ChangeSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        end_date = serializers.DateField(required=False, allow_null=True)
        grade = serializers.IntegerField(min_value=1, max_value=5, required=False)
        seriousness = serializers.ListField(child=serializers.ChoiceField(choices=Seriousness.choices), required=False)
        causality = serializers.ChoiceField(choices=Causality.choices, required=False)
        expected = serializers.BooleanField(required=False)
        action_taken = serializers.CharField(max_length=300, required=False, allow_blank=True)
        outcome = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(responses={200: AdverseEventSerializer})
    def get(self, request, pk: int):
        return Response(AdverseEventSerializer(ae_data(_ae(request, pk))).data)

    @extend_schema(request=ChangeSerializer, responses={200: AdverseEventSerializer})
    def patch(self, request, pk: int):
        ae = _ae(request, pk)
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason")
        safety.adverse_event_update(actor=request.user, ae=ae, reason=reason, **values)
        return Response(AdverseEventSerializer(ae_data(_ae(request, pk))).data)


class AdverseEventReportApi(APIView):
    """Record that a serious event was reported to the sponsor or the regulator."""

    class InputSerializer(serializers.Serializer):
        to = serializers.ChoiceField(choices=["sponsor", "regulator"])
        reported_at = serializers.DateTimeField(required=False)

    @extend_schema(request=InputSerializer, responses={200: AdverseEventSerializer})
    def post(self, request, pk: int):
        ae = _ae(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        safety.adverse_event_report(actor=request.user, ae=ae, **data.validated_data)
        return Response(AdverseEventSerializer(ae_data(_ae(request, pk))).data)


class DeadlineSerializer(serializers.Serializer):
    adverse_event = AdverseEventSerializer()
    report_to = serializers.ChoiceField(choices=["sponsor", "regulator"])
    due = serializers.DateTimeField()
    overdue = serializers.BooleanField()


class DeadlinesApi(APIView):
    """Serious events still to be reported, soonest deadline first, at the caller's sites."""

    @extend_schema(responses={200: DeadlineSerializer(many=True)})
    def get(self, request):
        from django.db.models import Q
        from django.utils import timezone

        now = timezone.now()
        rows = []
        qs = _ae_queryset().filter(participant__site_id__in=permissions.site_ids(request.user)).exclude(seriousness=[])
        qs = qs.filter(Q(sponsor_reported_at__isnull=True) | Q(regulator_reported_at__isnull=True))
        for ae in qs:
            due = safety.deadlines(ae)
            for to in ("sponsor", "regulator"):
                if due[to] is not None and getattr(ae, f"{to}_reported_at") is None:
                    rows.append(
                        {"adverse_event": ae_data(ae), "report_to": to, "due": due[to], "overdue": due[to] < now}
                    )
        rows.sort(key=lambda r: r["due"])
        return Response(DeadlineSerializer(rows, many=True).data)


# --- deviations ----------------------------------------------------------------------------------------


class DeviationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField(source="participant.study_id")
    event_code = serializers.CharField(source="appointment.event_code", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=DeviationKind.choices)
    description = serializers.CharField()
    automatic = serializers.BooleanField()
    occurred_on = serializers.DateField()
    important = serializers.BooleanField(allow_null=True)
    review_note = serializers.CharField(allow_blank=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)


def _deviations():
    return Deviation.objects.select_related("participant", "appointment")


class ParticipantDeviationsApi(GenericAPIView):
    """The participant's protocol deviations; ``POST`` records one by hand."""

    serializer_class = DeviationSerializer
    paginated_list = True

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DeviationKind.choices)
        description = serializers.CharField(max_length=4000)
        occurred_on = serializers.DateField()

    @extend_schema(parameters=[OpenApiParameter("trial", str)])
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        page = self.paginate_queryset(_deviations().filter(participant=participant))
        return self.get_paginated_response(DeviationSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)], request=InputSerializer, responses={201: DeviationSerializer}
    )
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deviation = safety.deviation_record(actor=request.user, participant=participant, **data.validated_data)
        return Response(DeviationSerializer(deviation).data, status=status.HTTP_201_CREATED)


class DeviationListApi(GenericAPIView):
    """Deviations at the caller's sites; ``?reviewed=false`` for those awaiting review."""

    serializer_class = DeviationSerializer
    paginated_list = True

    @extend_schema(
        parameters=[
            OpenApiParameter("site", str),
            OpenApiParameter("trial", str),
            OpenApiParameter("reviewed", bool),
        ]
    )
    def get(self, request):
        params = request.query_params
        qs = _deviations().filter(participant__site_id__in=permissions.site_ids(request.user))
        if params.get("trial"):
            qs = qs.filter(participant__trial__code=params["trial"])
        if params.get("site"):
            qs = qs.filter(participant__site__code=params["site"])
        if params.get("reviewed") in ("true", "false"):
            qs = qs.filter(reviewed_at__isnull=params["reviewed"] == "false")
        elif params.get("reviewed"):
            raise Invalid("not a boolean", fields={"reviewed": ["Use true or false."]})
        page = self.paginate_queryset(qs.order_by("occurred_on", "pk"))
        return self.get_paginated_response(DeviationSerializer(page, many=True).data)


class DeviationReviewApi(APIView):
    """Class a deviation as important or not."""

    class InputSerializer(serializers.Serializer):
        important = serializers.BooleanField()
        note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: DeviationSerializer})
    def post(self, request, pk: int):
        deviation = _deviations().filter(pk=pk, participant__site_id__in=permissions.site_ids(request.user)).first()
        if deviation is None:
            raise NotFound("no such deviation")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deviation = safety.deviation_review(actor=request.user, deviation=deviation, **data.validated_data)
        return Response(DeviationSerializer(deviation).data)
