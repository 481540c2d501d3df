"""The review's URLs: its API (gathered under /api/) and its pages (under the namespace ``web``):
data queries, source data verification, signatures and the reasons items are empty."""

from django.urls import path

from review import api, missing_views, views
from review.queries import api as queries_api
from review.queries import views as queries

api_patterns = [
    path(
        "participants/<str:study_id>/verification/",
        api.ParticipantVerificationApi.as_view(),
        name="participant-verification",
    ),
    path("verification-marks/", api.VerifyApi.as_view(), name="verification-marks"),
    path("trials/<str:code>/monitoring/", api.TrialMonitoringApi.as_view(), name="trial-monitoring"),
    path("participants/<str:study_id>/signatures/", api.SignaturesApi.as_view(), name="signatures"),
    path("signatures/to-sign/", api.ToSignApi.as_view(), name="to-sign"),
    path("records/<str:kind>/<id:pk>/empty-items/", api.EmptyItemsApi.as_view(), name="empty-items"),
    path("queries/", queries_api.QueryListApi.as_view(), name="queries"),
    path("queries/<id:pk>/", queries_api.QueryDetailApi.as_view(), name="query"),
    path("queries/<id:pk>/answer/", queries_api.QueryAnswerApi.as_view(), name="query-answer"),
    path("queries/<id:pk>/close/", queries_api.QueryCloseApi.as_view(), name="query-close"),
    path("queries/<id:pk>/reopen/", queries_api.QueryReopenApi.as_view(), name="query-reopen"),
    path("queries/<id:pk>/comment/", queries_api.QueryCommentApi.as_view(), name="query-comment"),
]

page_patterns = [
    path("monitoring/", views.monitoring, name="monitoring"),
    path("signing/", views.to_sign, name="to-sign"),
    path("participants/<str:study_id>/monitoring/", views.participant_monitoring, name="participant-monitoring"),
    path("participants/<str:study_id>/sign/", views.sign, name="sign"),
    path("records/<str:kind>/<id:pk>/empty-items/", missing_views.empty_items_page, name="empty-items"),
    path("queries/", queries.query_list, name="queries"),
    path("queries/new/", queries.query_new, name="query-new"),
    path("queries/<id:pk>/", queries.query_page, name="query"),
]
