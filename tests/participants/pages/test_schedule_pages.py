"""The visit page through the test client: recording, refusals next to their field (400, nothing
written), corrections that need a reason, other sites' appointments and a fixed number of queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import TherapySession, Visit
from tests.conftest import force_login_verified
from tests.participants.visits_fixtures import row_counts

pytestmark = pytest.mark.django_db


DRUG_WORDS = ("ketamine", "placebo", "saline", "sodium chloride")
ARM_CODES = ("KT", "KE", "PT", "PE")


def leaks(html: str, words=DRUG_WORDS + ARM_CODES) -> list[str]:
    """The words of the hidden drug factor (levels, drugs, arm codes) found whole in ``html``."""
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", html, flags=re.IGNORECASE)]


def visit_url(appointment) -> str:
    return f"/appointments/{appointment.pk}/visit/"


def error_of(response, field: str) -> str:
    """The message shown next to ``field`` (its ``<p id=id_<field>_error>``), or ''."""
    html = response.content.decode()
    marker = f'id="id_{field}_error"'
    if marker not in html:
        return ""
    return html.split(marker, 1)[1].split("</p>", 1)[0]


def test_a_coordinator_records_an_attended_visit_and_returns_to_the_casebook(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    page = signed_in.get(visit_url(appointment))
    assert page.status_code == 200
    assert b"Record the visit" in page.content
    day = clinic.day(participant, 7)
    response = signed_in.post(visit_url(appointment), {"attended": "yes", "actual_date": str(day)}, follow=False)
    assert response.status_code == 302
    assert response["Location"] == f"/participants/{participant.study_id}/"
    visit = Visit.objects.get(appointment=appointment)
    assert (visit.attended, visit.actual_date, visit.seen_by) == (True, day, clinic.coordinator)
    shown = signed_in.get(visit_url(appointment))
    assert "the visit is recorded" in next(str(m) for m in shown.context["messages"])


def test_the_visit_names_who_saw_the_participant_from_the_sites_staff(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    nurse = clinic.make_user("investigator", clinic.trial, sites=["exeter"], username="dr-exeter", first_name="Nia")
    elsewhere = clinic.make_user("coordinator", clinic.trial, sites=["london"], username="coordinator-london")
    page = signed_in.get(visit_url(appointment)).content.decode()
    offered = re.findall(r'<option value="([^"]*)"', page.split('name="seen_by"', 1)[1].split("</select>", 1)[0])
    assert {nurse.username, clinic.coordinator.username} <= set(offered)
    assert elsewhere.username not in offered  # only the participant's site
    assert f'<option value="{clinic.coordinator.username}" selected>' in page  # the person at the form

    other_site = signed_in.post(
        visit_url(appointment),
        {"attended": "yes", "actual_date": str(clinic.day(participant, 7)), "seen_by": elsewhere.username},
    )
    assert other_site.status_code == 400
    assert "Select a valid choice" in error_of(other_site, "seen_by")
    assert not Visit.objects.filter(appointment=appointment).exists()

    saved = signed_in.post(
        visit_url(appointment),
        {"attended": "yes", "actual_date": str(clinic.day(participant, 7)), "seen_by": nurse.username},
    )
    assert saved.status_code == 302
    visit = Visit.objects.get(appointment=appointment)
    assert (visit.seen_by, visit.recorded_by) == (nurse, clinic.coordinator)


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"attended": "yes", "actual_date": "2025-02-30"}, "actual_date", "Enter a valid date."),
        ({"attended": "yes", "actual_date": ""}, "actual_date", "This field is required."),
        ({"attended": "maybe", "actual_date": "2025-02-03"}, "attended", "Select a valid choice."),
        ({"attended": "yes", "actual_date": "2999-01-01"}, "actual_date", "The date cannot be in the future."),
        ({"attended": "yes", "actual_date": "1990-01-01"}, "actual_date", "The participant consented on"),
        ({"attended": "no", "actual_date": "2025-02-03"}, "missed_reason", "Say why the visit was missed."),
    ],
)
def test_a_visit_refused_says_why_next_to_the_field_and_writes_nothing(signed_in, clinic, typed, field, message):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    if field == "missed_reason":
        typed["actual_date"] = str(clinic.day(participant, 7))
    before = row_counts()
    response = signed_in.post(visit_url(appointment), typed)
    assert response.status_code == 400
    assert message in error_of(response, field)
    summary = response.content.decode().split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'href="#id_{field}' in summary
    assert message in summary
    assert row_counts() == before


def test_a_missed_visit_records_its_reason(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    day = clinic.day(participant, 7)
    response = signed_in.post(
        visit_url(appointment), {"attended": "no", "actual_date": str(day), "missed_reason": "Unwell"}
    )
    assert response.status_code == 302
    visit = Visit.objects.get(appointment=appointment)
    assert (visit.attended, visit.missed_reason) == (False, "Unwell")


def test_another_sites_appointment_is_a_404(client, clinic):
    participant = clinic.randomised(site="exeter")
    londoner = clinic.user("coordinator", sites=["london"])
    force_login_verified(client, londoner)
    appointment = clinic.appointment(participant, "V2")
    assert client.get(visit_url(appointment)).status_code == 404
    before = row_counts()
    response = client.post(visit_url(appointment), {"attended": "yes", "actual_date": str(clinic.day(participant, 7))})
    assert response.status_code == 404
    assert row_counts() == before


def test_a_stranger_is_asked_to_sign_in(client, clinic):
    appointment = clinic.appointment(clinic.randomised(), "V2")
    response = client.get(visit_url(appointment))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_recorded_visit_shows_its_saved_values_and_a_correction_needs_a_reason(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    first, corrected = clinic.day(participant, 7), clinic.day(participant, 8)
    signed_in.post(visit_url(appointment), {"attended": "yes", "actual_date": str(first)})
    page = signed_in.get(visit_url(appointment))
    assert page.status_code == 200
    assert f'value="{first.isoformat()}"' in page.content.decode()
    assert b"Correct the visit" in page.content
    refused = signed_in.post(visit_url(appointment), {"actual_date": str(corrected), "reason": "  "})
    assert refused.status_code == 400
    assert "This field is required." in error_of(refused, "reason")
    assert Visit.objects.get(appointment=appointment).actual_date == first
    done = signed_in.post(visit_url(appointment), {"actual_date": str(corrected), "reason": "Typed the wrong day"})
    assert done.status_code == 302
    assert Visit.objects.get(appointment=appointment).actual_date == corrected


def test_a_second_first_entry_is_refused_at_the_top_of_the_form(signed_in, clinic):
    # Two tabs open on the same visit: the second save is refused, not written twice.
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    day = str(clinic.day(participant, 7))
    page = signed_in.get(visit_url(appointment))
    assert page.status_code == 200
    clinic.attend(_api(clinic), participant, "V2", 7)
    response = signed_in.post(visit_url(appointment), {"actual_date": day, "attended": "yes"})
    # The page now shows the correction form, whose reason is missing.
    assert response.status_code == 400
    assert Visit.objects.filter(appointment=appointment).count() == 1


def _api(clinic):
    from tests.participants.visits_fixtures import client_for

    return client_for(clinic.coordinator)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_visit_page_runs_a_fixed_number_of_queries(signed_in, clinic):
    first = clinic.randomised()
    api = _api(clinic)
    clinic.attend(api, first, "V2", 7)
    one = _queries(signed_in, visit_url(clinic.appointment(first, "V2")))
    new_one = _queries(signed_in, visit_url(clinic.appointment(first, "V4")))
    for _ in range(4):
        other = clinic.randomised()
        clinic.attend(api, other, "V2", 7)
    clinic.attend(api, first, "V4", 21)
    assert _queries(signed_in, visit_url(clinic.appointment(first, "V2"))) == one
    assert _queries(signed_in, visit_url(clinic.appointment(other, "V4"))) == new_one


# --- the session page ---------------------------------------------------------------------------------


def session_url(appointment) -> str:
    return f"/appointments/{appointment.pk}/session/"


def test_a_session_is_recorded_after_its_visit_with_the_programme_the_coordinator_may_see(signed_in, clinic):
    participant = clinic.in_arm("KT")
    api = _api(clinic)
    appointment = clinic.appointment(participant, "V3")
    waiting = signed_in.get(session_url(appointment))
    assert waiting.status_code == 200
    assert b"record the visit</a> first" in waiting.content
    clinic.attend(api, participant, "V3", 14)
    page = signed_in.get(session_url(appointment)).content.decode()
    assert "Mindfulness-based relapse prevention" in page  # coordinators book and deliver the therapy
    assert 'name="session_number" value="1"' in page  # the first session recorded for this participant
    assert leaks(page) == []
    response = signed_in.post(session_url(appointment), {"attended": "yes", "session_number": "2", "minutes": "80"})
    assert response.status_code == 302
    assert response["Location"] == f"/participants/{participant.study_id}/"
    session = TherapySession.objects.get(visit__appointment=appointment)
    assert (session.session_number, session.attended, session.minutes) == (2, True, 80)
    shown = signed_in.get(session_url(appointment)).content.decode()
    assert "<dd>80 minutes</dd>" in shown
    assert "Correct the session" in shown  # the saved session is corrected with a reason, not recorded again
    assert 'name="reason"' in shown


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"attended": "yes", "session_number": "8", "minutes": "90"}, "session_number", "from 1 to 7"),
        ({"attended": "yes", "session_number": "1", "minutes": "181"}, "minutes", "Give 0 to 180 minutes."),
        ({"attended": "yes", "session_number": "1", "minutes": "-1"}, "minutes", "greater than or equal to 0"),
        ({"attended": "no", "session_number": "1", "minutes": "30"}, "minutes", "A session not attended has 0"),
        ({"attended": "yes", "session_number": "", "minutes": "90"}, "session_number", "This field is required."),
    ],
)
def test_a_refused_session_says_why_next_to_the_field(signed_in, clinic, typed, field, message):
    participant = clinic.randomised()
    clinic.attend(_api(clinic), participant, "V3", 14)
    appointment = clinic.appointment(participant, "V3")
    before = row_counts()
    response = signed_in.post(session_url(appointment), typed)
    assert response.status_code == 400
    assert message in error_of(response, field)
    assert row_counts() == before


def test_a_session_page_for_an_appointment_without_one_or_at_another_site_is_a_404(client, signed_in, clinic):
    participant = clinic.randomised()
    assert signed_in.get(session_url(clinic.appointment(participant, "V9"))).status_code == 404
    force_login_verified(client, clinic.user("coordinator", sites=["london"]))
    assert client.get(session_url(clinic.appointment(participant, "V3"))).status_code == 404


def test_the_session_page_runs_a_fixed_number_of_queries(signed_in, clinic):
    first = clinic.randomised()
    api = _api(clinic)
    clinic.attend(api, first, "V3", 14)
    one = _queries(signed_in, session_url(clinic.appointment(first, "V3")))
    for _ in range(4):
        other = clinic.randomised()
        clinic.attend(api, other, "V3", 14)
        signed_in.post(
            session_url(clinic.appointment(other, "V3")), {"attended": "yes", "session_number": "1", "minutes": "90"}
        )
    assert _queries(signed_in, session_url(clinic.appointment(other, "V5"))) == _queries(
        signed_in, session_url(clinic.appointment(first, "V5"))
    )
    assert _queries(signed_in, session_url(clinic.appointment(first, "V3"))) == one


def test_a_missed_visits_reason_is_corrected_with_a_reason_for_the_change(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    day = str(clinic.day(participant, 7))
    signed_in.post(visit_url(appointment), {"attended": "no", "actual_date": day, "missed_reason": "Unwell"})
    page = signed_in.get(visit_url(appointment)).content.decode()
    assert "Unwell</textarea>" in page
    blank = signed_in.post(visit_url(appointment), {"actual_date": day, "missed_reason": " ", "reason": "Typo"})
    assert blank.status_code == 400
    assert "This field is required." in error_of(blank, "missed_reason")
    no_reason = signed_in.post(visit_url(appointment), {"actual_date": day, "missed_reason": "Flu", "reason": ""})
    assert no_reason.status_code == 400
    assert Visit.objects.get(appointment=appointment).missed_reason == "Unwell"
    done = signed_in.post(visit_url(appointment), {"actual_date": day, "missed_reason": "Flu", "reason": "Typo"})
    assert done.status_code == 302
    assert Visit.objects.get(appointment=appointment).missed_reason == "Flu"


def test_an_attended_visits_correction_offers_no_reason_for_missing_it(signed_in, clinic):
    participant = clinic.randomised()
    appointment = clinic.appointment(participant, "V2")
    clinic.attend(_api(clinic), participant, "V2", 7)
    page = signed_in.get(visit_url(appointment)).content.decode()
    assert 'name="missed_reason"' not in page
    assert "Correct the visit" in page


def test_the_api_corrects_a_missed_visits_reason_with_the_same_service(clinic):
    participant = clinic.randomised()
    api = _api(clinic)
    appointment = clinic.appointment(participant, "V2")
    day = str(clinic.day(participant, 7))
    api.post(
        f"/api/appointments/{appointment.pk}/visit/",
        {"actual_date": day, "attended": False, "missed_reason": "Ill"},
        format="json",
    )
    attended = clinic.appointment(participant, "V4")
    clinic.attend(api, participant, "V4", 21)
    url = f"/api/appointments/{attended.pk}/visit/"
    refused = api.patch(
        url, {"actual_date": str(clinic.day(participant, 21)), "reason": "x", "missed_reason": "Ill"}, format="json"
    )
    assert refused.status_code == 400
    assert "missed_reason" in refused.json()["error"]["fields"]
    done = api.patch(
        f"/api/appointments/{appointment.pk}/visit/",
        {"actual_date": day, "reason": "Typo", "missed_reason": "Flu"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    assert done.json()["visit"]["missed_reason"] == "Flu"
