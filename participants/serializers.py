"""What the API of every concept shares: the allocation as shown, and the trial parameter and lookup
of a participant named in the path.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from participants import selectors


class AllocationSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    allocated_on = serializers.DateField()
    allocated_at = serializers.DateTimeField()
    arm = serializers.CharField(help_text='The arm code, or "blinded" unless every factor is visible to you.')
    levels = serializers.DictField(
        child=serializers.CharField(), help_text='Factor → level; "blinded" for factors hidden from you.'
    )


def participant_from_request(request, study_id: str):
    return selectors.participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


TRIAL_PARAM = OpenApiParameter("trial", str, description="A trial code, when a study id is used in several trials.")
