"""API of randomisation: randomising, the allocation as the caller may see it, the allocation lists
(unblinded statistician only) and the counts per arm.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from participants import blinding
from participants.randomisation import selectors, services
from participants.serializers import TRIAL_PARAM, AllocationSerializer, participant_from_request
from trials.selectors import trial_get


class RandomiseApi(APIView):
    """Randomise the participant (idempotent): the allocation as the caller may see it."""

    @extend_schema(parameters=[TRIAL_PARAM], request=None, responses={200: AllocationSerializer})
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        allocation = services.participant_randomise(actor=request.user, participant=participant)
        return Response(AllocationSerializer(blinding.present(allocation=allocation, user=request.user)).data)


class AllocationApi(APIView):
    """The participant's allocation as the caller may see it."""

    @extend_schema(parameters=[TRIAL_PARAM], responses={200: AllocationSerializer})
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        allocation = selectors.allocation_get(participant=participant)
        return Response(AllocationSerializer(blinding.present(allocation=allocation, user=request.user)).data)


class ListSummarySerializer(serializers.Serializer):
    stratum = serializers.CharField()
    blocks = serializers.IntegerField()
    slots = serializers.IntegerField()
    used = serializers.IntegerField()
    fingerprint = serializers.CharField()


class RandomisationListApi(APIView):
    """The allocation lists of a trial, per stratum (unblinded statistician only).

    ``POST`` generates the lists of every stratum that has none, ``blocks`` blocks each.
    """

    class InputSerializer(serializers.Serializer):
        blocks = serializers.IntegerField(min_value=1, max_value=10000)

    @extend_schema(responses={200: ListSummarySerializer(many=True)})
    def get(self, request, code: str):
        trial = selectors.statistician_trial(user=request.user, code=code)
        return Response(ListSummarySerializer(selectors.list_summaries(user=request.user, trial=trial), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ListSummarySerializer(many=True)})
    def post(self, request, code: str):
        trial = selectors.statistician_trial(user=request.user, code=code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.randomisation_lists_generate(actor=request.user, trial=trial, blocks=data.validated_data["blocks"])
        summaries = selectors.list_summaries(user=request.user, trial=trial)
        return Response(ListSummarySerializer(summaries, many=True).data, status=status.HTTP_201_CREATED)


class RandomisationListTopUpApi(APIView):
    """Append blocks to a stratum's list (every stratum when none is named)."""

    class InputSerializer(serializers.Serializer):
        blocks = serializers.IntegerField(min_value=1, max_value=10000)
        stratum = serializers.CharField(max_length=200, required=False)

    @extend_schema(request=InputSerializer, responses={200: ListSummarySerializer(many=True)})
    def post(self, request, code: str):
        trial = selectors.statistician_trial(user=request.user, code=code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.randomisation_list_top_up(actor=request.user, trial=trial, **data.validated_data)
        return Response(ListSummarySerializer(selectors.list_summaries(user=request.user, trial=trial), many=True).data)


class VerifySerializer(serializers.Serializer):
    stratum = serializers.CharField()
    slots = serializers.IntegerField()
    fingerprint = serializers.CharField()
    matches = serializers.BooleanField()


class RandomisationListVerifyApi(APIView):
    """Regenerate every list from its seed and compare with what is stored."""

    @extend_schema(responses={200: VerifySerializer(many=True)})
    def get(self, request, code: str):
        trial = selectors.statistician_trial(user=request.user, code=code)
        return Response(
            VerifySerializer(services.randomisation_lists_verify(actor=request.user, trial=trial), many=True).data
        )


class SlotSerializer(serializers.Serializer):
    stratum = serializers.CharField(source="list.stratum")
    position = serializers.IntegerField()
    block = serializers.IntegerField()
    block_size = serializers.IntegerField()
    arm = serializers.CharField(source="arm.code")
    study_id = serializers.CharField(allow_null=True)


class RandomisationListSlotsApi(GenericAPIView):
    """Every slot of the trial's lists with the participant who took it (unblinded statistician)."""

    paginated_list = True

    serializer_class = SlotSerializer

    def get(self, request, code: str):
        trial = selectors.statistician_trial(user=request.user, code=code)
        page = self.paginate_queryset(selectors.slots_of(user=request.user, trial=trial))
        return self.get_paginated_response(SlotSerializer(page, many=True).data)


class ArmCountSerializer(serializers.Serializer):
    group = serializers.DictField(child=serializers.CharField())
    participants = serializers.IntegerField()


class AllocationCountsApi(APIView):
    """Randomised participants per arm, or per level of the factors the caller may see at every
    one of their sites (a blinded caller gets only the total)."""

    @extend_schema(responses={200: ArmCountSerializer(many=True)})
    def get(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        rows = selectors.allocation_counts(user=request.user, trial=trial)
        return Response(ArmCountSerializer(rows, many=True).data)
