"""Pages: the trials list and a trial's page for investigators and data managers."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("trials/", page_not_built, name="trials"),
    path("trials/<str:code>/", page_not_built, name="trial"),
]
