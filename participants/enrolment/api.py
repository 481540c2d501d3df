"""API of screening, enrolment, consent, withdrawal, the baseline, identity and a participant's
audit history.

Views are thin: input serializers check shapes, services decide and write, selectors read, and
what could reveal a hidden factor is shown through :mod:`participants.blinding`.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import HistoryEventSerializer
from core.db import one_to_one
from core.errors import Invalid, NotFound
from core.pagination import HistoryPagination
from participants import blinding, guards
from participants.enrolment import selectors, services
from participants.models import ScreeningOutcome, Sex, WithdrawalScope
from participants.serializers import TRIAL_PARAM, AllocationSerializer, participant_from_request
from trials.selectors import site_of_trial


class ScreeningOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    trial = serializers.CharField(source="trial.code")
    site = serializers.CharField(source="site.code")
    screened_on = serializers.DateField()
    answers = serializers.DictField(child=serializers.BooleanField())
    outcome = serializers.ChoiceField(choices=ScreeningOutcome.choices)
    failed_criteria = serializers.ListField(child=serializers.CharField())
    outcome_text = serializers.CharField(allow_blank=True)
    protocol_version = serializers.IntegerField(source="protocol_version.number")


class ScreeningListApi(GenericAPIView):
    """Everyone assessed for eligibility at the caller's sites; ``POST`` records one more."""

    paginated_list = True

    serializer_class = ScreeningOutputSerializer

    class InputSerializer(serializers.Serializer):
        trial = serializers.CharField(max_length=40)
        site = serializers.CharField(max_length=40)
        screened_on = serializers.DateField()
        answers = serializers.DictField(child=serializers.BooleanField(), allow_empty=False)
        outcome = serializers.ChoiceField(choices=ScreeningOutcome.choices, required=False, allow_null=True)
        outcome_text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    @extend_schema(
        parameters=[
            OpenApiParameter("trial", str, description="A trial code."),
            OpenApiParameter("site", str, description="A site code."),
            OpenApiParameter("outcome", str, enum=ScreeningOutcome.values),
        ]
    )
    def get(self, request):
        params = request.query_params
        found = selectors.screenings_list(
            user=request.user,
            trial_code=params.get("trial", ""),
            site_code=params.get("site", ""),
            outcome=params.get("outcome", ""),
        )
        page = self.paginate_queryset(found)
        return self.get_paginated_response(ScreeningOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ScreeningOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        screening = services.screening_record(
            actor=request.user,
            site=site_of_trial(user=request.user, trial_code=v["trial"], site_code=v["site"]),
            screened_on=v["screened_on"],
            answers=v["answers"],
            outcome=v.get("outcome"),
            outcome_text=v.get("outcome_text", ""),
        )
        return Response(ScreeningOutputSerializer(screening).data, status=status.HTTP_201_CREATED)


class ScreeningDetailApi(APIView):
    @extend_schema(responses={200: ScreeningOutputSerializer})
    def get(self, request, pk: int):
        return Response(ScreeningOutputSerializer(selectors.screening_get(user=request.user, pk=pk)).data)


class ConsentSerializer(serializers.Serializer):
    form_version = serializers.CharField()
    consented_on = serializers.DateField()


class WithdrawalSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=WithdrawalScope.choices)
    withdrawn_on = serializers.DateField()
    reason = serializers.CharField()


class ParticipantOutputSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    trial = serializers.CharField()
    site = serializers.CharField()
    screening = serializers.CharField(allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    age_at_consent = serializers.IntegerField()
    enrolled_on = serializers.DateField()
    baseline_completed_on = serializers.DateField(allow_null=True)
    baseline_weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    consents = ConsentSerializer(many=True)
    consent_current = serializers.BooleanField()
    withdrawals = WithdrawalSerializer(many=True)
    allocation = AllocationSerializer(allow_null=True)
    emergency_unblinded = serializers.BooleanField()


def participant_data(participant, user, per_site: dict | None = None) -> dict:
    """A participant as ``user`` may see them (never identity; allocation through blinding).

    ``per_site`` (a dict for one request) lets a list reuse what blinding decided per site."""
    allocation = one_to_one(participant, "allocation")
    return {
        "study_id": participant.study_id,
        "trial": participant.trial.code,
        "site": participant.site.code,
        "screening": participant.screening.number if participant.screening_id else None,
        "sex": participant.sex,
        "age_at_consent": participant.age_at_consent,
        "enrolled_on": participant.enrolled_on,
        "baseline_completed_on": participant.baseline_completed_on,
        "baseline_weight_kg": participant.baseline_weight_kg,
        "consents": list(participant.consents.all()),
        "consent_current": guards.consent_is_current(participant),
        "withdrawals": list(participant.withdrawals.all()),
        "allocation": blinding.present(allocation=allocation, user=user, per_site=per_site) if allocation else None,
        "emergency_unblinded": participant.unblindings.exists(),
    }


class ParticipantListApi(GenericAPIView):
    """Participants at the caller's sites; ``POST`` enrols an eligible, consenting person."""

    paginated_list = True

    serializer_class = ParticipantOutputSerializer

    class InputSerializer(serializers.Serializer):
        screening = serializers.IntegerField(help_text="The id of an eligible screening.")
        sex = serializers.ChoiceField(choices=Sex.choices)
        age_at_consent = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True)
        date_of_birth = serializers.DateField(required=False, allow_null=True)
        consent_form_version = serializers.CharField(max_length=100)
        consented_on = serializers.DateField()
        first_name = serializers.CharField(max_length=200)
        last_name = serializers.CharField(max_length=200)
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        phone = serializers.RegexField(
            r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True, default="", help_text="E.164, e.g. +447700900123"
        )
        address = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        baseline_weight_kg = serializers.DecimalField(
            max_digits=5, decimal_places=1, required=False, allow_null=True, min_value=0
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("trial", str, description="A trial code (needed to filter or order by a factor)."),
            OpenApiParameter("site", str, description="A site code."),
            OpenApiParameter("search", str, description="A study id prefix."),
            OpenApiParameter("status", str, enum=list(selectors.STATUSES), description="Where participants stand."),
            OpenApiParameter(
                "ordering",
                str,
                description="study_id, enrolled_on, site, created_at, or a factor or arm you may see; '-' descends.",
            ),
        ]
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.participants_page(user=request.user, params=request.query_params))
        # One Trial instance per trial, so the version in force is read once for the page, and
        # blinding decided once per site: a page costs the same few queries whatever its size.
        trials: dict[int, object] = {}
        per_site: dict = {}
        for p in page:
            p.trial = trials.setdefault(p.trial_id, p.trial)
        return self.get_paginated_response(
            ParticipantOutputSerializer([participant_data(p, request.user, per_site) for p in page], many=True).data
        )

    @extend_schema(request=InputSerializer, responses={201: ParticipantOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            screening = selectors.screening_get(user=request.user, pk=values.pop("screening"))
        except NotFound:
            raise Invalid("unknown screening", fields={"screening": ["No such screening at your sites."]}) from None
        participant = services.participant_enrol(actor=request.user, screening=screening, **values)
        return Response(
            ParticipantOutputSerializer(participant_data(participant, request.user)).data,
            status=status.HTTP_201_CREATED,
        )


class ParticipantDetailApi(APIView):
    @extend_schema(parameters=[TRIAL_PARAM], responses={200: ParticipantOutputSerializer})
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        return Response(ParticipantOutputSerializer(participant_data(participant, request.user)).data)


class ConsentApi(APIView):
    """Record a (re-)consent to a version of the protocol's consent form."""

    class InputSerializer(serializers.Serializer):
        form_version = serializers.CharField(max_length=100)
        consented_on = serializers.DateField()

    @extend_schema(parameters=[TRIAL_PARAM], request=InputSerializer, responses={201: ConsentSerializer})
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_record(actor=request.user, participant=participant, **data.validated_data)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class WithdrawalApi(APIView):
    """Record a withdrawal: its scope (intervention, follow-up, data use) and reason."""

    class InputSerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=WithdrawalScope.choices)
        withdrawn_on = serializers.DateField()
        reason = serializers.CharField(max_length=2000)

    @extend_schema(parameters=[TRIAL_PARAM], request=InputSerializer, responses={201: WithdrawalSerializer})
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_record(actor=request.user, participant=participant, **data.validated_data)
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class BaselineApi(APIView):
    """Mark the baseline assessment complete, with the baseline weight."""

    class InputSerializer(serializers.Serializer):
        completed_on = serializers.DateField()
        weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0)

    @extend_schema(parameters=[TRIAL_PARAM], request=InputSerializer, responses={200: ParticipantOutputSerializer})
    def post(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = services.baseline_complete(actor=request.user, participant=participant, **data.validated_data)
        return Response(ParticipantOutputSerializer(participant_data(participant, request.user)).data)


class IdentitySerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    email = serializers.CharField(allow_null=True, allow_blank=True)
    phone = serializers.CharField(allow_null=True, allow_blank=True)
    address = serializers.CharField(allow_null=True, allow_blank=True)


class IdentityApi(APIView):
    """Name and contact details, for the roles that need them at the participant's site; ``PATCH``
    changes the details given, with a reason (a blank optional detail is cleared)."""

    class UpdateSerializer(serializers.Serializer):
        first_name = serializers.CharField(max_length=200, required=False)
        last_name = serializers.CharField(max_length=200, required=False)
        date_of_birth = serializers.DateField(required=False, allow_null=True)
        email = serializers.EmailField(required=False, allow_blank=True)
        phone = serializers.RegexField(
            r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True, help_text="E.164, e.g. +447700900123"
        )
        address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
        reason = serializers.CharField(max_length=500, help_text="Why the details change: kept in the audit trail.")

    @extend_schema(parameters=[TRIAL_PARAM], responses={200: IdentitySerializer})
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        return Response(IdentitySerializer(selectors.identity_get(user=request.user, participant=participant)).data)

    @extend_schema(parameters=[TRIAL_PARAM], request=UpdateSerializer, responses={200: IdentitySerializer})
    def patch(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reason = values.pop("reason")
        identity = services.identity_update(actor=request.user, participant=participant, reason=reason, **values)
        return Response(IdentitySerializer(identity).data)


class ParticipantHistoryApi(GenericAPIView):
    """The audit trail of the participant's records, blinded as the caller is."""

    paginated_list = True

    serializer_class = HistoryEventSerializer
    pagination_class = HistoryPagination

    @extend_schema(parameters=[TRIAL_PARAM])
    def get(self, request, study_id: str):
        participant = participant_from_request(request, study_id)
        page = self.paginate_queryset(selectors.participant_history(user=request.user, participant=participant))
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)
