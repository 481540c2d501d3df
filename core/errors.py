"""One error shape for every 4xx answer, and the exceptions services raise.

Every client error is answered as::

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"weight_kg": ["..."]}}}

``fields`` maps a field path (``days.3.grams`` for nested input) to its messages; it is empty when
the problem is not one field's. Services raise :class:`Invalid`, :class:`Conflict`,
:class:`NotFound` or :class:`Forbidden` (or Django's ``ValidationError``) and never know about
HTTP; views let them through to :func:`exception_handler`, commands turn them into a non-zero exit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A refusal a service gives; ``status`` is the HTTP status an API answers it with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        details = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in self.fields.items())
        return f"{self.message} ({details})"


class Invalid(DomainError):
    """Bad input: a 400 with field messages."""


class Conflict(DomainError):
    """A precondition of the protocol or of the record's state is not met: a 409."""

    status = 409
    code = "conflict"


class NotFound(DomainError):
    """The object does not exist or the caller may not know that it does: a 404."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller may not do this: a 403."""

    status = 403
    code = "forbidden"


def flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error detail into ``{"a.0.b": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            path = key if not prefix else f"{prefix}.{key}"
            if key in ("non_field_errors", "__all__"):
                path = prefix or "non_field_errors"
            for k, v in flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item in ({}, []):
                    continue
                for k, v in flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def body(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering every client error in the one shape."""
    if isinstance(exc, DomainError):
        return Response(body(exc.status, exc.code, exc.message, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = flatten(exc.message_dict) if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages) if not fields else "The input is not valid."
        return Response(body(400, "invalid", message, fields), status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        fields = flatten(exc.detail)
        message = "The input is not valid."
        if list(fields) == ["non_field_errors"]:
            message = " ".join(fields.pop("non_field_errors"))
        response.data = body(response.status_code, "invalid", message, fields)
    else:
        detail = exc.detail if isinstance(exc, drf.APIException) else str(exc)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = body(response.status_code, str(code), str(detail))
    return response


def page_not_found(request, exception=None):
    """Django's 404 handler: under ``/api/`` a URL no view matches is answered in the one shape too."""
    if request.path.startswith("/api/"):
        return JsonResponse(body(404, "not_found", "Not found."), status=404)
    return defaults.page_not_found(request, exception)


class RefuseNulCharacters:
    """Middleware: a path or query parameter carrying a NUL character is bad input, a 400.

    PostgreSQL text cannot hold NUL, so such a value would otherwise fail in the database (a 500)
    wherever a view filters on it. Request bodies need no help: serializer fields refuse NUL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = {
            name or "query": ["Null characters are not allowed."]
            for name, values in request.GET.lists()
            if "\x00" in name or any("\x00" in value for value in values)
        }
        if "\x00" in request.path:
            fields["path"] = ["Null characters are not allowed."]
        if fields:
            return JsonResponse(body(400, "invalid", "The request contains a null character.", fields), status=400)
        return self.get_response(request)


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "fields"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

_ERROR_STATUSES = {
    "400": "Bad input, with field messages.",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "Not found, or not visible to the caller.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "A precondition is not met.",
    "415": "Unsupported media type.",
    "429": "Too many requests.",
}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular hook: document the one error shape on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, description in _ERROR_STATUSES.items():
                responses.setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
    return result
