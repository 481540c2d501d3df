"""API of adverse events (with their reporting deadlines) and protocol deviations."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid, NotFound
from participants.blinding import presenter
from participants.models import (
    AdverseEvent,
    Causality,
    DeviationKind,
    Seriousness,
)
from participants.safety import coding, selectors
from participants.safety import services as safety
from participants.schedule.selectors import infusion_of_participant
from participants.serializers import participant_from_request


class CodingSerializer(serializers.Serializer):
    """The dictionary term the verbatim term is coded to (null before coding)."""

    dictionary = serializers.CharField(source="dictionary.__str__")
    llt_code = serializers.CharField()
    llt_name = serializers.CharField()
    pt_code = serializers.CharField()
    pt_name = serializers.CharField()
    soc_code = serializers.CharField(allow_blank=True)
    soc_name = serializers.CharField()
    coded_at = serializers.DateTimeField()
    rsi_version = serializers.CharField(allow_blank=True)

    def to_representation(self, ae):
        return super().to_representation(ae) if ae.coded_at is not None else None


class AdverseEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField(source="participant.study_id")
    term = serializers.CharField()
    onset_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True)
    grade = serializers.IntegerField()
    serious = serializers.BooleanField()
    seriousness = serializers.ListField(child=serializers.CharField())
    drug_causality = serializers.ChoiceField(choices=Causality.choices, help_text="Relatedness to the study drug.")
    therapy_causality = serializers.ChoiceField(choices=Causality.choices, help_text="Relatedness to the therapy.")
    expected = serializers.BooleanField(help_text="The investigator's assessment of expectedness.")
    rsi_expected = serializers.BooleanField(
        allow_null=True, help_text="Whether the protocol's reference safety information lists the coded PT."
    )
    unexpected = serializers.BooleanField(help_text="Unexpected by the RSI or by the investigator.")
    susar = serializers.BooleanField()
    coding = CodingSerializer(source="*", allow_null=True)
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
    drug_causality = serializers.ChoiceField(choices=safety.ASSESSED)
    therapy_causality = serializers.ChoiceField(choices=safety.ASSESSED)
    expected = serializers.BooleanField()
    action_taken = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    outcome = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    infusion_appointment = serializers.IntegerField(required=False, allow_null=True)


class ParticipantAdverseEventsApi(GenericAPIView):
    """The participant's adverse events; ``POST`` records one."""

    serializer_class = AdverseEventSerializer
    paginated_list = True

    @extend_schema(parameters=[OpenApiParameter("trial", str)])
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        page = self.paginate_queryset(selectors.adverse_events_of(participant=participant))
        return self.get_paginated_response(AdverseEventSerializer([ae_data(a) for a in page], many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)],
        request=AdverseEventInputSerializer,
        responses={201: AdverseEventSerializer},
    )
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = AdverseEventInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        infusion = None
        if values.get("infusion_appointment") is not None:
            infusion = infusion_of_participant(participant=participant, appointment_id=values["infusion_appointment"])
            if infusion is None:
                raise Invalid("unknown infusion", fields={"infusion_appointment": ["No infusion of this participant."]})
        values.pop("infusion_appointment", None)
        ae = safety.adverse_event_record(actor=request.user, participant=participant, infusion=infusion, **values)
        return Response(
            AdverseEventSerializer(ae_data(selectors.adverse_event_get(user=request.user, pk=ae.pk))).data,
            status=status.HTTP_201_CREATED,
        )


class AdverseEventDetailApi(APIView):
    """Read an adverse event, or change it (``PATCH``) with a reason."""

    class ChangeSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        end_date = serializers.DateField(required=False, allow_null=True)
        grade = serializers.IntegerField(min_value=1, max_value=5, required=False)
        seriousness = serializers.ListField(child=serializers.ChoiceField(choices=Seriousness.choices), required=False)
        drug_causality = serializers.ChoiceField(choices=safety.ASSESSED, required=False)
        therapy_causality = serializers.ChoiceField(choices=safety.ASSESSED, required=False)
        expected = serializers.BooleanField(required=False)
        action_taken = serializers.CharField(max_length=300, required=False, allow_blank=True)
        outcome = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(responses={200: AdverseEventSerializer})
    def get(self, request, pk: int):
        return Response(AdverseEventSerializer(ae_data(selectors.adverse_event_get(user=request.user, pk=pk))).data)

    @extend_schema(request=ChangeSerializer, responses={200: AdverseEventSerializer})
    def patch(self, request, pk: int):
        ae = selectors.adverse_event_get(user=request.user, pk=pk)
        data = self.ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason")
        safety.adverse_event_update(actor=request.user, ae=ae, reason=reason, **values)
        return Response(AdverseEventSerializer(ae_data(selectors.adverse_event_get(user=request.user, pk=pk))).data)


class AdverseEventReportApi(APIView):
    """Record that a serious event was reported to the sponsor or the regulator."""

    class InputSerializer(serializers.Serializer):
        to = serializers.ChoiceField(choices=["sponsor", "regulator"])
        reported_at = serializers.DateTimeField(required=False)

    @extend_schema(request=InputSerializer, responses={200: AdverseEventSerializer})
    def post(self, request, pk: int):
        ae = selectors.adverse_event_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        safety.adverse_event_report(actor=request.user, ae=ae, **data.validated_data)
        return Response(AdverseEventSerializer(ae_data(selectors.adverse_event_get(user=request.user, pk=pk))).data)


