"""URLs: the API under /api/, its schema and docs, the admin, health, and account pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

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
