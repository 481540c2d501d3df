"""Pages: screening, consent, enrolment, baseline, withdrawal and contact details."""

from django.urls import path

from participants.enrolment import views

page_patterns = [
    path("screenings/new/", views.screening_new, name="screening-new"),
    path("screenings/<id:pk>/", views.screening, name="screening"),
    path("screenings/<id:pk>/enrol/", views.enrol, name="enrol"),
    path("participants/<str:study_id>/consent/", views.consent, name="consent"),
    path("participants/<str:study_id>/baseline/", views.baseline, name="baseline"),
    path("participants/<str:study_id>/withdraw/", views.withdraw, name="withdraw"),
    path("participants/<str:study_id>/contact/", views.contact, name="contact"),
]
