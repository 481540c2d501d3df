"""The review's API: source data verification (a participant's records with their state, a mark,
the progress of a trial) and investigators' signatures (a participant's, signing, the list of what
awaits a signature). The same selectors, services and display as the pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.missing import NOTE_MAX, MissingCode, MissingReasonsField
from review import display, signing, verification
from review.missing import empty_items, missing_reasons_record
from review.records import record_get
from review.selectors import appointment_get, participant_get, participants_at
from trials.selectors import trial_get

TRIAL_PARAM = OpenApiParameter("trial", str, description="A trial code, when a study id is used in several trials.")


def _participant(request, study_id: str):
    return participant_get(user=request.user, study_id=study_id, trial_code=request.query_params.get("trial"))


class ItemSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    state = serializers.CharField(allow_blank=True, help_text="verified, changed or blank (no mark on the item).")


class RecordStateSerializer(serializers.Serializer):
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    record_id = serializers.IntegerField()
    study_id = serializers.CharField()
    description = serializers.CharField()
    plan = serializers.CharField(help_text="full, sampled or not_selected.")
    state = serializers.CharField(help_text="to_verify, verified, changed or not_selected.")
    verified_by = serializers.CharField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    items = ItemSerializer(many=True, help_text="Only the items the caller may see.")


class ProgressSerializer(serializers.Serializer):
    planned = serializers.IntegerField(help_text="Records the plan has the monitor verify.")
    verified = serializers.IntegerField()
    changed = serializers.IntegerField(help_text="Verified once, changed since.")
    percent = serializers.IntegerField()


class ParticipantVerificationApi(APIView):
    """A participant's records with their place in the monitoring plan and their verification state."""

    class OutputSerializer(serializers.Serializer):
        study_id = serializers.CharField()
        progress = ProgressSerializer()
        records = RecordStateSerializer(many=True)

    @extend_schema(parameters=[TRIAL_PARAM], responses={200: OutputSerializer})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        states = verification.states_of(user=request.user, participants=[participant])
        found = verification.progress(states, {participant.pk: participant})
        return Response(
            self.OutputSerializer(
                {
                    "study_id": participant.study_id,
                    "progress": found["participants"][participant.pk],
                    "records": [display.record_row(s, request.user) for s in states[participant.pk]],
                }
            ).data
        )


class VerificationMarkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    record_id = serializers.IntegerField()
    item = serializers.CharField(allow_blank=True)
    verified_by = serializers.CharField(source="verified_by.username")
    verified_at = serializers.DateTimeField()


class VerifyApi(APIView):
    """Mark a record (or one item of it, ``item``) verified against the source: a monitor at the
    record's site only. Verifying again what is unchanged returns the same mark."""

    class InputSerializer(serializers.Serializer):
        kind = serializers.CharField(max_length=40, help_text="A kind of record (visit, infusion, drinking_day...).")
        record_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        item = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: VerificationMarkSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        mark = verification.record_verify(actor=request.user, kind=v["kind"], pk=v["record_id"], item=v["item"])
        return Response(VerificationMarkSerializer(mark).data, status=status.HTTP_201_CREATED)


class SiteProgressSerializer(ProgressSerializer):
    site = serializers.CharField()


class ParticipantProgressSerializer(ProgressSerializer):
    study_id = serializers.CharField()
    site = serializers.CharField()


class TrialMonitoringApi(APIView):
    """Progress of the verification at the caller's sites of the trial: per site and per participant,
    and the records changed since they were verified."""

    class OutputSerializer(serializers.Serializer):
        sites = SiteProgressSerializer(many=True)
        participants = ParticipantProgressSerializer(many=True)
        changed = RecordStateSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request, code: str):
        trial = trial_get(user=request.user, code=code)
        people = {p.pk: p for p in participants_at(user=request.user, trial=trial)}
        found = verification.progress(verification.states_of(user=request.user, participants=people.values()), people)
        sites = {p.site_id: p.site for p in people.values()}
        body = {
            "sites": [
                {"site": sites[pk].code, **_counts(p)}
                for pk, p in sorted(found["sites"].items(), key=lambda kv: sites[kv[0]].code)
            ],
            "participants": [
                {"study_id": people[pk].study_id, "site": people[pk].site.code, **_counts(p)}
                for pk, p in found["participants"].items()
            ],
            "changed": [display.record_row(s, request.user) for s in found["changed"]],
        }
        return Response(self.OutputSerializer(body).data)


def _counts(p: verification.Progress) -> dict:
    return {"planned": p.planned, "verified": p.verified, "changed": p.changed, "percent": p.percent}


class SignatureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    study_id = serializers.CharField()
    scope = serializers.CharField(help_text="casebook or visit.")
    visit = serializers.CharField(allow_null=True, help_text="The visit's event code, for a visit's signature.")
    appointment = serializers.IntegerField(allow_null=True)
    meaning = serializers.CharField(help_text="review, approval or responsibility.")
    meaning_text = serializers.CharField()
    printed_name = serializers.CharField()
    signer = serializers.CharField()
    signed_at = serializers.DateTimeField()
    record_count = serializers.IntegerField()
    valid = serializers.BooleanField(help_text="False once any record signed has changed.")


