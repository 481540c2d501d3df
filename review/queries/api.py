"""API of data queries: the list and one query with its thread, raising one, and the site's answer,
closing, re-opening and comments. Thin: the selectors scope and blind, the services decide."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Invalid
from review.queries import selectors, services
from review.queries.selectors import where


class MessageSerializer(serializers.Serializer):
    author = serializers.CharField(allow_null=True, help_text="Empty for the system (an edit check).")
    action = serializers.CharField()
    text = serializers.CharField()
    at = serializers.DateTimeField()


class QuerySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    trial = serializers.CharField()
    site = serializers.CharField()
    study_id = serializers.CharField()
    record_kind = serializers.CharField(help_text="The kind of record (GET /api/queries/?kind=).")
    record_id = serializers.IntegerField()
    item = serializers.CharField(allow_blank=True, help_text="Blank: the whole record.")
    where = serializers.CharField()
    state = serializers.CharField()
    raised_by = serializers.CharField(allow_null=True, help_text="Empty when an edit check raised it.")
    check = serializers.CharField(allow_blank=True, help_text="The edit check that raised it.")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    age_days = serializers.IntegerField()


class QueryDetailSerializer(QuerySerializer):
    messages = MessageSerializer(many=True)


def _data(query, *, thread: bool = False) -> dict:
    data = {
        "id": query.pk,
        "trial": query.trial.code,
        "site": query.site.code,
        "study_id": query.participant.study_id,
        "record_kind": query.kind,
        "record_id": query.record_id,
        "item": query.item,
        "where": where(query),
        "state": query.state,
        "raised_by": query.raised_by.username if query.raised_by_id else None,
        "check": query.check_code,
        "created_at": query.created_at,
        "answered_at": query.answered_at,
        "closed_at": query.closed_at,
        "age_days": selectors.age_days(query),
    }
    if thread:
        data["messages"] = [
            {"author": m.author.username if m.author_id else None, "action": m.action, "text": m.text, "at": m.at}
            for m in query.messages.all()
        ]
    return data


def _int(value: str, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise Invalid("not a number", fields={field: ["Give a whole number of days."]}) from None
    if not 0 <= number <= 100_000:
        raise Invalid("out of range", fields={field: ["Give a number of days from 0 to 100000."]})
    return number


class QueryListApi(GenericAPIView):
    """Data queries at the caller's sites (none on an item hidden from them), oldest first; ``POST``
    raises one (a monitor or a data manager)."""

    serializer_class = QuerySerializer
    paginated_list = True

    class InputSerializer(serializers.Serializer):
        record_kind = serializers.CharField(max_length=40)
        record_id = serializers.IntegerField(min_value=1, max_value=2**62)
        item = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        text = serializers.CharField(max_length=services.MAX_TEXT)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, description="open, answered, closed, or unfinished (open or answered)"),
            OpenApiParameter("trial", str),
            OpenApiParameter("site", str),
            OpenApiParameter("participant", str, description="A study id."),
            OpenApiParameter("kind", str, description="A kind of record (drinking_day, infusion, visit...)."),
            OpenApiParameter("min_age", int, description="At least this many days since it was raised."),
        ]
    )
    def get(self, request):
        params = request.query_params
        found = selectors.queries_list(
            user=request.user,
            state=params.get("state", ""),
            trial_code=params.get("trial", ""),
            site_code=params.get("site", ""),
            study_id=params.get("participant", ""),
            kind=params.get("kind", ""),
            min_age_days=_int(params.get("min_age", ""), "min_age"),
        )
        page = self.paginate_queryset(found)
        return self.get_paginated_response(QuerySerializer([_data(q) for q in page], many=True).data)

    @extend_schema(request=InputSerializer, responses={201: QueryDetailSerializer})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        query = services.query_raise(
            actor=request.user,
            kind=given["record_kind"],
            record_id=given["record_id"],
            item=given["item"],
            text=given["text"],
        )
        shown = selectors.query_get(user=request.user, pk=query.pk)
        return Response(QueryDetailSerializer(_data(shown, thread=True)).data, status=status.HTTP_201_CREATED)


class QueryDetailApi(APIView):
    """One data query with its thread."""

    @extend_schema(responses={200: QueryDetailSerializer})
    def get(self, request, pk: int):
        query = selectors.query_get(user=request.user, pk=pk)
        return Response(QueryDetailSerializer(_data(query, thread=True)).data)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT)


class OptionalTextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT, required=False, allow_blank=True, default="")


class _QueryActionApi(APIView):
    input_serializer = TextSerializer

    def act(self, *, actor, query, text: str) -> None:  # pragma: no cover - each action says
        raise NotImplementedError

    def post(self, request, pk: int):
        query = selectors.query_get(user=request.user, pk=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.act(actor=request.user, query=query, text=data.validated_data["text"])
        shown = selectors.query_get(user=request.user, pk=pk)
        return Response(QueryDetailSerializer(_data(shown, thread=True)).data)


class QueryAnswerApi(_QueryActionApi):
    """The site answers an open query (a coordinator or an investigator; not whoever raised it)."""

    @extend_schema(request=TextSerializer, responses={200: QueryDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, actor, query, text):
        services.query_answer(actor=actor, query=query, text=text)


class QueryCloseApi(_QueryActionApi):
    """Whoever raised the query closes it (a data manager, for an edit check's); never the site."""

    input_serializer = OptionalTextSerializer

    @extend_schema(request=OptionalTextSerializer, responses={200: QueryDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, actor, query, text):
        services.query_close(actor=actor, query=query, text=text)


class QueryReopenApi(_QueryActionApi):
    """Whoever raised the query re-opens it, saying why."""

    @extend_schema(request=TextSerializer, responses={200: QueryDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, actor, query, text):
        services.query_reopen(actor=actor, query=query, text=text)


class QueryCommentApi(_QueryActionApi):
    """A comment on the thread of a query not closed; the state does not change."""

    @extend_schema(request=TextSerializer, responses={200: QueryDetailSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, *, actor, query, text):
        services.query_comment(actor=actor, query=query, text=text)
