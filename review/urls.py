"""The review's URLs: its API (gathered under /api/) and its pages (under the namespace ``web``)."""

from django.urls import path

from review import api, views

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
]

page_patterns = [
    path("monitoring/", views.monitoring, name="monitoring"),
    path("signing/", views.to_sign, name="to-sign"),
    path("participants/<str:study_id>/monitoring/", views.participant_monitoring, name="participant-monitoring"),
    path("participants/<str:study_id>/sign/", views.sign, name="sign"),
]