class SignaturesApi(APIView):
    """A participant's signatures, oldest first, each valid or not; ``POST`` signs the casebook (or
    the visit of ``appointment``) as the site's investigator, with the password and a one-time code
    of the caller's authenticator, both counted towards the sign-in lockout when wrong."""

    class InputSerializer(serializers.Serializer):
        meaning = serializers.ChoiceField(choices=["review", "approval", "responsibility"])
        password = serializers.CharField(
            max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
        )
        otp_code = serializers.CharField(max_length=20, write_only=True, help_text="The authenticator's code.")
        appointment = serializers.IntegerField(
            required=False, allow_null=True, min_value=1, max_value=2**63 - 1, help_text="Sign only this visit."
        )

    @extend_schema(parameters=[TRIAL_PARAM], responses={200: SignatureSerializer(many=True)})
    def get(self, request, study_id: str):
        participant = _participant(request, study_id)
        rows = [display.signature_row(s) for s in signing.signatures_of(participant=participant)]
        return Response(SignatureSerializer(rows, many=True).data)

    @extend_schema(parameters=[TRIAL_PARAM], request=InputSerializer, responses={201: SignatureSerializer})
    def post(self, request, study_id: str):
        participant = _participant(request, study_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appointment = appointment_get(participant=participant, pk=v["appointment"]) if v.get("appointment") else None
        signature = signing.signature_sign(
            actor=request.user,
            participant=participant,
            appointment=appointment,
            meaning=v["meaning"],
            password=v["password"],
            otp_code=v["otp_code"],
            request=request,
        )
        row = display.signature_row(signing.Signed(signature, True))
        return Response(SignatureSerializer(row).data, status=status.HTTP_201_CREATED)


class ToSignSerializer(serializers.Serializer):
    study_id = serializers.CharField(source="participant.study_id")
    site = serializers.CharField(source="participant.site.code")
    appointment = serializers.IntegerField(source="appointment.pk", allow_null=True, default=None)
    visit = serializers.CharField(source="appointment.event_code", allow_null=True, default=None)
    state = serializers.CharField(help_text="never_signed or invalid (changed since signed).")
    record_count = serializers.IntegerField()


class ToSignApi(GenericAPIView):
    """The casebooks and visits at the caller's sites where they are the investigator that were
    never signed or whose signature no longer holds."""

    serializer_class = ToSignSerializer
    paginated_list = True

    def get(self, request):
        people = signing.signable_participants(user=request.user)
        page = self.paginate_queryset(signing.unsigned(user=request.user, participants=people))
        return self.get_paginated_response(ToSignSerializer(page, many=True).data)


class EmptyItemSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The item (``items.3`` for a key of a JSON item).")
    label = serializers.CharField()
    code = serializers.CharField(allow_blank=True, help_text="The reason it is empty; blank: none given yet.")
    note = serializers.CharField(allow_blank=True)


class EmptyItemsSerializer(serializers.Serializer):
    kind = serializers.CharField()
    record_id = serializers.IntegerField()
    description = serializers.CharField()
    missing = MissingReasonsField()
    empty_items = EmptyItemSerializer(many=True, help_text="The empty items the caller may see and leave empty.")


def _empty_items(record, user) -> dict:
    return {
        "kind": record.kind.code,
        "record_id": record.pk,
        "description": record.describe(),
        "missing": record.reasons_shown(user),
        "empty_items": [vars(e) for e in empty_items(record, user)],
    }


class EmptyItemsApi(APIView):
    """A record's items left empty on purpose: ``GET`` lists the empty items that may carry a reason
    with the reason given so far; ``POST`` gives (or, with a blank code, withdraws) reasons."""

    class ReasonSerializer(serializers.Serializer):
        code = serializers.ChoiceField(choices=[("", "none"), *MissingCode.choices], allow_blank=True)
        note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")

    class InputSerializer(serializers.Serializer):
        items = serializers.DictField(child=serializers.DictField(), help_text="Item name → {code, note}.")
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

        def validate_items(self, value):
            if len(value) > 100:
                raise serializers.ValidationError("Give at most 100 items at a time.")
            out = {}
            for name, given in value.items():
                reason = EmptyItemsApi.ReasonSerializer(data=given)
                if not reason.is_valid():
                    raise serializers.ValidationError({name: reason.errors})
                out[name] = reason.validated_data
            return out

    @extend_schema(responses={200: EmptyItemsSerializer})
    def get(self, request, kind: str, pk: int):
        return Response(_empty_items(record_get(user=request.user, kind=kind, pk=pk), request.user))

    @extend_schema(request=InputSerializer, responses={200: EmptyItemsSerializer})
    def post(self, request, kind: str, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        record = missing_reasons_record(
            actor=request.user, kind=kind, record_id=pk, given=v["items"], reason=v["reason"]
        )
        return Response(_empty_items(record, request.user))
