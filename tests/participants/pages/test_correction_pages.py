"""The correction forms of a recorded infusion and session through the test client: the saved
values filled in, a reason asked, refusals next to their field with nothing written (400), the dose
and the drug kept from one blind to them, another site's a 404."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from participants.models import InfusionSession, TherapySession
from tests.conftest import force_login_verified
from tests.participants.pages.test_schedule_pages import error_of, leaks
from tests.participants.pages.test_schedule_pages_infusion import day_data, day_url
from tests.participants.visits_fixtures import client_for, row_counts

pytestmark = pytest.mark.django_db

REASON = "the pump log shows another volume"


def correction_data(*, reason=REASON, rows: int = 5, **changes) -> dict:
    """The correction form of the day :func:`day_data` records, as posted: its four readings and an
    empty spare row, the visit and session parts left out."""
    data = {k: v for k, v in day_data(None).items() if not k.startswith(("visit-", "session-"))}
    data.update({"vitals-TOTAL_FORMS": str(rows), "vitals-INITIAL_FORMS": str(rows), "reason": reason})
    data.update({"vitals-4-phase": "after", "vitals-4-minute": "90"})
    data.update(changes)
    return data


def _recorded(signed_in, clinic, participant):
    appointment = clinic.appointment(participant, "V2")
    response = signed_in.post(day_url(appointment), day_data(clinic.day(participant, 7)))
    assert response.status_code == 302
    return appointment


def test_the_recorded_infusion_day_offers_its_values_to_correct(signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.randomised())
    html = signed_in.get(day_url(appointment)).content.decode()
    assert "Correct the infusion" in html
    assert re.search(r'name="volume_ml"[^>]*value="50.0"', html)
    assert re.search(r'name="started_at"[^>]*value="10:00"', html)
    assert 'name="vitals-TOTAL_FORMS" value="5"' in html
    assert 'name="reason"' in html


def test_a_volume_corrected_with_a_reason_is_saved(signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.randomised())
    response = signed_in.post(day_url(appointment), correction_data(volume_ml="45.5"))
    assert response.status_code == 302
    assert InfusionSession.objects.get(visit__appointment=appointment).volume_ml == Decimal("45.5")
    shown = [str(m) for m in signed_in.get(response["Location"]).context["messages"]]
    assert any("the infusion is corrected" in m for m in shown)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"reason": ""}, "reason", "This field is required."),
        ({"weight_kg": "20.0"}, "weight_kg", "The protocol accepts"),
        ({"stopped_at": "09:00"}, "stopped_at", "must stop after it starts"),
        ({"vitals-1-spo2": ""}, "vitals-1-spo2", "Give all four readings"),
    ],
)
def test_a_refused_correction_says_why_next_to_the_field_and_writes_nothing(signed_in, clinic, changes, field, message):
    appointment = _recorded(signed_in, clinic, clinic.randomised())
    before = row_counts()
    response = signed_in.post(day_url(appointment), correction_data(volume_ml="45.5", **changes))
    assert response.status_code == 400
    assert message in error_of(response, field)
    assert 'class="error-summary"' in response.content.decode()
    assert row_counts() == before
    assert InfusionSession.objects.get(visit__appointment=appointment).volume_ml == Decimal("50.0")


def test_a_vitals_row_emptied_removes_the_reading(signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.randomised())
    emptied = {f"vitals-3-{name}": "" for name in ("systolic", "diastolic", "heart_rate", "spo2")}
    response = signed_in.post(day_url(appointment), correction_data(**emptied))
    assert response.status_code == 302
    assert InfusionSession.objects.get(visit__appointment=appointment).vitals.count() == 3


@pytest.mark.parametrize("arm", ["KT", "PT"])
def test_a_blinded_coordinators_correction_form_shows_no_drug_and_no_dose(signed_in, clinic, arm):
    appointment = _recorded(signed_in, clinic, clinic.in_arm(arm))
    html = signed_in.get(day_url(appointment)).content.decode()
    assert leaks(html) == []
    assert re.search(r"\bmg\b", html) is None
    assert 'name="dose_mg_given"' not in html
    refused = signed_in.post(day_url(appointment), correction_data(weight_kg="80.0", reason="")).content.decode()
    assert leaks(refused) == []
    assert re.search(r"\bmg\b", refused) is None
    # A dose given typed in anyway is not read from one who may not see the drug.
    saved = signed_in.post(day_url(appointment), correction_data(weight_kg="80.0", dose_mg_given="5.00"))
    assert saved.status_code == 302
    assert InfusionSession.objects.get(visit__appointment=appointment).dose_mg_given is None


def test_a_pharmacist_corrects_the_dose_given(client, signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.in_arm("KT"))
    force_login_verified(client, clinic.user("pharmacist"))
    html = client.get(day_url(appointment)).content.decode()
    assert 'name="dose_mg_given"' in html
    response = client.post(day_url(appointment), correction_data(dose_mg_given="55.00"))
    assert response.status_code == 302
    assert InfusionSession.objects.get(visit__appointment=appointment).dose_mg_given == Decimal("55.00")


def test_another_sites_infusion_is_not_corrected(client, signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.randomised())
    force_login_verified(client, clinic.user("coordinator", sites=["london"]))
    assert client.post(day_url(appointment), correction_data(volume_ml="45.5")).status_code == 404
    assert InfusionSession.objects.get(visit__appointment=appointment).volume_ml == Decimal("50.0")


def _session_url(appointment) -> str:
    return f"/appointments/{appointment.pk}/session/"


def _with_session(clinic, participant):
    api = client_for(clinic.coordinator)
    clinic.attend(api, participant, "V3", 14)
    appointment = clinic.appointment(participant, "V3")
    body = {"session_number": 1, "attended": True, "minutes": 60}
    assert api.post(f"/api/appointments/{appointment.pk}/session/", body, format="json").status_code == 201
    return appointment


def test_a_sessions_attendance_is_corrected_with_a_reason(signed_in, clinic):
    appointment = _with_session(clinic, clinic.randomised())
    html = signed_in.get(_session_url(appointment)).content.decode()
    assert re.search(r'name="minutes"[^>]*value="60"', html)
    typed = {"attended": "no", "session_number": "1", "minutes": "0"}
    refused = signed_in.post(_session_url(appointment), typed)
    assert refused.status_code == 400
    assert "This field is required." in error_of(refused, "reason")
    assert TherapySession.objects.get(visit__appointment=appointment).attended is True
    response = signed_in.post(_session_url(appointment), {**typed, "reason": "the therapist's note says no-show"})
    assert response.status_code == 302
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.attended, session.minutes) == (False, 0)


def test_a_session_correction_refused_by_the_service_says_why_at_the_field(signed_in, clinic):
    appointment = _with_session(clinic, clinic.randomised())
    typed = {"attended": "no", "session_number": "1", "minutes": "30", "reason": REASON}
    response = signed_in.post(_session_url(appointment), typed)
    assert response.status_code == 400
    assert "A session not attended has 0" in error_of(response, "minutes")
    assert TherapySession.objects.get(visit__appointment=appointment).minutes == 60


@pytest.mark.postgres
@pytest.mark.parametrize("role", ["coordinator", "pharmacist"])
def test_the_casebooks_history_shows_a_correction_with_its_reason_and_the_dose_only_to_those_who_see_it(
    client, signed_in, clinic, role
):
    participant = clinic.in_arm("KT")
    appointment = _recorded(signed_in, clinic, participant)
    assert signed_in.post(day_url(appointment), correction_data(weight_kg="80.0")).status_code == 302
    typed = {"attended": "yes", "session_number": "1", "minutes": "70", "reason": "the clock was wrong"}
    assert signed_in.post(_session_url(appointment), typed).status_code == 302  # the day's session
    reader = clinic.coordinator if role == "coordinator" else clinic.user(role)
    force_login_verified(client, reader)
    history = client.get(f"/participants/{participant.study_id}/").content.decode()
    history = history[history.index('id="history') :]
    assert REASON in history
    assert "the clock was wrong" in history
    assert "Infusion changed" in history
    assert "Session changed" in history
    sees_the_dose = role == "pharmacist"
    assert ("64.00" in history) is sees_the_dose  # the dose computed again from 80 kg
    assert ("dose mg" in history) is sees_the_dose
    if not sees_the_dose:
        assert leaks(history) == []


def test_a_weight_only_one_who_sees_the_drug_may_correct_is_refused_on_the_form(signed_in, clinic):
    appointment = _recorded(signed_in, clinic, clinic.in_arm("KT"))
    pharmacist = Client()
    force_login_verified(pharmacist, clinic.user("pharmacist"))
    assert pharmacist.post(day_url(appointment), correction_data(dose_mg_given="55.00")).status_code == 302
    response = signed_in.post(day_url(appointment), correction_data(weight_kg="90.0"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "one who may see the study drug" in html
    assert leaks(html) == []
    assert InfusionSession.objects.get(visit__appointment=appointment).weight_kg == Decimal("75.0")
