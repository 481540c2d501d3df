"""URLs: the API under /api/, its schema and docs, the admin, health, account pages and the staff pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import access_api
from core import api as core_api
from core import views as core_views
from outcomes import api as outcomes_api
from outcomes import exports_api
from outcomes import urls as outcomes_pages
from participants import urls as participants_pages
from participants.enrolment import api as enrolment_api
from participants.locks import api as locks_api
from participants.randomisation import api as randomisation_api
from participants.safety import api as safety_api
from participants.schedule import api as schedule_api
from reminders import urls as reminders_urls
from review import urls as review_urls
from trials import api as trials_api
from trialtracker.dashboard import dashboard
from trialtracker.health import healthz

api_patterns = [
    path("auth/token/", access_api.TokenApi.as_view(), name="token"),
    path("tokens/", access_api.TokenListApi.as_view(), name="tokens"),
    path("tokens/<id:pk>/revoke/", access_api.TokenRevokeApi.as_view(), name="token-revoke"),
    path("me/", core_api.MeApi.as_view(), name="me"),
    path("me/totp/", access_api.SecondFactorEnrolApi.as_view(), name="me-totp"),
    path("me/totp/confirm/", access_api.SecondFactorConfirmApi.as_view(), name="me-totp-confirm"),
    path("users/", core_api.UserListApi.as_view(), name="users"),
    path("users/<id:user_id>/memberships/", core_api.UserMembershipsApi.as_view(), name="user-memberships"),
    path("users/<id:user_id>/unlock/", access_api.UnlockApi.as_view(), name="user-unlock"),
    path("users/<id:user_id>/totp/reset/", access_api.SecondFactorResetApi.as_view(), name="user-totp-reset"),
    path("role-requests/", core_api.RoleRequestListApi.as_view(), name="role-requests"),
    path("role-requests/<id:pk>/approve/", core_api.RoleRequestApproveApi.as_view(), name="role-request-approve"),
    path("role-requests/<id:pk>/refuse/", core_api.RoleRequestRefuseApi.as_view(), name="role-request-refuse"),
    path("trials/", trials_api.TrialListApi.as_view(), name="trials"),
    path("trials/<str:code>/", trials_api.TrialDetailApi.as_view(), name="trial"),
    path("trials/<str:code>/versions/", trials_api.VersionListApi.as_view(), name="trial-versions"),
    path(
        "trials/<str:code>/versions/<id:number>/",
        trials_api.VersionDetailApi.as_view(),
        name="trial-version",
    ),
    path("trials/<str:code>/design/", trials_api.DesignApi.as_view(), name="trial-design"),
    path("trials/<str:code>/schedule/", trials_api.ScheduleApi.as_view(), name="trial-schedule"),
    path("trials/<str:code>/settings/", trials_api.SettingsApi.as_view(), name="trial-settings"),
    path("trials/<str:code>/history/", trials_api.ProtocolHistoryApi.as_view(), name="trial-history"),
    path(
        "trials/<str:code>/allocation-counts/",
        randomisation_api.AllocationCountsApi.as_view(),
        name="allocation-counts",
    ),
    path("trials/<str:code>/randomisation-lists/", randomisation_api.RandomisationListApi.as_view(), name="lists"),
    path(
        "trials/<str:code>/randomisation-lists/top-up/",
        randomisation_api.RandomisationListTopUpApi.as_view(),
        name="lists-top-up",
    ),
    path(
        "trials/<str:code>/randomisation-lists/verify/",
        randomisation_api.RandomisationListVerifyApi.as_view(),
        name="lists-verify",
    ),
    path(
        "trials/<str:code>/randomisation-lists/slots/",
        randomisation_api.RandomisationListSlotsApi.as_view(),
        name="lists-slots",
    ),
    path("trials/<str:code>/locks/", locks_api.LockListApi.as_view(), name="locks"),
    path("locks/<id:pk>/unlock/", locks_api.UnlockApi.as_view(), name="unlock"),
    path(
        "trials/<str:code>/analysis-unblinding/",
        locks_api.AnalysisUnblindingApi.as_view(),
        name="analysis-unblinding",
    ),
    path("trials/<str:code>/exports/<str:format>/", exports_api.ExportApi.as_view(), name="trial-export"),
    path("screenings/", enrolment_api.ScreeningListApi.as_view(), name="screenings"),
    path("screenings/<id:pk>/", enrolment_api.ScreeningDetailApi.as_view(), name="screening"),
    path("participants/", enrolment_api.ParticipantListApi.as_view(), name="participants"),
    path("participants/<str:study_id>/", enrolment_api.ParticipantDetailApi.as_view(), name="participant"),
    path("participants/<str:study_id>/consents/", enrolment_api.ConsentApi.as_view(), name="consents"),
    path("participants/<str:study_id>/withdrawals/", enrolment_api.WithdrawalApi.as_view(), name="withdrawals"),
    path("participants/<str:study_id>/baseline/", enrolment_api.BaselineApi.as_view(), name="baseline"),
    path("participants/<str:study_id>/randomise/", randomisation_api.RandomiseApi.as_view(), name="randomise"),
    path("participants/<str:study_id>/allocation/", randomisation_api.AllocationApi.as_view(), name="allocation"),
    path("participants/<str:study_id>/unblind/", locks_api.UnblindApi.as_view(), name="unblind"),
    path("participants/<str:study_id>/identity/", enrolment_api.IdentityApi.as_view(), name="identity"),
    path("participants/<str:study_id>/history/", enrolment_api.ParticipantHistoryApi.as_view(), name="history"),
    path(
        "participants/<str:study_id>/appointments/",
        schedule_api.ParticipantAppointmentsApi.as_view(),
        name="participant-appointments",
    ),
    path(
        "participants/<str:study_id>/adverse-events/",
        safety_api.ParticipantAdverseEventsApi.as_view(),
        name="participant-adverse-events",
    ),
    path(
        "participants/<str:study_id>/deviations/",
        safety_api.ParticipantDeviationsApi.as_view(),
        name="participant-deviations",
    ),
    path("appointments/", schedule_api.WorklistApi.as_view(), name="worklist"),
    path("appointments/<id:pk>/reschedule/", schedule_api.RescheduleApi.as_view(), name="reschedule"),
    path("appointments/<id:pk>/cancel/", schedule_api.CancelApi.as_view(), name="cancel"),
    path("appointments/<id:pk>/visit/", schedule_api.VisitApi.as_view(), name="visit"),
    path("appointments/<id:pk>/infusion/", schedule_api.InfusionApi.as_view(), name="infusion"),
    path("appointments/<id:pk>/session/", schedule_api.SessionApi.as_view(), name="session"),
    path("adverse-events/deadlines/", safety_api.DeadlinesApi.as_view(), name="ae-deadlines"),
    path("adverse-events/coding/", safety_api.CodingWorklistApi.as_view(), name="ae-coding-worklist"),
    path("adverse-events/<id:pk>/coding/", safety_api.AdverseEventCodingApi.as_view(), name="ae-coding"),
    path("dictionaries/", safety_api.DictionaryReleasesApi.as_view(), name="dictionaries"),
    path("dictionaries/terms/", safety_api.DictionaryTermsApi.as_view(), name="dictionary-terms"),
    path("adverse-events/<id:pk>/", safety_api.AdverseEventDetailApi.as_view(), name="adverse-event"),
    path("adverse-events/<id:pk>/reports/", safety_api.AdverseEventReportApi.as_view(), name="ae-reports"),
    path("deviations/", safety_api.DeviationListApi.as_view(), name="deviations"),
    path("deviations/<id:pk>/review/", safety_api.DeviationReviewApi.as_view(), name="deviation-review"),
    *reminders_urls.api_patterns,
    *review_urls.api_patterns,
    path("trials/<str:code>/endpoints/", outcomes_api.TrialEndpointsApi.as_view(), name="trial-endpoints"),
    path("participants/<str:study_id>/drinking-days/", outcomes_api.DrinkingDaysApi.as_view(), name="drinking-days"),
    path("participants/<str:study_id>/biomarkers/", outcomes_api.BiomarkersApi.as_view(), name="biomarkers"),
    path(
        "participants/<str:study_id>/questionnaires/", outcomes_api.QuestionnairesApi.as_view(), name="questionnaires"
    ),
    path("participants/<str:study_id>/endpoints/", outcomes_api.ParticipantEndpointsApi.as_view(), name="endpoints"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]

# The staff pages, under the namespace "web"; each app lists its own.
web_patterns = [
    path("", dashboard, name="dashboard"),
    *review_urls.page_patterns,
    *participants_pages.page_patterns,
    *outcomes_pages.page_patterns,
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", include(api_patterns)),
    # The project's own sign-in (lockout, second step) for the admin too, ahead of Django's.
    path("admin/login/", core_views.sign_in, name="admin-sign-in"),
    # The admin's own password change would check the current password outside the lockout.
    path("admin/password_change/", core_views.PasswordChange.as_view(), name="admin-password-change"),
    path("admin/", admin.site.urls),
    path("accounts/login/", core_views.sign_in, name="login"),
    path("accounts/login/code/", core_views.sign_in_code, name="login-code"),
    path("accounts/password_change/", core_views.PasswordChange.as_view(), name="password_change"),
    path("accounts/", include("django.contrib.auth.urls")),
    *reminders_urls.participant_pages,
    path("anymail/", include("anymail.urls")),
    path("", include((web_patterns, "web"))),
]

# A URL under /api/ that matches no view (e.g. /api/users/abc/memberships/) answers in the error shape.
handler404 = "core.errors.page_not_found"
