"""Pages: the participants list and the casebook."""

from django.urls import path

from participants.casebook import views

page_patterns = [
    path("participants/", views.participant_list, name="participants"),
    path("participants/<str:study_id>/", views.casebook, name="casebook"),
]
