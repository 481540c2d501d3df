"""Pages: biomarkers and questionnaires."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("participants/<str:study_id>/biomarkers/", page_not_built, name="biomarkers"),
    path("participants/<str:study_id>/questionnaires/", page_not_built, name="questionnaires"),
]
