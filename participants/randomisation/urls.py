"""Pages: randomising a participant, with a confirmation step."""

from django.urls import path

from participants.randomisation import views

page_patterns = [
    path("participants/<str:study_id>/randomise/", views.randomise, name="randomise"),
]
