"""Pages: the participants list and the casebook."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("participants/", page_not_built, name="participants"),
    path("participants/<str:study_id>/", page_not_built, name="casebook"),
]
