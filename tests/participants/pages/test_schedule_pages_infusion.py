"""The infusion day page through the test client: one form for the visit, the infusion, the vitals
and the session, all or nothing; the dose only for those who may see the drug; a reading past a
threshold leading to the adverse event; other sites' appointments; a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import InfusionSession, TherapySession, Visit
from tests.conftest import force_login_verified
from tests.participants.pages.test_schedule_pages import error_of, leaks
from tests.participants.visits_fixtures import LONDON, client_for, row_counts

pytestmark = pytest.mark.django_db

CALM = (122, 78, 70, 98)


def day_url(appointment) -> str:
    return f"/appointments/{appointment.pk}/infusion-day/"


def day_data(day, *, weight="75.0", during=CALM, session="yes", **changes) -> dict:
    """A valid infusion day on ``day``: 10:00 to 10:40, four readings (the two during as given)."""
    data = {
        "visit-actual_date": str(day),
        "weight_kg": weight,
        "breath_alcohol": "0.00",
        "volume_ml": "50.0",
        "started_at": "10:00",
        "stopped_at": "10:40",
        "completed": "yes",
        "interruptions": "0",
        "dissociation_score": "",
        "interval_override_reason": "",
        "vitals-TOTAL_FORMS": "4",
        "vitals-INITIAL_FORMS": "4",
        "vitals-MIN_NUM_FORMS": "0",
        "vitals-MAX_NUM_FORMS": "1000",
        "session-attended": session,
        "session-session_number": "1",
        "session-minutes": "90" if session == "yes" else "0",
    }
    rows = [("before", -5, CALM), ("during", 15, during), ("during", 30, CALM), ("after", 60, CALM)]
    for i, (phase, minute, values) in enumerate(rows):
        data.update({f"vitals-{i}-phase": phase, f"vitals-{i}-minute": str(minute)})
        for name, value in zip(("systolic", "diastolic", "heart_rate", "spo2"), values, strict=True):
            data[f"vitals-{i}-{name}"] = str(value)
    data.update(changes)
    return data


def test_a_coordinator_records_the_whole_day_in_one_form(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    page = signed_in.get(day_url(appointment))
    assert page.status_code == 200
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7)))
    assert response.status_code == 302, error_summary(response)
    assert response["Location"] == f"/participants/{participant.study_id}/"
    infusion = InfusionSession.objects.get(visit__appointment=appointment)
    assert (infusion.weight_kg, infusion.safety_flags, infusion.vitals.count()) == (75, [], 4)
    assert infusion.visit.attended
    assert TherapySession.objects.get(visit=infusion.visit).minutes == 90


def error_summary(response) -> str:
    html = response.content.decode()
    return html.split('class="error-summary"', 1)[1].split("</div>", 1)[0] if 'class="error-summary"' in html else ""


def test_a_reading_past_a_threshold_leads_to_the_adverse_event(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7), during=(190, 95, 80, 97)))
    assert response.status_code == 302, error_summary(response)
    assert response["Location"] == day_url(appointment)
    shown = signed_in.get(day_url(appointment))
    html = shown.content.decode()
    assert "systolic 190 &gt; 180 mmHg" in html
    assert f'href="/participants/{participant.study_id}/adverse-events/new/?infusion={appointment.pk}"' in html
    assert "record the adverse event" in next(str(m) for m in shown.context["messages"])


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weight_kg": "25.0"}, "weight_kg", "The protocol accepts 30 to 250 kg."),
        ({"weight_kg": "75.05"}, "weight_kg", "Ensure that there are no more than 1 decimal place."),
        ({"weight_kg": "heavy"}, "weight_kg", "Enter a number."),
        ({"started_at": "25:00"}, "started_at", "Enter a valid time."),
        ({"stopped_at": "09:00"}, "stopped_at", "The infusion must stop after it starts."),
        ({"visit-actual_date": "2025-02-30"}, "visit-actual_date", "Enter a valid date."),
        ({"visit-actual_date": "2999-01-01"}, "visit-actual_date", "The date cannot be in the future."),
        ({"vitals-1-systolic": "350"}, "vitals-1-systolic", "350 is outside the plausible range 50 to 300."),
        ({"vitals-1-systolic": "500"}, "vitals-1-systolic", "Ensure this value is less than or equal to 400."),
        ({"vitals-2-spo2": ""}, "vitals-2-spo2", "Give all four readings of the row, or none."),
        ({"session-minutes": "0"}, "session-minutes", "An attended session lasts more than 0 minutes."),
        ({"session-session_number": "9"}, "session-session_number", "Give a session number from 1 to 7."),
    ],
)
def test_a_refused_day_says_why_next_to_the_field_and_writes_nothing(signed_in, clinic, changes, field, message):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    before = row_counts()
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7), **changes))
    assert response.status_code == 400
    assert message in error_of(response, field)
    assert f'href="#id_{field}"' in error_summary(response)
    assert row_counts() == before


def test_a_refusal_of_the_protocol_is_shown_at_the_top(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    before = row_counts()
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7), breath_alcohol="0.05"))
    assert response.status_code == 400
    assert "breath alcohol must be 0.00" in error_summary(response)
    assert row_counts() == before


def test_the_session_may_be_left_for_later(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    data = day_data(clinic.day(participant, 7), session="later")
    data.update({"session-session_number": "", "session-minutes": ""})
    assert signed_in.post(day_url(appointment), data).status_code == 302
    assert Visit.objects.filter(appointment=appointment).exists()
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize("arm", ["KT", "PT"])
def test_a_blinded_coordinator_sees_no_drug_and_no_dose(signed_in, clinic, arm):
    participant = clinic.in_arm(arm)
    appointment = clinic.appointment(participant, "V2")
    form = signed_in.get(day_url(appointment)).content.decode()
    assert leaks(form) == []
    assert "study drug" in form
    assert "mg/kg" not in form
    assert "infusion-day/dose/" not in form
    assert 'name="dose_mg_given"' not in form
    assert signed_in.get(day_url(appointment) + "dose/?weight_kg=80.0").status_code == 404
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7), weight="80.0"))
    assert response.status_code == 302
    recorded = signed_in.get(day_url(appointment)).content.decode()
    dose = InfusionSession.objects.get(visit__appointment=appointment).dose_mg
    assert leaks(recorded) == []
    assert f"{dose} mg" not in recorded
    assert re.search(r"\bmg\b", recorded) is None
    assert "<dd>10:00</dd>" in recorded  # the times as the site reads them


def test_a_pharmacist_sees_the_dose_as_the_weight_is_typed_and_once_recorded(client, clinic):
    participant = clinic.in_arm("KT")
    appointment = clinic.appointment(participant, "V2")
    force_login_verified(client, clinic.user("pharmacist"))
    form = client.get(day_url(appointment)).content.decode()
    assert f'hx-get="{day_url(appointment)}dose/"' in form
    assert 'name="dose_mg_given"' in form
    live = client.get(day_url(appointment) + "dose/?weight_kg=80.0").content.decode()
    assert "Dose: 64.00 mg" in live
    assert "ketamine hydrochloride" in live
    capped = client.get(day_url(appointment) + "dose/?weight_kg=150").content.decode()
    assert "Dose: 100.00 mg" in capped
    for typed in ("", "abc", "20", "NaN", "Infinity"):
        assert (
            "type a weight from 30 to 250 kg"
            in client.get(day_url(appointment) + f"dose/?weight_kg={typed}").content.decode()
        )
    response = client.post(day_url(appointment), day_data(clinic.day(participant, 7), weight="80.0"))
    assert response.status_code == 302, error_summary(response)
    recorded = client.get(day_url(appointment)).content.decode()
    assert "64.00 mg" in recorded


def test_another_sites_infusion_day_is_a_404(client, clinic):
    participant = clinic.randomised(site="exeter")
    force_login_verified(client, clinic.user("pharmacist", sites=["london"]))
    appointment = clinic.appointment(participant, "V2")
    assert client.get(day_url(appointment)).status_code == 404
    assert client.get(day_url(appointment) + "dose/?weight_kg=80").status_code == 404
    before = row_counts()
    assert client.post(day_url(appointment), day_data(clinic.day(participant, 7))).status_code == 404
    assert row_counts() == before


def test_an_appointment_without_an_infusion_has_no_infusion_day(signed_in, clinic):
    appointment = clinic.appointment(clinic.randomised(), "V3")
    assert signed_in.get(day_url(appointment)).status_code == 404


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_infusion_day_runs_a_fixed_number_of_queries(signed_in, clinic):
    first = clinic.randomised()
    signed_in.post(day_url(clinic.appointment(first, "V2")), day_data(clinic.day(first, 7), during=(190, 95, 80, 97)))
    form = _queries(signed_in, day_url(clinic.appointment(first, "V4")))
    recorded = _queries(signed_in, day_url(clinic.appointment(first, "V2")))
    api = client_for(clinic.coordinator)
    for _ in range(4):
        other = clinic.randomised()
        signed_in.post(day_url(clinic.appointment(other, "V2")), day_data(clinic.day(other, 7)))
        clinic.attend(api, other, "V4", 21)
    assert _queries(signed_in, day_url(clinic.appointment(other, "V6"))) == form
    assert _queries(signed_in, day_url(clinic.appointment(first, "V2"))) == recorded


def test_a_visit_recorded_first_is_shown_and_not_asked_again(signed_in, clinic):
    participant = clinic.randomised()
    clinic.attend(client_for(clinic.coordinator), participant, "V2", 8)
    appointment = clinic.appointment(participant, "V2")
    page = signed_in.get(day_url(appointment)).content.decode()
    assert "Recorded: attended on" in page
    assert 'name="visit-actual_date"' not in page
    data = day_data(clinic.day(participant, 8))
    del data["visit-actual_date"]
    response = signed_in.post(day_url(appointment), data)
    assert response.status_code == 302, error_summary(response)
    infusion = InfusionSession.objects.get(visit__appointment=appointment)
    assert infusion.started_at.astimezone(LONDON).date() == clinic.day(participant, 8)


def test_a_missed_visit_has_no_infusion(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    signed_in.post(
        f"/appointments/{appointment.pk}/visit/",
        {"attended": "no", "actual_date": str(clinic.day(participant, 7)), "missed_reason": "Unwell"},
    )
    before = row_counts()
    data = day_data(clinic.day(participant, 7))
    del data["visit-actual_date"]
    response = signed_in.post(day_url(appointment), data)
    assert response.status_code == 400
    assert "record the visit as attended before its infusion" in error_summary(response)
    assert row_counts() == before
