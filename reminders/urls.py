"""URLs of reminders: the participant's pages, the SMS hooks (outside /api/), and the API patterns."""

from django.urls import path

from reminders import api, views

participant_pages = [
    path("r/<str:token>/", views.reminder_page, name="reminder-page"),
    path("r/<str:token>/stop/", views.opt_out_page, name="reminder-opt-out"),
    path("hooks/twilio/inbound", views.twilio_inbound, name="twilio-inbound"),
    path("hooks/twilio/status", views.twilio_status, name="twilio-status"),
]

api_patterns = [
    path("reminders/worklist/", api.ReminderWorklistApi.as_view(), name="reminders-worklist"),
    path(
        "participants/<str:study_id>/contact-preferences/",
        api.ContactPreferenceApi.as_view(),
        name="contact-preferences",
    ),
    path(
        "participants/<str:study_id>/notifications/",
        api.ParticipantNotificationsApi.as_view(),
        name="participant-notifications",
    ),
]
