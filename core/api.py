"""Cross-cutting API: people and their roles, the audit history (signing in: :mod:`core.access_api`)."""

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
from core.permissions import IsAdministrator
from core.roles import Role
from core.services import membership_grant, set_password_link, sites_for, user_create


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
    """Refuse (403) granting roles at sites of a trial the caller does not administer."""
    if user.is_superuser:
        return
    administered = permissions.trials_administered(user)
    if any(site.trial_id not in administered for site in sites):
        raise Forbidden("you administer people only in the trials where you hold the administrator role")


class UserListApi(GenericAPIView):
    """People and their roles (administrators only); ``POST`` adds a person with a role at sites."""

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

    def get_queryset(self):
        """People holding a role in a trial the caller administers (everyone, for a superuser)."""
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
        user = user_create(**values, password=password, sites=sites, actor=request.user, reason="added through the API")
        user = self.get_queryset().get(pk=user.pk)
        # Serialise the user itself: the membership fields read model attributes, not output data.
        user.set_password_link = None if password else set_password_link(user, base_url=settings.SITE_URL)
        return Response(self.CreatedSerializer(user).data, status=status.HTTP_201_CREATED)


class UserMembershipsApi(APIView):
    """Give a person a further role at sites (administrators only)."""

    permission_classes = [IsAdministrator]

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=[r.value for r in Role])
        trial = serializers.CharField(max_length=40)
        sites = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)

    @extend_schema(request=InputSerializer, responses={200: UserOutputSerializer})
    def post(self, request, user_id: int):
        user = selectors.user_get(pk=user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sites = sites_for(trial=data.validated_data["trial"], sites=data.validated_data["sites"])
        _ensure_administers(request.user, sites)
        membership_grant(user=user, role=data.validated_data["role"], sites=sites, actor=request.user)
        return Response(UserOutputSerializer(selectors.user_with_memberships(pk=user.pk)).data)
