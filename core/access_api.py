"""API of signing in: tokens (issued with the password and, where needed, a one-time code; listed and
revoked), one's own second factor, and an administrator's unlock and second-factor reset."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core import login, second_factor, selectors, services, tokens
from core.errors import Conflict, Forbidden, Invalid
from core.models import ApiToken
from core.network import client_address
from core.permissions import IsAdministrator

OTP_NEEDED = "Enter the 6-digit code your authenticator app shows for the trial tracker."


class TokenThrottle(AnonRateThrottle):
    """Token requests per client address (``LOGIN_THROTTLE_RATE``), counted in the shared cache."""

    scope = "token"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def get_ident(self, request):
        return client_address(request) or "unknown"


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>".')
    expires_at = serializers.DateTimeField()
    second_factor = serializers.BooleanField(help_text="Whether a one-time code was verified to issue it.")


def _checked_code(request, user, otp: str) -> bool:
    """Whether the token is issued with a verified second factor; refuses when one is needed and missing
    or wrong (a wrong code counts towards the lockout)."""
    device = second_factor.device_of(user)
    if device is None:
        if second_factor.required_for(user):
            raise Forbidden(
                "this account needs a second factor and has none yet: sign in once on the web "
                "(/accounts/login/) to set up an authenticator app, then ask for a token with its code",
                code="second_factor_enrolment_required",
            )
        return False
    if not otp:
        raise Invalid("a one-time code is needed for this account", fields={"otp": [OTP_NEEDED]}, code="otp_required")
    if second_factor.totp_verify(user=user, code=otp) is None:
        login.sign_in_failed(request, username=user.get_username())
        raise Invalid("the one-time code is not right", fields={"otp": ["The code is not right or was already used."]})
    return True


class TokenApi(APIView):
    """``POST``: trade a username, password and (where needed) a one-time code for an API token that
    ends after ``API_TOKEN_HOURS``. ``DELETE``: revoke the token the request carries."""

    throttle_classes = [TokenThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
        otp = serializers.CharField(
            max_length=16,
            required=False,
            allow_blank=True,
            help_text="The one-time code of the account's authenticator app, where the account has one or needs one.",
        )

    def _asking(self) -> bool:
        """Whether this request asks for a token (as opposed to revoking the one it carries)."""
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self):
        return [] if self._asking() else super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._asking() else [IsAuthenticated()]

    def get_throttles(self):
        return super().get_throttles() if self._asking() else []

    @extend_schema(request=InputSerializer, responses={200: TokenOutputSerializer}, auth=[])
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = login.sign_in(request, username=values["username"], password=values["password"])
        verified = _checked_code(request, user, values.get("otp", ""))
        token, key = tokens.token_issue(user=user, second_factor=verified, address=client_address(request))
        return Response(
            TokenOutputSerializer({"token": key, "expires_at": token.expires_at, "second_factor": verified}).data
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise Conflict("this request carries no API token to revoke (sign out of a web session instead)")
        services.token_revoke(token=request.auth, actor=request.user, reason="revoked by its owner")
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    prefix = serializers.CharField(help_text="The key's first characters.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    address = serializers.CharField(allow_null=True)
    second_factor = serializers.BooleanField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField(allow_blank=True)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class TokenListApi(GenericAPIView):
    """Tokens still in use of the people in the trials the caller administers (administrators only)."""

    paginated_list = True
    permission_classes = [IsAdministrator]
    serializer_class = TokenSerializer

    def get(self, request):
        live = tokens.tokens_live(users=selectors.users_managed(user=request.user))
        page = self.paginate_queryset(live)
        return self.get_paginated_response(TokenSerializer(page, many=True).data)


class TokenRevokeApi(APIView):
    """Revoke someone's token, with a reason (administrators of their trials only)."""

    permission_classes = [IsAdministrator]

    @extend_schema(request=ReasonSerializer, responses={200: TokenSerializer})
    def post(self, request, pk: int):
        token = selectors.token_get(user=request.user, pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = services.token_revoke(token=token, actor=request.user, reason=data.validated_data["reason"])
        return Response(TokenSerializer(token).data)


class UnlockOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    cleared = serializers.IntegerField(help_text="Records of failed sign-ins cleared.")


class UnlockApi(APIView):
    """Lift the lockout of a person's account, with a reason (administrators of their trials only)."""

    permission_classes = [IsAdministrator]

    @extend_schema(request=ReasonSerializer, responses={200: UnlockOutputSerializer})
    def post(self, request, user_id: int):
        user = selectors.user_managed_get(user=request.user, pk=user_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cleared = login.account_unlock(user=user, actor=request.user, reason=data.validated_data["reason"])
        return Response(UnlockOutputSerializer({"username": user.username, "cleared": cleared}).data)


class SecondFactorResetOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    removed = serializers.IntegerField(help_text="Devices removed; the person enrols again at the next sign-in.")


class SecondFactorResetApi(APIView):
    """Remove a person's second factor (a lost phone), with a reason (administrators of their trials
    only, never for themselves)."""

    permission_classes = [IsAdministrator]

    @extend_schema(request=ReasonSerializer, responses={200: SecondFactorResetOutputSerializer})
    def post(self, request, user_id: int):
        user = selectors.user_managed_get(user=request.user, pk=user_id)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        removed = services.totp_reset(user=user, actor=request.user, reason=data.validated_data["reason"])
        return Response(SecondFactorResetOutputSerializer({"username": user.username, "removed": removed}).data)


class EnrolmentSerializer(serializers.Serializer):
    otpauth_uri = serializers.CharField(help_text="Give it to an authenticator app (as a QR code, or typed in).")
    secret = serializers.CharField(help_text="The same secret in base 32, to type into an app by hand.")


class SecondFactorEnrolApi(APIView):
    """Start enrolling an authenticator app as one's second factor; confirm with ``confirm/``."""

    @extend_schema(request=None, responses={201: EnrolmentSerializer})
    def post(self, request):
        device = services.totp_enrol(user=request.user)
        return Response(
            EnrolmentSerializer({"otpauth_uri": device.config_url, "secret": second_factor.secret_of(device)}).data,
            status=status.HTTP_201_CREATED,
        )


class SecondFactorStatusSerializer(serializers.Serializer):
    required = serializers.BooleanField(help_text="Whether this account's roles need a second factor.")
    enrolled = serializers.BooleanField()


class SecondFactorConfirmApi(APIView):
    """Confirm the enrolment with the first code the app shows."""

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=16)

    @extend_schema(request=InputSerializer, responses={200: SecondFactorStatusSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.totp_confirm(user=request.user, code=data.validated_data["code"])
        return Response(second_factor_status(request.user))


def second_factor_status(user) -> dict:
    return SecondFactorStatusSerializer(
        {"required": second_factor.required_for(user), "enrolled": second_factor.device_of(user) is not None}
    ).data
