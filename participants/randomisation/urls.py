"""Pages: randomising a participant, with a confirmation step."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("participants/<str:study_id>/randomise/", page_not_built, name="randomise"),
]
