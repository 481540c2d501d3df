"""API of the database lock and of unblinding: for analysis, and of one participant in an emergency."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from participants import blinding
from participants.locks import selectors, services
from participants.randomisation.selectors import allocation_get
from participants.selectors import participant_get
from participants.serializers import TRIAL_PARAM, AllocationSerializer, participant_from_request
from trials.selectors import trial_get


class UnblindApi(APIView):
    """Emergency unblinding of one participant, with a reason and the caller's password again."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(parameters=[TRIAL_PARAM], request=InputSerializer, responses={200: AllocationSerializer})
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.participant_unblind(
            actor=request.user, participant=participant, request=request, **data.validated_data
        )
        allocation = allocation_get(participant=participant)
        return Response(AllocationSerializer(blinding.present(allocation=allocation, user=request.user)).data)


class LockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField(source="participant.study_id", allow_null=True, default=None)
    reason = serializers.CharField()
    locked_by = serializers.CharField(source="locked_by.username")
    locked_at = serializers.DateTimeField()
    unlock_reason = serializers.CharField(allow_blank=True)
    unlocked_at = serializers.DateTimeField(allow_null=True)


class LockListApi(APIView):
    """Locks of the trial's data, active and lifted; ``POST`` locks the trial (or one participant)."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        study_id = serializers.CharField(max_length=20, required=False, help_text="Lock only this participant.")

    @extend_schema(responses={200: LockSerializer(many=True)})
    def get(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        return Response(LockSerializer(selectors.locks_of(user=request.user, trial=trial), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: LockSerializer})
    def post(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = None
        if data.validated_data.get("study_id"):
            participant = participant_get(
                user=request.user, study_id=data.validated_data["study_id"], trial_code=trial.code
            )
        lock = services.data_lock(
            actor=request.user, trial=trial, participant=participant, reason=data.validated_data["reason"]
        )
        return Response(LockSerializer(lock).data, status=status.HTTP_201_CREATED)


class UnlockApi(APIView):
    """Lift a lock, with a reason."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: LockSerializer})
    def post(self, request, pk: int):
        lock = selectors.lock_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lock = services.data_unlock(actor=request.user, lock=lock, reason=data.validated_data["reason"])
        return Response(LockSerializer(lock).data)


class AnalysisUnblindingSerializer(serializers.Serializer):
    trial = serializers.CharField(source="trial.code")
    reason = serializers.CharField()
    unblinded_by = serializers.CharField(source="unblinded_by.username")
    unblinded_at = serializers.DateTimeField()


class AnalysisUnblindingApi(APIView):
    """Unblind the whole (locked) trial for analysis, with a reason and the password again."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(request=InputSerializer, responses={201: AnalysisUnblindingSerializer})
    def post(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.trial_unblind_for_analysis(
            actor=request.user, trial=trial, request=request, **data.validated_data
        )
        return Response(AnalysisUnblindingSerializer(event).data, status=status.HTTP_201_CREATED)
