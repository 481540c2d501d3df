"""OpenAPI schema generation tweaks shared by every view.

* Serializers declared inside a view (``TokenApi.OutputSerializer``) are named after the view
  (``TokenOutput``), so that components of different views never collide.
* Views that return a paginated list from ``get`` say so with ``paginated_list = True``, so that
  the schema shows the page wrapper (count, next, previous, results) they really answer with.
  Only ``GET`` answers pages: a write that answers the list it wrote (``PUT`` of drinking days)
  answers it whole, so neither the wrapper nor ``page``/``page_size`` belong to it.
* A time of day (``TimeField``: a reminder's preferred time, quiet hours) is a wall-clock time in
  a time zone stated beside it, answered as ``HH:MM:SS`` with no offset. The ``time`` format means
  RFC 3339's full-time, whose offset is required, so it is documented by a pattern instead.
* The two ways to authenticate (:mod:`core.authentication`) are described as security schemes.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from rest_framework import serializers

LOCAL_TIME = {"pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "09:30:00"}


class AutoSchema(BaseAutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        if self.method == "GET" and getattr(self.view, "paginated_list", False):
            return True
        return super()._is_list_view(serializer)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            schema = {key: value for key, value in schema.items() if key != "format"} | LOCAL_TIME
        return schema

    def _get_paginator(self):
        if self.method != "GET":
            return None
        return super()._get_paginator()

    def get_serializer_name(self, serializer, direction) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("Api") + inner
        return super().get_serializer_name(serializer, direction)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                'A token from `POST /api/auth/token/`, sent as "Token <key>". It ends after some hours '
                "(`API_TOKEN_HOURS`), when revoked, and when its owner's password changes."
            ),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