class CodingWorklistApi(GenericAPIView):
    """Adverse events awaiting coding at the sites where the caller codes (a data manager's);
    ``?coded=true`` lists those coded instead. 403 for one who codes nowhere."""

    serializer_class = AdverseEventSerializer
    paginated_list = True

    @extend_schema(parameters=[OpenApiParameter("coded", bool)])
    def get(self, request):
        coded = request.query_params.get("coded", "")
        if coded not in ("", "true", "false"):
            raise Invalid("not a boolean", fields={"coded": ["Use true or false."]})
        page = self.paginate_queryset(selectors.coding_worklist(user=request.user, coded=coded == "true"))
        return self.get_paginated_response(AdverseEventSerializer([ae_data(a) for a in page], many=True).data)


class AdverseEventCodingApi(APIView):
    """Code the event's verbatim term to a dictionary term (its id, from ``/api/dictionaries/terms/``);
    changing a coding needs a reason. The verbatim term is never changed."""

    class InputSerializer(serializers.Serializer):
        term = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A dictionary term's id.")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: AdverseEventSerializer})
    def post(self, request, pk: int):
        ae = selectors.adverse_event_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            term = selectors.dictionary_term_get(pk=data.validated_data["term"])
        except NotFound:
            raise Invalid("unknown term", fields={"term": ["No such dictionary term."]}) from None
        coding.adverse_event_code(actor=request.user, adverse_event=ae, term=term, reason=data.validated_data["reason"])
        return Response(AdverseEventSerializer(ae_data(selectors.adverse_event_get(user=request.user, pk=pk))).data)


class DictionaryReleaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    version = serializers.CharField()
    loaded_at = serializers.DateTimeField()
    terms_loaded = serializers.IntegerField()
    sha256 = serializers.DictField(child=serializers.CharField(), help_text="Each file's SHA-256, as loaded.")


class DictionaryReleasesApi(APIView):
    """The dictionary releases loaded, newest first within each kind."""

    @extend_schema(responses={200: DictionaryReleaseSerializer(many=True)})
    def get(self, request):
        return Response(DictionaryReleaseSerializer(selectors.dictionary_releases(), many=True).data)


class DictionaryTermSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    dictionary = serializers.CharField(source="release.__str__")
    llt_code = serializers.CharField()
    llt_name = serializers.CharField()
    pt_code = serializers.CharField()
    pt_name = serializers.CharField()
    soc_code = serializers.CharField(allow_blank=True)
    soc_name = serializers.CharField()


class DictionaryTermsApi(APIView):
    """Current terms whose name holds ``q`` (two characters at least), of ``release`` or else the
    newest release of each kind; at most twenty, those starting with ``q`` first."""

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True), OpenApiParameter("release", int)],
        responses={200: DictionaryTermSerializer(many=True)},
    )
    def get(self, request):
        release = request.query_params.get("release", "")
        if release and not (release.isascii() and release.isdigit() and len(release) <= 18):
            raise Invalid("not a release id", fields={"release": ["Give a release's id."]})
        found = selectors.dictionary_terms_search(
            query=request.query_params.get("q", ""), release_id=int(release) if release else None
        )
        return Response(DictionaryTermSerializer(found, many=True).data)


class DeadlineSerializer(serializers.Serializer):
    adverse_event = AdverseEventSerializer()
    report_to = serializers.ChoiceField(choices=["sponsor", "regulator"])
    due = serializers.DateTimeField()
    overdue = serializers.BooleanField()


class DeadlinesApi(APIView):
    """Serious events still to be reported, soonest deadline first, at the caller's sites."""

    @extend_schema(responses={200: DeadlineSerializer(many=True)})
    def get(self, request):
        rows = [
            {"adverse_event": ae_data(d.adverse_event), "report_to": d.report_to, "due": d.due, "overdue": d.overdue}
            for d in selectors.reporting_deadlines(user=request.user)
        ]
        return Response(DeadlineSerializer(rows, many=True).data)


def deviations_shown(deviations, user) -> list:
    """The deviations with ``description_shown``: their description as ``user`` may read it."""
    per_site: dict = {}
    rows = list(deviations)
    for deviation in rows:
        deviation.description_shown = presenter.deviation_description(deviation, user=user, per_site=per_site)
    return rows


class DeviationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField(source="participant.study_id")
    event_code = serializers.CharField(source="appointment.event_code", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=DeviationKind.choices)
    description = serializers.CharField(source="description_shown")
    automatic = serializers.BooleanField()
    occurred_on = serializers.DateField()
    important = serializers.BooleanField(allow_null=True)
    review_note = serializers.CharField(allow_blank=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)


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
        participant = participant_from_request(request, study_id)
        page = self.paginate_queryset(selectors.deviations_of(participant=participant))
        return self.get_paginated_response(DeviationSerializer(deviations_shown(page, request.user), many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("trial", str)], request=InputSerializer, responses={201: DeviationSerializer}
    )
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deviation = safety.deviation_record(actor=request.user, participant=participant, **data.validated_data)
        [shown] = deviations_shown([deviation], request.user)
        return Response(DeviationSerializer(shown).data, status=status.HTTP_201_CREATED)


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
        found = selectors.deviations_list(
            user=request.user,
            trial_code=params.get("trial", ""),
            site_code=params.get("site", ""),
            reviewed=params.get("reviewed", ""),
        )
        page = self.paginate_queryset(found)
        return self.get_paginated_response(DeviationSerializer(deviations_shown(page, request.user), many=True).data)


class DeviationReviewApi(APIView):
    """Class a deviation as important or not."""

    class InputSerializer(serializers.Serializer):
        important = serializers.BooleanField()
        note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={200: DeviationSerializer})
    def post(self, request, pk: int):
        deviation = selectors.deviation_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deviation = safety.deviation_review(actor=request.user, deviation=deviation, **data.validated_data)
        [shown] = deviations_shown([deviation], request.user)
        return Response(DeviationSerializer(shown).data)
