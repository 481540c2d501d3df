"""Dates a coordinator could not mean are refused (400, naming the field, nothing written).

Found against the running system: 0001-01-01 and 9999-12-31 were accepted for a reschedule and an
unscheduled visit, then overflowed the date arithmetic of reminder planning and quiet hours. Each
date has a range relative to the trial: nothing before ten years ahead of its first protocol version,
no booking later than a year after the schedule's last window.
"""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import Invalid
from participants.guards import earliest_date, earliest_record, latest_booking
from participants.randomisation.services import participant_import
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts

pytestmark = pytest.mark.django_db
YEAR_1, YEAR_9999 = "0001-01-01", "9999-12-31"


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def participant(clinic):
    return clinic.randomised()


@pytest.fixture
def client(clinic):
    return client_for(clinic.coordinator)


@pytest.mark.parametrize("day", [YEAR_1, YEAR_9999])
def test_a_reschedule_to_an_implausible_date_is_refused(clinic, participant, client, day):
    appointment = clinic.appointment(participant, "V9")
    before = row_counts()
    response = client.post(f"/api/appointments/{appointment.pk}/reschedule/", {"booked_date": day, "reason": "x"})
    refused(response, 400, field="booked_date")
    assert row_counts() == before
    appointment.refresh_from_db()
    assert appointment.booked_date.year not in (1, 9999)


def test_a_booking_a_year_after_the_last_window_is_accepted_and_a_day_later_refused(clinic, participant, client):
    appointment = clinic.appointment(participant, "V9")
    latest = latest_booking(participant)
    path = f"/api/appointments/{appointment.pk}/reschedule/"
    body = {"reason": "put off"}
    assert client.post(path, {"booked_date": str(latest), **body}).status_code == 200
    refused(client.post(path, {"booked_date": str(latest + dt.timedelta(days=1)), **body}), 400, field="booked_date")


@pytest.mark.parametrize("day", [YEAR_1, YEAR_9999])
def test_an_unscheduled_visit_on_an_implausible_date_is_refused(participant, client, day):
    before = row_counts()
    response = client.post(
        f"/api/participants/{participant.study_id}/appointments/",
        {"booked_date": day, "title": "review", "reason": "rash"},
    )
    refused(response, 400, field="booked_date")
    assert row_counts() == before


def test_a_screening_in_year_1_is_refused(kare, clinic, client):
    criteria = kare.version_on().protocol.eligibility.criteria
    answers = {c.code: c.kind == "inclusion" for c in criteria}
    body = {"trial": "KARE", "site": "exeter", "screened_on": YEAR_1, "answers": answers}
    refused(client.post("/api/screenings/", body, format="json"), 400, field="screened_on")
    assert earliest_date(kare) == dt.date(2006, 1, 1)  # KARE's first version takes effect on 2016-01-01


def test_a_deviation_before_the_enrolment_is_refused(participant, client):
    body = {"kind": "other", "description": "late", "occurred_on": YEAR_1}
    before = row_counts()
    refused(client.post(f"/api/participants/{participant.study_id}/deviations/", body), 400, field="occurred_on")
    assert row_counts() == before


def test_an_import_randomised_in_year_1_is_refused(kare, make_user):
    with pytest.raises(Invalid) as refused_import:
        participant_import(
            actor=make_user("administrator", kare),
            trial=kare,
            study_id="OLD0001",
            site_code="exeter",
            sex="F",
            randomised_on=dt.date(1, 1, 1),
            levels={"drug": "placebo", "therapy": "education"},
        )
    assert "randomised_on" in refused_import.value.fields


def test_a_biomarker_sample_in_year_1_is_refused(participant, client):
    """Its detection window reached before year 1 (an OverflowError, a 500)."""
    body = {"kind": "etg", "taken_on": YEAR_1, "value": "600"}
    refused(client.post(f"/api/participants/{participant.study_id}/biomarkers/", body), 400, field="taken_on")


def test_a_questionnaire_before_the_look_back_is_refused(participant, client):
    first = earliest_record(participant)
    body = {"instrument": "bdi2", "administered_on": str(first - dt.timedelta(days=1)), "items": {}}
    error = refused(client.post(f"/api/participants/{participant.study_id}/questionnaires/", body, format="json"), 400)
    assert "administered_on" in error["fields"]
