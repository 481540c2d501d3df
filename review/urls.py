"""The review app's pages (under the namespace ``web``) and API (under ``/api/``)."""

from django.urls import path

from review.queries import api as queries_api
from review.queries import views as queries

page_patterns = [
    path("queries/", queries.query_list, name="queries"),
    path("queries/new/", queries.query_new, name="query-new"),
    path("queries/<id:pk>/", queries.query_page, name="query"),
]

api_patterns = [
    path("queries/", queries_api.QueryListApi.as_view(), name="queries"),
    path("queries/<id:pk>/", queries_api.QueryDetailApi.as_view(), name="query"),
    path("queries/<id:pk>/answer/", queries_api.QueryAnswerApi.as_view(), name="query-answer"),
    path("queries/<id:pk>/close/", queries_api.QueryCloseApi.as_view(), name="query-close"),
    path("queries/<id:pk>/reopen/", queries_api.QueryReopenApi.as_view(), name="query-reopen"),
    path("queries/<id:pk>/comment/", queries_api.QueryCommentApi.as_view(), name="query-comment"),
]
