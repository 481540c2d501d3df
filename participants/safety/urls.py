"""Pages: adverse events."""

from django.urls import path

from participants.safety import views

page_patterns = [
    path("participants/<str:study_id>/adverse-events/new/", views.adverse_event_new, name="adverse-event-new"),
    path("adverse-events/<id:pk>/", views.adverse_event, name="adverse-event"),
]
