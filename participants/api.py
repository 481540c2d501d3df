"""API of screening, enrolment, consent, withdrawal, randomisation, allocation lists and unblinding.

Views are thin: input serializers check shapes, services decide and write, output serializers
show only what :mod:`participants.blinding` allows.
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core import history, permissions
from core.api import HistoryEventSerializer
from core.errors import Forbidden, Invalid, NotFound
from core.roles import MANAGE_RANDOMISATION_LIST, READ_IDENTITY
from participants import blinding, guards, locks, selectors, services
from participants.models import ScreeningOutcome, Sex, WithdrawalScope
from trials.models import Site
from trials.selectors import trial_get

# --- screening ----------------------------------------------------------------------------------


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


def _site(user, trial_code: str, site_code: str) -> Site:
    site = (
        Site.objects.filter(trial__code=trial_code, code=site_code, pk__in=permissions.site_ids(user))
        .select_related("trial")
        .first()
    )
    if site is None:
        raise Invalid("unknown site", fields={"site": [f"No site {site_code!r} of {trial_code} among your sites."]})
    return site


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
        qs = selectors.screenings_visible(user=request.user).select_related("protocol_version")
        for param, field in (("trial", "trial__code"), ("site", "site__code"), ("outcome", "outcome")):
            if request.query_params.get(param):
                qs = qs.filter(**{field: request.query_params[param]})
        page = self.paginate_queryset(qs.order_by("trial_id", "number"))
        return self.get_paginated_response(ScreeningOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ScreeningOutputSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        screening = services.screening_record(
            actor=request.user,
            site=_site(request.user, v["trial"], v["site"]),
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


# --- participants -------------------------------------------------------------------------------


class AllocationSerializer(serializers.Serializer):
    study_id = serializers.CharField()
    allocated_on = serializers.DateField()
    allocated_at = serializers.DateTimeField()
    arm = serializers.CharField(help_text='The arm code, or "blinded" unless every factor is visible to you.')
    levels = serializers.DictField(
        child=serializers.CharField(), help_text='Factor → level; "blinded" for factors hidden from you.'
    )


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
    allocation = getattr(participant, "allocation", None) if hasattr(participant, "allocation") else None
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


def _participant(request, study_id: str):
    return selectors.participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


_TRIAL_PARAM = OpenApiParameter("trial", str, description="A trial code, when a study id is used in several trials.")


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
            OpenApiParameter(
                "ordering",
                str,
                description="study_id, enrolled_on, site, created_at, or a factor or arm you may see; '-' descends.",
            ),
        ]
    )
    def get(self, request):
        qs = (
            selectors.participants_list(user=request.user, params=request.query_params)
            .select_related("trial", "site", "screening", "allocation__arm")
            .prefetch_related("consents", "withdrawals", "unblindings", "allocation__arm__arm_levels__level__factor")
        )
        page = self.paginate_queryset(qs)
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
    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: ParticipantOutputSerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        return Response(ParticipantOutputSerializer(participant_data(participant, request.user)).data)


class ConsentApi(APIView):
    """Record a (re-)consent to a version of the protocol's consent form."""

    class InputSerializer(serializers.Serializer):
        form_version = serializers.CharField(max_length=100)
        consented_on = serializers.DateField()

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={201: ConsentSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
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

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={201: WithdrawalSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_record(actor=request.user, participant=participant, **data.validated_data)
        return Response(WithdrawalSerializer(withdrawal).data, status=status.HTTP_201_CREATED)


class BaselineApi(APIView):
    """Mark the baseline assessment complete, with the baseline weight."""

    class InputSerializer(serializers.Serializer):
        completed_on = serializers.DateField()
        weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0)

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={200: ParticipantOutputSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = services.baseline_complete(actor=request.user, participant=participant, **data.validated_data)
        return Response(ParticipantOutputSerializer(participant_data(participant, request.user)).data)


class RandomiseApi(APIView):
    """Randomise the participant (idempotent): the allocation as the caller may see it."""

    @extend_schema(parameters=[_TRIAL_PARAM], request=None, responses={200: AllocationSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        allocation = services.participant_randomise(actor=request.user, participant=participant)
        return Response(AllocationSerializer(blinding.present(allocation=allocation, user=request.user)).data)


class AllocationApi(APIView):
    """The participant's allocation as the caller may see it."""

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: AllocationSerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        allocation = getattr(participant, "allocation", None) if hasattr(participant, "allocation") else None
        if allocation is None:
            raise NotFound("the participant is not randomised")
        return Response(AllocationSerializer(blinding.present(allocation=allocation, user=request.user)).data)


class UnblindApi(APIView):
    """Emergency unblinding of one participant, with a reason and the caller's password again."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})

    @extend_schema(parameters=[_TRIAL_PARAM], request=InputSerializer, responses={200: AllocationSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.participant_unblind(actor=request.user, participant=participant, **data.validated_data)
        return Response(
            AllocationSerializer(blinding.present(allocation=participant.allocation, user=request.user)).data
        )


class IdentitySerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    email = serializers.CharField(allow_null=True, allow_blank=True)
    phone = serializers.CharField(allow_null=True, allow_blank=True)
    address = serializers.CharField(allow_null=True, allow_blank=True)


class IdentityApi(APIView):
    """Name and contact details, for the roles that need them at the participant's site."""

    @extend_schema(parameters=[_TRIAL_PARAM], responses={200: IdentitySerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        if not permissions.has_role(request.user, READ_IDENTITY, site=participant.site):
            raise Forbidden("your roles here do not include reading identities")
        return Response(IdentitySerializer(participant.identity).data)


class ParticipantHistoryApi(GenericAPIView):
    """The audit trail of the participant's records, blinded as the caller is."""

    paginated_list = True

    serializer_class = HistoryEventSerializer

    @extend_schema(parameters=[_TRIAL_PARAM])
    def get(self, request, study_id: str):
        from django.db.models import Q

        from participants.models import Allocation, Consent, EmergencyUnblinding, Participant, Withdrawal

        participant = _participant(request, study_id)
        visible = blinding.visible_for_participant(user=request.user, participant=participant)
        factors = {f.code for f in participant.trial.version_on().protocol.factors}
        allocation_hidden = () if factors <= visible else ("arm", "slot")
        events = history.events_for(
            [
                (Participant, Q(pgh_obj_id=participant.pk)),
                (Consent, Q(participant_id=participant.pk)),
                (Withdrawal, Q(participant_id=participant.pk)),
                (EmergencyUnblinding, Q(participant_id=participant.pk)),
            ]
        )
        events += history.events_for([(Allocation, Q(participant_id=participant.pk))], hidden=allocation_hidden)
        events.sort(key=lambda e: (e["at"], e["id"]))
        page = self.paginate_queryset(events)
        return self.get_paginated_response(HistoryEventSerializer(page, many=True).data)


# --- allocation lists (unblinded statistician) ----------------------------------------------------


class ListSummarySerializer(serializers.Serializer):
    stratum = serializers.CharField()
    blocks = serializers.IntegerField()
    slots = serializers.IntegerField()
    used = serializers.IntegerField()
    fingerprint = serializers.CharField()


def _lists(trial):
    from django.db.models import Count, Q

    return trial.randomisation_lists.annotate(
        n_slots=Count("slots", distinct=True), n_used=Count("slots", filter=Q(slots__allocation__isnull=False))
    ).order_by("stratum")


def _summaries(trial) -> list[dict]:
    return [
        {"stratum": r.stratum, "blocks": r.blocks, "slots": r.n_slots, "used": r.n_used, "fingerprint": r.fingerprint}
        for r in _lists(trial)
    ]


def _statistician_trial(request, code: str):
    trial = trial_get(user=request.user, code=code)
    if not permissions.has_role(request.user, MANAGE_RANDOMISATION_LIST, trial=trial):
        raise Forbidden("only the unblinded statistician may see or change allocation lists")
    return trial


class RandomisationListApi(APIView):
    """The allocation lists of a trial, per stratum (unblinded statistician only).

    ``POST`` generates the lists of every stratum that has none, ``blocks`` blocks each.
    """

    class InputSerializer(serializers.Serializer):
        blocks = serializers.IntegerField(min_value=1, max_value=10000)

    @extend_schema(responses={200: ListSummarySerializer(many=True)})
    def get(self, request, code: str):
        trial = _statistician_trial(request, code)
        return Response(ListSummarySerializer(_summaries(trial), many=True).data)

    @extend_schema(request=InputSerializer, responses={201: ListSummarySerializer(many=True)})
    def post(self, request, code: str):
        trial = _statistician_trial(request, code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.randomisation_lists_generate(actor=request.user, trial=trial, blocks=data.validated_data["blocks"])
        return Response(ListSummarySerializer(_summaries(trial), many=True).data, status=status.HTTP_201_CREATED)


class RandomisationListTopUpApi(APIView):
    """Append blocks to a stratum's list (every stratum when none is named)."""

    class InputSerializer(serializers.Serializer):
        blocks = serializers.IntegerField(min_value=1, max_value=10000)
        stratum = serializers.CharField(max_length=200, required=False)

    @extend_schema(request=InputSerializer, responses={200: ListSummarySerializer(many=True)})
    def post(self, request, code: str):
        trial = _statistician_trial(request, code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.randomisation_list_top_up(actor=request.user, trial=trial, **data.validated_data)
        return Response(ListSummarySerializer(_summaries(trial), many=True).data)


class VerifySerializer(serializers.Serializer):
    stratum = serializers.CharField()
    slots = serializers.IntegerField()
    fingerprint = serializers.CharField()
    matches = serializers.BooleanField()


class RandomisationListVerifyApi(APIView):
    """Regenerate every list from its seed and compare with what is stored."""

    @extend_schema(responses={200: VerifySerializer(many=True)})
    def get(self, request, code: str):
        trial = _statistician_trial(request, code)
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
        from participants.models import ListSlot

        trial = _statistician_trial(request, code)
        qs = (
            ListSlot.objects.filter(list__trial=trial)
            .select_related("list", "arm", "allocation__participant")
            .order_by("list__stratum", "position")
        )
        page = self.paginate_queryset(qs)
        for slot in page:
            allocation = getattr(slot, "allocation", None) if hasattr(slot, "allocation") else None
            slot.study_id = allocation.participant.study_id if allocation else None
        return self.get_paginated_response(SlotSerializer(page, many=True).data)


class ArmCountSerializer(serializers.Serializer):
    group = serializers.DictField(child=serializers.CharField())
    participants = serializers.IntegerField()


class AllocationCountsApi(APIView):
    """Randomised participants per arm, or per level of the factors the caller may see at every
    one of their sites (a blinded caller gets only the total)."""

    @extend_schema(responses={200: ArmCountSerializer(many=True)})
    def get(self, request, code: str):
        from django.db.models import Count

        from participants.models import Allocation
        from trials.models import ArmLevel

        trial = trial_get(user=request.user, code=code)
        visible = sorted(blinding.factors_visible_everywhere(user=request.user, trial=trial))
        allocations = Allocation.objects.filter(
            participant__trial=trial, participant__site_id__in=permissions.site_ids(request.user, trial=trial)
        )
        if not visible:
            return Response(ArmCountSerializer([{"group": {}, "participants": allocations.count()}], many=True).data)
        per_arm = dict(allocations.values_list("arm_id").annotate(n=Count("pk")))
        levels: dict[int, dict[str, str]] = {}
        for al in ArmLevel.objects.filter(arm__trial=trial).select_related("level__factor"):
            if al.level.factor.code in visible:
                levels.setdefault(al.arm_id, {})[al.level.factor.code] = al.level.code
        groups: dict[tuple, int] = {}
        for arm_id, group in levels.items():
            key = tuple(sorted(group.items()))
            groups[key] = groups.get(key, 0) + per_arm.get(arm_id, 0)
        rows = [{"group": dict(key), "participants": n} for key, n in sorted(groups.items())]
        return Response(ArmCountSerializer(rows, many=True).data)


# --- database lock and unblinding for analysis ------------------------------------------------------


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
        locks = trial.locks.select_related("participant", "locked_by").filter(
            Q(participant__isnull=True) | Q(participant__site_id__in=permissions.site_ids(request.user))
        )
        return Response(LockSerializer(locks, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: LockSerializer})
    def post(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        participant = None
        if data.validated_data.get("study_id"):
            participant = selectors.participant_get(
                user=request.user, study_id=data.validated_data["study_id"], trial_code=trial.code
            )
        lock = locks.data_lock(
            actor=request.user, trial=trial, participant=participant, reason=data.validated_data["reason"]
        )
        return Response(LockSerializer(lock).data, status=status.HTTP_201_CREATED)


class UnlockApi(APIView):
    """Lift a lock, with a reason."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={200: LockSerializer})
    def post(self, request, pk: int):
        from participants.models import DataLock

        lock = (
            DataLock.objects.filter(pk=pk, trial_id__in=permissions.trial_ids(request.user))
            .select_related("trial", "participant__site", "locked_by")
            .first()
        )
        if lock is None or (lock.participant_id and lock.participant.site_id not in permissions.site_ids(request.user)):
            raise NotFound("no such lock")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lock = locks.data_unlock(actor=request.user, lock=lock, reason=data.validated_data["reason"])
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
        event = locks.trial_unblind_for_analysis(actor=request.user, trial=trial, **data.validated_data)
        return Response(AnalysisUnblindingSerializer(event).data, status=status.HTTP_201_CREATED)
