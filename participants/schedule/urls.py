"""Pages: an appointment's booking, a visit, the infusion day, a therapy or education session."""

from django.urls import path

from participants.schedule import views

page_patterns = [
    path("appointments/<id:pk>/booking/", views.booking, name="booking"),
    path("appointments/<id:pk>/visit/", views.visit, name="visit"),
    path("appointments/<id:pk>/infusion-day/", views.infusion_day, name="infusion-day"),
    path("appointments/<id:pk>/infusion-day/dose/", views.infusion_dose, name="infusion-dose"),
    path("appointments/<id:pk>/session/", views.session, name="session"),
]
