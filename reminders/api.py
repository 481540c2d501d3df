"""API of reminders: a participant's contact preferences and outbox, and the escalation worklist.

Contact preferences are read and written by the roles that may read identities (coordinators,
investigators); the outbox shows states and times, never contact details or texts.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import READ_IDENTITY
from participants.guards import require_role
from participants.selectors import participant_get
from reminders import selectors, services
from reminders.models import Channel, ContactPreference, Kind, Language, State

_TRIAL_PARAM = OpenApiParameter("trial", str, description="A trial code, when a study id is used in several trials.")


def _participant(request, study_id: str):
    return participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


class ContactPreferenceSerializer(serializers.Serializer):
    email_consent = serializers.BooleanField()
    sms_consent = serializers.BooleanField()
    email_opted_out_at = serializers.DateTimeField(allow_null=True, read_only=True)
    sms_opted_out_at = serializers.DateTimeField(allow_null=True, read_only=True)
    time_zone = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    preferred_time = serializers.TimeField(required=False, allow_null=True, default=None)
    quiet_start = serializers.TimeField(required=False, allow_null=True, default=None)
    quiet_end = serializers.TimeField(
        required=False, allow_null=True, default=None, help_text="Before quiet_start for overnight (22:00 to 07:00)."
    )
    language = serializers.ChoiceField(choices=Language.choices, required=False, default=Language.ENGLISH)


class ContactPreferenceApi(APIView):
    """A participant's contact preferences; ``PUT`` replaces them and re-plans their reminders."""

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: ContactPreferenceSerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        require_role(request.user, READ_IDENTITY, site=participant.site, doing="read contact preferences here")
        preference = selectors.contact_preference_of(participant=participant)
        if preference is None:
            preference = ContactPreference(participant=participant, time_zone=participant.site.time_zone)
        return Response(ContactPreferenceSerializer(preference).data)

    @extend_schema(
        parameters=[_TRIAL_PARAM], request=ContactPreferenceSerializer, responses={200: ContactPreferenceSerializer}
    )
    def put(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = ContactPreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.contact_preferences_set(
            actor=request.user, participant=participant, **data.validated_data
        )
        return Response(ContactPreferenceSerializer(preference).data)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    event_code = serializers.CharField(source="appointment.event_code", allow_null=True, default=None)
    subject_date = serializers.DateField()
    offset_days = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=State.choices)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    cancel_reason = serializers.CharField(allow_blank=True)
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


class ParticipantNotificationsApi(GenericAPIView):
    """A participant's reminders, planned and past: when, by which channel, in which state."""

    paginated_list = True
    serializer_class = NotificationSerializer

    @extend_schema(parameters=[_TRIAL_PARAM, OpenApiParameter("state", str, enum=State.values)])
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        rows = selectors.notifications_of(participant=participant, state=request.query_params.get("state", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class WorklistEntrySerializer(serializers.Serializer):
    what = serializers.ChoiceField(choices=["overdue", "failed", "reschedule"])
    trial = serializers.CharField()
    site = serializers.CharField()
    study_id = serializers.CharField()
    event_code = serializers.CharField(allow_blank=True)
    appointment_id = serializers.IntegerField(allow_null=True)
    date = serializers.DateField()
    detail = serializers.CharField(allow_blank=True)


class ReminderWorklistApi(GenericAPIView):
    """Escalations for the caller's sites: overdue visits, reminders that failed, requests to reschedule."""

    paginated_list = True
    serializer_class = WorklistEntrySerializer

    @extend_schema(parameters=[OpenApiParameter("site", str, description="A site code.")])
    def get(self, request):
        sites = [request.query_params["site"]] if request.query_params.get("site") else None
        page = self.paginate_queryset(selectors.worklist_entries(user=request.user, site_codes=sites))
        return self.get_paginated_response(WorklistEntrySerializer(page, many=True).data)
