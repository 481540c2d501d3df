"""Cross-cutting API: people and their roles, the requests for roles that a second administrator
decides, the audit history (signing in: :mod:`core.access_api`)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core import permissions, selectors
from core.access_api import SecondFactorStatusSerializer, second_factor_status
from core.errors import Forbidden
from core.models import RoleRequest
from core.permissions import IsAdministrator
from core.roles import Role
from core.services import (
    membership_request,
    role_request_approve,
    role_request_refuse,
    set_password_link,
    sites_for,
    user_add,
)


class HistoryEventSerializer(serializers.Serializer):
    """One audit event of a record: who, when, why, from where, and the values it changed."""

    id = serializers.CharField()
    model = serializers.CharField()
    object_id = serializers.CharField()
    label = serializers.CharField(help_text="insert, update or delete")
    at = serializers.DateTimeField()
    actor = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    context = serializers.CharField(allow_blank=True, help_text="The request path, task or source.")
    values = serializers.JSONField()
    changes = serializers.JSONField(help_text="field: [old, new]")


class MembershipSerializer(serializers.Serializer):
    trial = serializers.CharField(source="site.trial.code")
    site = serializers.CharField(source="site.code")
    role = serializers.CharField(source="role_id")


class RoleRequestSerializer(serializers.Serializer):
    """A request for a role that a second administrator of the trial approves or refuses."""

    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    role = serializers.CharField(source="role_id")
    trial = serializers.CharField(source="trial.code")
    sites = serializers.SerializerMethodField()
    reason = serializers.CharField()
    state = serializers.ChoiceField(choices=["pending", "approved", "refused"])
    requested_by = serializers.CharField(source="requested_by.username")
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_reason = serializers.CharField(allow_blank=True)

    def get_sites(self, obj) -> list[str]:
        return sorted(link.site.code for link in obj.request_sites.all())


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    is_active = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)


class MeOutputSerializer(UserOutputSerializer):
    second_factor = SecondFactorStatusSerializer()


class MeApi(APIView):
    """The caller: who they are, the roles they hold at which sites, and whether they need (and have)
    a second factor."""

    @extend_schema(responses={200: MeOutputSerializer})
    def get(self, request):
        me = selectors.user_with_memberships(pk=request.user.pk)
        me.second_factor = second_factor_status(request.user)
        return Response(MeOutputSerializer(me).data)


def _ensure_administers(user, sites) -> None:
    """Refuse (403) granting roles at sites of a trial the caller does not administer (being a
    superuser administers nothing)."""
    administered = permissions.trials_administered(user)
    if any(site.trial_id not in administered for site in sites):
        raise Forbidden("you administer people only in the trials where you hold the administrator role")


class UserListApi(GenericAPIView):
    """People and their roles (administrators only); ``POST`` adds a person with a role at sites.

    A role that sees a factor of the protocol in force, or the administrator's, is not granted at
    once: the person is added without it and ``role_request`` is the request a second
    administrator of the trial decides (``/api/role-requests/``).
    """

    paginated_list = True

    permission_classes = [IsAdministrator]
    serializer_class = UserOutputSerializer

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        email = serializers.EmailField(required=False, allow_blank=True, default="")
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        password = serializers.CharField(
            max_length=4096,
            required=False,
            trim_whitespace=False,
            help_text="Omit to get a set-password link.",
        )
        role = serializers.ChoiceField(choices=[r.value for r in Role])
        trial = serializers.CharField(max_length=40)
        sites = serializers.ListField(
            child=serializers.CharField(max_length=40),
            required=False,
            default=list,
            help_text="Site codes of the trial; empty for every site of it.",
        )

    class CreatedSerializer(UserOutputSerializer):
        set_password_link = serializers.CharField(allow_null=True)
        role_request = RoleRequestSerializer(allow_null=True, help_text="The request for the role, when it needs one.")

    def get_queryset(self):
        """People holding or asked a role in a trial the caller administers."""
        return selectors.users_managed(user=self.request.user)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(UserOutputSerializer(page, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CreatedSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sites = sites_for(trial=values.pop("trial"), sites=values.pop("sites"))
        _ensure_administers(request.user, sites)
        password = values.pop("password", None)
        user, role_request = user_add(
            **values, password=password, sites=sites, actor=request.user, reason="added through the API"
        )
        user = selectors.user_with_memberships(pk=user.pk)
        # Serialise the user itself: the membership fields read model attributes, not output data.
        user.set_password_link = None if password else set_password_link(user, base_url=settings.SITE_URL)
        user.role_request = role_request and selectors.role_request_get(user=request.user, pk=role_request.pk)
        return Response(self.CreatedSerializer(user).data, status=status.HTTP_201_CREATED)


class UserMembershipsApi(APIView):
    """Give a person a further role at sites (administrators only; never to oneself, 403).

    200 with the person when the role is granted; 202 with the request when the role sees a factor
    of the protocol in force, or is the administrator's: a second administrator of the trial
    approves or refuses it (``/api/role-requests/``), and the trial's unblinded team is told.
    """

    permission_classes = [IsAdministrator]

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=[r.value for r in Role])
        trial = serializers.CharField(max_length=40)
        sites = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
        reason = serializers.CharField(
            max_length=1000,
            required=False,
            default="role granted through the API",
            help_text="Kept in the audit trail.",
        )

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer, 202: RoleRequestSerializer})
    def post(self, request, user_id: int):
        user = selectors.user_get(pk=user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        sites = sites_for(trial=values["trial"], sites=values["sites"])
        _ensure_administers(request.user, sites)
        result = membership_request(
            user=user, role=values["role"], sites=sites, actor=request.user, reason=values["reason"]
        )
        if isinstance(result, RoleRequest):
            found = selectors.role_request_get(user=request.user, pk=result.pk)
            return Response(RoleRequestSerializer(found).data, status=status.HTTP_202_ACCEPTED)
        return Response(UserOutputSerializer(selectors.user_with_memberships(pk=user.pk)).data)


class RoleRequestListApi(GenericAPIView):
    """Requests for roles in the trials the caller administers: the pending first, then the newest."""

    paginated_list = True

    permission_classes = [IsAdministrator]
    serializer_class = RoleRequestSerializer

    def get_queryset(self):
        return selectors.role_requests_visible(user=self.request.user)

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RoleRequestSerializer(page, many=True).data)


class RoleRequestApproveApi(APIView):
    """Approve a pending request: the role is granted. Only a second administrator of the trial,
    neither the one who asked nor the one the role is for (403); a decided request is a 409."""

    permission_classes = [IsAdministrator]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)

    @extend_schema(request=InputSerializer, responses={200: RoleRequestSerializer})
    def post(self, request, pk: int):
        found = selectors.role_request_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role_request_approve(request=found, actor=request.user, reason=data.validated_data["reason"])
        return Response(RoleRequestSerializer(selectors.role_request_get(user=request.user, pk=pk)).data)


class RoleRequestRefuseApi(APIView):
    """Refuse a pending request, saying why. Who may, as for approving."""

    permission_classes = [IsAdministrator]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000)

    @extend_schema(request=InputSerializer, responses={200: RoleRequestSerializer})
    def post(self, request, pk: int):
        found = selectors.role_request_get(user=request.user, pk=pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role_request_refuse(request=found, actor=request.user, reason=data.validated_data["reason"])
        return Response(RoleRequestSerializer(selectors.role_request_get(user=request.user, pk=pk)).data)
