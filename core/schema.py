"""OpenAPI schema generation tweaks shared by every view.

* Serializers declared inside a view (``TokenApi.OutputSerializer``) are named after the view
  (``TokenOutput``), so that components of different views never collide.
* Views that return a paginated list from ``get`` say so with ``paginated_list = True``, so that
  the schema shows the page wrapper (count, next, previous, results) they really answer with.
  Only ``GET`` answers pages: a write that answers the list it wrote (``PUT`` of drinking days)
  answers it whole, so neither the wrapper nor ``page``/``page_size`` belong to it.
"""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema


class AutoSchema(BaseAutoSchema):
    def _is_list_view(self, serializer=None) -> bool:
        if self.method == "GET" and getattr(self.view, "paginated_list", False):
            return True
        return super()._is_list_view(serializer)

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
