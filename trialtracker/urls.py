"""URLs: the API under /api/, its schema and docs, the admin, health, and account pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from participants import api as participants_api
from trials import api as trials_api
from trialtracker import api as core_api
from trialtracker.health import healthz

api_patterns = [
    path("auth/token/", core_api.TokenApi.as_view(), name="token"),
    path("me/", core_api.MeApi.as_view(), name="me"),
    path("users/", core_api.UserListApi.as_view(), name="users"),
    path("users/<int:user_id>/memberships/", core_api.UserMembershipsApi.as_view(), name="user-memberships"),
    path("trials/", trials_api.TrialListApi.as_view(), name="trials"),
    path("trials/<str:code>/", trials_api.TrialDetailApi.as_view(), name="trial"),
    path("trials/<str:code>/versions/", trials_api.VersionListApi.as_view(), name="trial-versions"),
    path(
        "trials/<str:code>/versions/<int:number>/",
        trials_api.VersionDetailApi.as_view(),
        name="trial-version",
    ),
    path("trials/<str:code>/design/", trials_api.DesignApi.as_view(), name="trial-design"),
    path("trials/<str:code>/schedule/", trials_api.ScheduleApi.as_view(), name="trial-schedule"),
    path("trials/<str:code>/settings/", trials_api.SettingsApi.as_view(), name="trial-settings"),
    path("trials/<str:code>/history/", trials_api.ProtocolHistoryApi.as_view(), name="trial-history"),
    path(
        "trials/<str:code>/allocation-counts/", participants_api.AllocationCountsApi.as_view(), name="allocation-counts"
    ),
    path("trials/<str:code>/randomisation-lists/", participants_api.RandomisationListApi.as_view(), name="lists"),
    path(
        "trials/<str:code>/randomisation-lists/top-up/",
        participants_api.RandomisationListTopUpApi.as_view(),
        name="lists-top-up",
    ),
    path(
        "trials/<str:code>/randomisation-lists/verify/",
        participants_api.RandomisationListVerifyApi.as_view(),
        name="lists-verify",
    ),
    path(
        "trials/<str:code>/randomisation-lists/slots/",
        participants_api.RandomisationListSlotsApi.as_view(),
        name="lists-slots",
    ),
    path("screenings/", participants_api.ScreeningListApi.as_view(), name="screenings"),
    path("screenings/<int:pk>/", participants_api.ScreeningDetailApi.as_view(), name="screening"),
    path("participants/", participants_api.ParticipantListApi.as_view(), name="participants"),
    path("participants/<str:study_id>/", participants_api.ParticipantDetailApi.as_view(), name="participant"),
    path("participants/<str:study_id>/consents/", participants_api.ConsentApi.as_view(), name="consents"),
    path("participants/<str:study_id>/withdrawals/", participants_api.WithdrawalApi.as_view(), name="withdrawals"),
    path("participants/<str:study_id>/baseline/", participants_api.BaselineApi.as_view(), name="baseline"),
    path("participants/<str:study_id>/randomise/", participants_api.RandomiseApi.as_view(), name="randomise"),
    path("participants/<str:study_id>/allocation/", participants_api.AllocationApi.as_view(), name="allocation"),
    path("participants/<str:study_id>/unblind/", participants_api.UnblindApi.as_view(), name="unblind"),
    path("participants/<str:study_id>/identity/", participants_api.IdentityApi.as_view(), name="identity"),
    path("participants/<str:study_id>/history/", participants_api.ParticipantHistoryApi.as_view(), name="history"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]
