"""Pages: screening, consent, enrolment, baseline, withdrawal and contact details."""

from django.urls import path

from core.web import page_not_built

page_patterns = [
    path("screenings/new/", page_not_built, name="screening-new"),
    path("screenings/<id:pk>/", page_not_built, name="screening"),
    path("screenings/<id:pk>/enrol/", page_not_built, name="enrol"),
    path("participants/<str:study_id>/consent/", page_not_built, name="consent"),
    path("participants/<str:study_id>/baseline/", page_not_built, name="baseline"),
    path("participants/<str:study_id>/withdraw/", page_not_built, name="withdraw"),
    path("participants/<str:study_id>/contact/", page_not_built, name="contact"),
]
