"""API of drinking days (TLFB), biomarkers, questionnaires and the drinking endpoints.

Views are thin: input serializers check shapes, services decide and write, selectors read
(site-scoped); factor levels appear only where :mod:`participants.blinding` allows.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.missing import MissingCode, MissingReasonsField
from outcomes import selectors, services
from outcomes.instruments import INSTRUMENTS
from outcomes.models import BiomarkerKind, Source, Unit
from participants.selectors import participant_get
from trials.selectors import trial_get

_TRIAL_PARAM = OpenApiParameter("trial", str, description="A trial code, when a study id is used in several trials.")


def _participant(request, study_id: str):
    return participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


class DrinkingRecordSerializer(serializers.Serializer):
    day = serializers.DateField()
    source = serializers.ChoiceField(choices=Source.choices)
    amount = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    unit = serializers.ChoiceField(choices=Unit.choices)
    grams = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    missing = MissingReasonsField()
    visit_code = serializers.CharField(allow_blank=True)
    change_reason = serializers.CharField(allow_blank=True)
    entered_by = serializers.CharField(
        source="entered_by.username", allow_null=True, help_text="Empty for a day the participant reported."
    )
    entered_by_participant = serializers.BooleanField(help_text="Reported by the participant (diary), not by staff.")
    entered_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class DrinkingDayInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    amount = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="Refused when negative; leave out for a day given with ``missing``.",
    )
    unit = serializers.CharField(max_length=10, help_text="g, uk_unit or us_drink (as the protocol allows).")
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="Why a recorded day changes."
    )
    missing = serializers.ChoiceField(
        choices=MissingCode.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why there is no amount (unknown: the participant cannot remember the day).",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["amount"] is None and not attrs["missing"]:
            raise serializers.ValidationError({"amount": ["Give an amount, or a reason there is none (missing)."]})
        return attrs


class DrinkingDaysApi(GenericAPIView):
    """The participant's daily drinking records; ``PUT`` records a period of days, all or nothing,
    and empties the recorded days named in ``clear`` back to missing (with a ``reason``)."""

    paginated_list = True
    serializer_class = DrinkingRecordSerializer

    class InputSerializer(serializers.Serializer):
        source = serializers.ChoiceField(choices=Source.choices, default=Source.TLFB)
        visit_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
        reason = serializers.CharField(
            max_length=2000, required=False, allow_blank=True, default="", help_text="Why recorded days change."
        )
        days = DrinkingDayInputSerializer(many=True, required=False, max_length=1000)
        clear = serializers.ListField(
            child=serializers.DateField(),
            required=False,
            max_length=1000,
            help_text="Recorded days of this source to empty back to missing; needs a reason.",
        )

    @extend_schema(parameters=[_TRIAL_PARAM])
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        page = self.paginate_queryset(selectors.drinking_records(participant=participant).select_related("entered_by"))
        return self.get_paginated_response(DrinkingRecordSerializer(page, many=True).data)

    @extend_schema(
        parameters=[_TRIAL_PARAM], request=InputSerializer, responses={200: DrinkingRecordSerializer(many=True)}
    )
    def put(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        days = [
            services.DayEntry(
                day=d["date"],
                amount=d["amount"],
                unit=d["unit"],
                reason=d["reason"],
                missing=d["missing"],
                note=d["note"],
            )
            for d in v.get("days", [])
        ]
        saved = services.drinking_days_record(
            actor=request.user,
            participant=participant,
            days=days,
            source=v["source"],
            visit_code=v["visit_code"],
            reason=v["reason"],
            clear=v.get("clear", []),
        )
        return Response(DrinkingRecordSerializer(saved, many=True).data)


# A plain text field: an enum named "kind" would collide with other "kind" enums of the schema.
_KINDS = "One of: " + ", ".join(f"{value} ({label})" for value, label in BiomarkerKind.choices) + "."


class BiomarkerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=_KINDS)
    taken_on = serializers.DateField()
    value = serializers.DecimalField(max_digits=10, decimal_places=3, allow_null=True)
    positive = serializers.BooleanField()
    visit_code = serializers.CharField(allow_blank=True)
    open_queries = serializers.IntegerField()


def _biomarker_data(sample) -> dict:
    return {
        "id": sample.pk,
        "kind": sample.kind,
        "taken_on": sample.taken_on,
        "value": sample.value,
        "positive": sample.positive,
        "visit_code": sample.visit_code,
        "open_queries": sample.open_queries,
    }


class BiomarkersApi(APIView):
    """The participant's biomarker samples; ``POST`` records one (a positive marker against an
    abstinent self-report opens a data query)."""

    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField(max_length=20, help_text=_KINDS)
        taken_on = serializers.DateField()
        value = serializers.DecimalField(max_digits=10, decimal_places=3, required=False, allow_null=True)
        visit_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: BiomarkerSerializer(many=True)})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        samples = selectors.biomarkers(participant=participant)
        return Response(BiomarkerSerializer([_biomarker_data(s) for s in samples], many=True).data)

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={201: BiomarkerSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sample = services.biomarker_record(actor=request.user, participant=participant, **data.validated_data)
        [shown] = [s for s in selectors.biomarkers(participant=participant) if s.pk == sample.pk]
        return Response(BiomarkerSerializer(_biomarker_data(shown)).data, status=status.HTTP_201_CREATED)


class QuestionnaireSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    instrument = serializers.CharField()
    administered_on = serializers.DateField()
    visit_code = serializers.CharField(allow_blank=True)
    items = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    missing_items = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    prorated = serializers.BooleanField()


class QuestionnairesApi(APIView):
    """The participant's questionnaires; ``POST`` records one item by item (the total is derived)."""

    class InputSerializer(serializers.Serializer):
        instrument = serializers.ChoiceField(choices=sorted(INSTRUMENTS))
        administered_on = serializers.DateField()
        items = serializers.DictField(child=serializers.IntegerField(allow_null=True))
        visit_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: QuestionnaireSerializer(many=True)})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        return Response(QuestionnaireSerializer(selectors.questionnaires(participant=participant), many=True).data)

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={201: QuestionnaireSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = services.questionnaire_record(actor=request.user, participant=participant, **data.validated_data)
        return Response(QuestionnaireSerializer(response).data, status=status.HTTP_201_CREATED)


class EndpointSerializer(serializers.Serializer):
    window = serializers.CharField()
    window_start_day = serializers.IntegerField()
    window_end_day = serializers.IntegerField()
    days_in_window = serializers.IntegerField()
    assessed_days = serializers.IntegerField()
    unknown_days = serializers.IntegerField(help_text="Days recorded with a reason instead of an amount.")
    abstinent_days = serializers.IntegerField()
    drinking_days = serializers.IntegerField()
    heavy_days = serializers.IntegerField()
    pda = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    phdd = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    ddd = serializers.DecimalField(
        max_digits=8, decimal_places=2, allow_null=True, help_text="Drinks per drinking day, in the protocol's unit."
    )
    grams_per_day = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    first_drink_day = serializers.IntegerField(allow_null=True)
    first_heavy_day = serializers.IntegerField(allow_null=True)
    last_assessed_day = serializers.IntegerField(allow_null=True)
    relapse = serializers.IntegerField(allow_null=True)
    relapse_day = serializers.IntegerField(allow_null=True)
    psnhdd_responder = serializers.BooleanField(allow_null=True)
    who_level_baseline = serializers.IntegerField(allow_null=True)
    who_level = serializers.IntegerField(allow_null=True)
    who_level_drop = serializers.IntegerField(allow_null=True)
    completeness = serializers.DecimalField(max_digits=6, decimal_places=2)


class ParticipantEndpointsSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    levels = serializers.DictField(
        child=serializers.CharField(), help_text="Factor → level, only for the factors you may see."
    )
    windows = EndpointSerializer(many=True)


def _grouped(rows) -> list[dict]:
    out: dict[str, dict] = {}
    for row in rows:
        entry = out.setdefault(row.study_id, {"study_id": row.study_id, "levels": row.levels, "windows": []})
        entry["windows"].append(row)
    return list(out.values())


class ParticipantEndpointsApi(APIView):
    """The participant's drinking endpoints for every window of the protocol."""

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: ParticipantEndpointsSerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        rows = selectors.endpoints_for_participants(
            user=request.user, trial=participant.trial, participant_ids=[participant.pk]
        )
        grouped = _grouped(rows) or [{"study_id": participant.study_id, "levels": {}, "windows": []}]
        return Response(ParticipantEndpointsSerializer(grouped[0]).data)


class TrialEndpointsApi(GenericAPIView):
    """Every randomised participant's endpoints at the caller's sites, a page of participants at a time."""

    paginated_list = True
    serializer_class = ParticipantEndpointsSerializer

    def get(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        page = self.paginate_queryset(selectors.randomised_visible(user=request.user, trial=trial))
        rows = selectors.endpoints_for_participants(
            user=request.user, trial=trial, participant_ids=[p.pk for p in page]
        )
        return self.get_paginated_response(ParticipantEndpointsSerializer(_grouped(rows), many=True).data)
