"""Helpers for the appointment, visit, infusion and safety tests.

Participants are taken through the services (screening, enrolment, baseline, randomisation) with
dates far enough in the past that the whole KARE schedule can be walked with past dates: the
randomisation date ``R`` is :data:`RANDOMISED_DAYS_AGO` days ago, consent 30 days before that.
Everything after randomisation goes through the API, as site staff would use it.

Each test module defines its own small ``clinic`` fixture over :class:`Clinic`, so nothing here
is a fixture that must be imported by name.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from rest_framework.test import APIClient

from participants.enrolment import services as enrolment
from participants.models import (
    AdverseEvent,
    Appointment,
    Deviation,
    InfusionSession,
    Participant,
    TherapySession,
    Visit,
    VitalSigns,
)
from participants.randomisation import services as randomisation
from tests.participants.conftest import days_ago

RANDOMISED_DAYS_AGO = 200
LONDON = zoneinfo.ZoneInfo("Europe/London")
CLINICAL_MODELS = (Appointment, Visit, InfusionSession, VitalSigns, TherapySession, AdverseEvent, Deviation)


def row_counts() -> dict[str, int]:
    """How many rows each clinical table holds: compared before and after a refused request."""
    return {model.__name__: model.objects.count() for model in CLINICAL_MODELS}


def refused(response, status: int, *, field: str | None = None, code: str | None = None) -> dict:
    """Assert an answer is a refusal in the one error shape; return its ``error`` part."""
    assert response.status_code == status, (response.status_code, response.content)
    payload = response.json()
    assert list(payload) == ["error"], payload
    error = payload["error"]
    assert set(error) == {"status", "code", "message", "fields"}, error
    assert error["status"] == status
    assert error["message"], error
    if field is not None:
        assert field in error["fields"], error
        assert all(isinstance(m, str) and m for m in error["fields"][field]), error
    if code is not None:
        assert error["code"] == code, error
    return error


def client_for(user) -> APIClient:
    """A client of its own (``as_user`` shares one client between users)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def vitals(*, systolic: int = 125, diastolic: int = 80, heart_rate: int = 72, spo2: int = 98) -> list[dict]:
    """Readings before, during and after a 40-minute infusion; ``during`` carries the given values."""
    calm = {"systolic": 122, "diastolic": 78, "heart_rate": 70, "spo2": 98}
    return [
        {"phase": "before", "minute": -10, **calm},
        {
            "phase": "during",
            "minute": 15,
            "systolic": systolic,
            "diastolic": diastolic,
            "heart_rate": heart_rate,
            "spo2": spo2,
        },
        {"phase": "after", "minute": 60, **calm},
    ]


def infusion_body(day: dt.date, *, weight: str = "75.0", minutes: int = 40, **changes: Any) -> dict:
    """A valid infusion started at 10:00 on ``day`` (site time), 40 minutes long."""
    start = at(day)
    body = {
        "weight_kg": weight,
        "volume_ml": "50.0",
        "breath_alcohol": "0.00",
        "started_at": start.isoformat(),
        "stopped_at": (start + dt.timedelta(minutes=minutes)).isoformat(),
        "completed": True,
        "vitals": vitals(),
    }
    body.update(changes)
    return body


class Clinic:
    """KARE participants prepared through the services, and their appointments."""

    def __init__(self, people, make_user):
        self.people = people
        self.trial = people.trial
        self.coordinator = people.coordinator
        self.make_user = make_user

    def user(self, role: str, sites: list[str] | None = None):
        return self.make_user(role, self.trial, sites=sites)

    def randomised(
        self, *, site: str = "exeter", sex: str = "M", ago: int = RANDOMISED_DAYS_AGO, weight: str = "75.0"
    ) -> Participant:
        """Consented ``ago + 30`` days ago, baseline ``ago + 5`` days ago, randomised ``ago`` days ago."""
        screening = self.people.screen(site=site, on=days_ago(ago + 30))
        participant = self.people.enrol(site=site, sex=sex, screening=screening)
        enrolment.baseline_complete(
            actor=self.coordinator, participant=participant, completed_on=days_ago(ago + 5), weight_kg=Decimal(weight)
        )
        randomisation.participant_randomise(actor=self.coordinator, participant=participant, on=days_ago(ago))
        return Participant.objects.select_related("allocation__arm", "site").get(pk=participant.pk)

    def in_arm(self, arm: str, **kwargs) -> Participant:
        """The next participant randomised to ``arm`` (exeter men's list; a block of 8 holds every arm)."""
        for _ in range(16):
            participant = self.randomised(**kwargs)
            if participant.allocation.arm.code == arm:
                return participant
        raise AssertionError(f"no participant was allocated to {arm}")

    @staticmethod
    def appointment(participant: Participant, code: str) -> Appointment:
        return Appointment.objects.get(participant=participant, event_code=code, unscheduled=False)

    @staticmethod
    def day(participant: Participant, n: int) -> dt.date:
        """The date ``n`` days after the participant's randomisation."""
        return participant.allocation.allocated_on + dt.timedelta(days=n)

    def attend(self, client, participant: Participant, code: str, n: int):
        """Record through the API that ``participant`` attended ``code`` on day R+n."""
        appointment = self.appointment(participant, code)
        response = client.post(
            f"/api/appointments/{appointment.pk}/visit/",
            {"actual_date": str(self.day(participant, n)), "attended": True},
            format="json",
        )
        assert response.status_code == 201, response.json()
        return response

    def infuse(self, client, participant: Participant, code: str, n: int, **changes):
        appointment = self.appointment(participant, code)
        return client.post(
            f"/api/appointments/{appointment.pk}/infusion/",
            infusion_body(self.day(participant, n), **changes),
            format="json",
        )
