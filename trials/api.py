"""Read-only API of trials and their protocols: versions, arms, schedule and settings."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import HistoryEventSerializer
from core.errors import Invalid
from core.pagination import HistoryPagination
from trials import selectors


class SiteSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    time_zone = serializers.CharField()


class TrialSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    sponsor = serializers.CharField()
    registry_ids = serializers.ListField(child=serializers.CharField())
    current_version = serializers.IntegerField(source="current.number")
    current_label = serializers.CharField(source="current.label")
    versions = serializers.IntegerField(source="version_count")


def _trial_data(trial):
    trial.current = trial.version_on()
    trial.version_count = trial.versions.count()
    return trial


class TrialListApi(GenericAPIView):
    """The trials the caller belongs to."""

    paginated_list = True

    serializer_class = TrialSerializer

    def get_queryset(self):
        return selectors.trials_visible(user=self.request.user)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TrialSerializer([_trial_data(t) for t in page], many=True).data)


class TrialDetailApi(APIView):
    """One trial, with the sites the caller may see."""

    class OutputSerializer(TrialSerializer):
        sites = SiteSerializer(source="sites_list", many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, code: str):
        trial = _trial_data(selectors.trial_get(user=request.user, code=code))
        trial.sites_list = selectors.sites_visible(user=request.user, trial=trial)
        return Response(self.OutputSerializer(trial).data)


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    label = serializers.CharField()
    effective_date = serializers.DateField()
    reason = serializers.CharField(allow_blank=True)
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
    is_amendment = serializers.BooleanField()


class VersionListApi(GenericAPIView):
    """Every version of a trial's protocol, the first and its amendments."""

    paginated_list = True

    serializer_class = VersionSummarySerializer

    def get(self, request, code: str):
        trial = selectors.trial_get(user=request.user, code=code)
        page = self.paginate_queryset(trial.versions.order_by("number"))
        return self.get_paginated_response(VersionSummarySerializer(page, many=True).data)


class VersionDetailApi(APIView):
    """One protocol version with its whole document."""

    class OutputSerializer(VersionSummarySerializer):
        document = serializers.JSONField()

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, code: str, number: int):
        trial = selectors.trial_get(user=request.user, code=code)
        return Response(self.OutputSerializer(selectors.version_get(trial=trial, number=number)).data)


_VERSION_PARAM = OpenApiParameter(
    "version", int, description="A protocol version number; the version in force today by default."
)


def _version(request, code: str):
    trial = selectors.trial_get(user=request.user, code=code)
    raw = request.query_params.get("version")
    number = None
    if raw not in (None, ""):
        try:
            number = int(raw)
        except ValueError:
            raise Invalid(
                "version must be a whole number", fields={"version": ["A valid integer is required."]}
            ) from None
    return selectors.version_get(trial=trial, number=number)


class ArmSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    ratio = serializers.IntegerField()
    levels = serializers.DictField(child=serializers.CharField())


class FactorSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    levels = serializers.ListField(child=serializers.DictField())
    visible_to = serializers.ListField(child=serializers.CharField())
    # Documents stored before the setting existed lack it: the protocol then reads it as true.
    assessed_blind = serializers.BooleanField(
        default=True, help_text="Outcomes are assessed blind to this factor: the roles that see it enter none."
    )


class DesignApi(APIView):
    """The design of a protocol version: factors with their levels, and the arms as their cells."""

    class OutputSerializer(serializers.Serializer):
        version = serializers.IntegerField()
        factors = FactorSerializer(many=True)
        arms = ArmSerializer(many=True)
        randomisation = serializers.JSONField()

    @extend_schema(parameters=[_VERSION_PARAM], responses={200: OutputSerializer})
    def get(self, request, code: str):
        version = _version(request, code)
        doc = version.document
        return Response(
            self.OutputSerializer(
                {
                    "version": version.number,
                    "factors": doc["factors"],
                    "arms": doc["arms"],
                    "randomisation": doc["randomisation"],
                }
            ).data
        )


class EventSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.CharField()
    anchor = serializers.CharField()
    day = serializers.IntegerField()
    window = serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2)
    procedures = serializers.ListField(child=serializers.CharField())
    optional = serializers.BooleanField()


class ScheduleApi(APIView):
    """The visit schedule of a protocol version: events, anchors, target days and windows."""

    class OutputSerializer(serializers.Serializer):
        version = serializers.IntegerField()
        events = EventSerializer(many=True)

    @extend_schema(parameters=[_VERSION_PARAM], responses={200: OutputSerializer})
    def get(self, request, code: str):
        version = _version(request, code)
        return Response(self.OutputSerializer({"version": version.number, "events": version.document["schedule"]}).data)


class SettingsApi(APIView):
    """Eligibility, consent forms, dosing, therapy, outcome and reminder settings of a version."""

    class OutputSerializer(serializers.Serializer):
        version = serializers.IntegerField()
        eligibility = serializers.JSONField()
        consent_forms = serializers.JSONField()
        dosing = serializers.JSONField(allow_null=True)
        therapy = serializers.JSONField(allow_null=True)
        outcomes = serializers.JSONField()
        reminders = serializers.JSONField()
        unblinding = serializers.JSONField()

    @extend_schema(parameters=[_VERSION_PARAM], responses={200: OutputSerializer})
    def get(self, request, code: str):
        version = _version(request, code)
        doc = version.document
        keys = ["eligibility", "consent_forms", "dosing", "therapy", "outcomes", "reminders", "unblinding"]
        return Response(self.OutputSerializer({"version": version.number, **{k: doc.get(k) for k in keys}}).data)


class ProtocolHistoryApi(GenericAPIView):
    """The audit trail of the trial's protocol records: every insert, update and delete."""

    paginated_list = True

    serializer_class = HistoryEventSerializer
    pagination_class = HistoryPagination

    def get(self, request, code: str):
        trial = selectors.trial_get(user=request.user, code=code)
        page = self.paginate_queryset(selectors.protocol_history(user=request.user, trial=trial))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)
