"""Pagination for every list: ``?page=`` and ``?page_size=`` (at most 500).

Lists of audit events say, beside the page, whether the database keeps an audit trail at all: on
the embedded default (SQLite) nothing is recorded, and an empty history must not read as "nothing
happened".
"""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from core import audit

NO_AUDIT_TRAIL = (
    "This database keeps no audit trail (only PostgreSQL records one): changes made here are not in this history."
)


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class HistoryPagination(Pagination):
    """A page of audit events with ``audit_trail``: whether changes are recorded, and why not."""

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        recorded = audit.enabled()
        response.data["audit_trail"] = {"recorded": recorded, "message": "" if recorded else NO_AUDIT_TRAIL}
        return Response(response.data)

    def get_paginated_response_schema(self, schema):
        wrapped = super().get_paginated_response_schema(schema)
        wrapped["properties"]["audit_trail"] = {
            "type": "object",
            "description": "Whether this database records the audit trail; when it does not, a message saying so.",
            "properties": {"recorded": {"type": "boolean"}, "message": {"type": "string"}},
            "required": ["recorded", "message"],
        }
        wrapped["required"] = [*wrapped.get("required", []), "audit_trail"]
        return wrapped
