"""Page: the timeline follow-back calendar."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("participants/<str:study_id>/drinking/", page_not_built, name="drinking"),
]
