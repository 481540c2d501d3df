"""Pages: adverse events."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("participants/<str:study_id>/adverse-events/new/", page_not_built, name="adverse-event-new"),
    path("adverse-events/<id:pk>/", page_not_built, name="adverse-event"),
]
