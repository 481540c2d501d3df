"""Pages: adverse events and their coding."""

from django.urls import path

from participants.safety import coding_views, views

page_patterns = [
    path("participants/<str:study_id>/adverse-events/new/", views.adverse_event_new, name="adverse-event-new"),
    path("adverse-events/<id:pk>/", views.adverse_event, name="adverse-event"),
    path("safety/coding/", coding_views.coding_worklist, name="coding"),
    path("safety/coding/<id:pk>/", coding_views.coding_event, name="coding-event"),
]
