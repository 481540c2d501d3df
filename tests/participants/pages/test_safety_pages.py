"""The adverse-event pages through the test client: recording, the serious-only fields, refusals
beside their field (400, nothing written), changes that need a reason, reports and their clocks,
the infusion that prompted the event, other sites, blinding and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import AdverseEvent
from tests.conftest import force_login_verified
from tests.participants.conftest import days_ago
from tests.participants.pages.test_schedule_pages import error_of, leaks
from tests.participants.visits_fixtures import LONDON, client_for, row_counts, vitals

pytestmark = pytest.mark.django_db


def new_url(participant) -> str:
    return f"/participants/{participant.study_id}/adverse-events/new/"


def ae_data(**changes) -> dict:
    data = {
        "term": "Headache",
        "onset_date": str(days_ago(3)),
        "end_date": "",
        "grade": "1",
        "drug_causality": "unlikely",
        "therapy_causality": "not_related",
        "expected": "yes",
        "serious": "no",
        "aware_at": "",
        "action_taken": "",
        "outcome": "",
    }
    data.update(changes)
    return data


def serious_data(**changes) -> dict:
    aware = dt.datetime.now(LONDON).replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    values = {
        "serious": "yes",
        "seriousness": ["hospitalisation"],
        "aware_at": aware.strftime("%Y-%m-%dT%H:%M"),
        "grade": "3",
        "drug_causality": "probably",
        "therapy_causality": "not_related",
        "expected": "no",
    }
    values.update(changes)
    return ae_data(**values)


def test_a_coordinator_records_an_adverse_event_and_returns_to_the_casebook(signed_in, clinic):
    participant = clinic.randomised()
    page = signed_in.get(new_url(participant))
    assert page.status_code == 200
    assert b"within 24 hours" in page.content
    response = signed_in.post(new_url(participant), ae_data(seriousness=["death"], aware_at="2000-01-01T00:00"))
    assert response.status_code == 302
    assert response["Location"] == f"/participants/{participant.study_id}/"
    ae = AdverseEvent.objects.get(participant=participant)
    # Not serious: criteria ticked before the answer changed, and their awareness time, are dropped.
    assert (ae.term, ae.grade, ae.seriousness, ae.expected) == ("Headache", 1, [], True)
    assert ae.aware_at.year > 2000


def test_a_serious_event_asks_its_criteria_and_shows_its_reporting_clocks(signed_in, clinic):
    participant = clinic.randomised()
    before = row_counts()
    for missing, field in ((["seriousness"], "seriousness"), (["aware_at"], "aware_at")):
        data = serious_data()
        for name in missing:
            data.pop(name)
        response = signed_in.post(new_url(participant), data)
        assert response.status_code == 400
        assert error_of(response, field)
    assert row_counts() == before
    data = serious_data()
    assert signed_in.post(new_url(participant), data).status_code == 302
    ae = AdverseEvent.objects.get(participant=participant)
    assert ae.aware_at == dt.datetime.strptime(data["aware_at"], "%Y-%m-%dT%H:%M").replace(tzinfo=LONDON)
    assert ae.susar
    page = signed_in.get(f"/adverse-events/{ae.pk}/").content.decode()
    sponsor_due = (ae.aware_at + dt.timedelta(hours=24)).astimezone(LONDON)
    regulator_due = (ae.aware_at + dt.timedelta(days=15)).astimezone(LONDON)
    assert f"{sponsor_due:%-d %B %Y %H:%M}" in page
    assert f"{regulator_due:%-d %B %Y %H:%M}" in page
    assert "Hospitalisation or its prolongation" in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"term": "  "}, "term", "This field is required."),
        ({"grade": "7"}, "grade", "Give a CTCAE grade from 1 to 5."),
        ({"grade": "two"}, "grade", "Enter a whole number."),
        ({"onset_date": "2025-02-30"}, "onset_date", "Enter a valid date."),
        ({"onset_date": "2999-01-01"}, "onset_date", "The date cannot be in the future."),
        ({"onset_date": "2001-01-01"}, "onset_date", "The participant was enrolled on"),
        ({"end_date": str(days_ago(5))}, "end_date", "The event cannot end before its onset."),
        ({"drug_causality": "maybe"}, "drug_causality", "Select a valid choice."),
        ({"therapy_causality": "not_assessed"}, "therapy_causality", "Select a valid choice."),
        ({"grade": "5", "serious": "yes", "seriousness": ["hospitalisation"], "aware_at": "2026-01-01T10:00"},
         "seriousness", "Grade 5 is death: include the criterion death."),
    ],
)  # fmt: skip
def test_a_refused_adverse_event_says_why_next_to_the_field_and_writes_nothing(
    signed_in, clinic, changes, field, message
):
    participant = clinic.randomised()
    before = row_counts()
    response = signed_in.post(new_url(participant), ae_data(**changes))
    assert response.status_code == 400
    assert message in error_of(response, field)
    assert message in response.content.decode().split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert row_counts() == before


def test_a_change_needs_a_reason_and_is_kept_with_it(signed_in, clinic):
    participant = clinic.randomised()
    signed_in.post(new_url(participant), ae_data())
    ae = AdverseEvent.objects.get(participant=participant)
    url = f"/adverse-events/{ae.pk}/"
    page = signed_in.get(url).content.decode()
    assert 'value="Headache"' in page
    refused = signed_in.post(url, ae_data(grade="2", reason=""))
    assert refused.status_code == 400
    assert "This field is required." in error_of(refused, "reason")
    assert AdverseEvent.objects.get(pk=ae.pk).grade == 1
    done = signed_in.post(url, ae_data(grade="2", end_date=str(days_ago(1)), reason="Reassessed by the doctor"))
    assert done.status_code == 302
    ae.refresh_from_db()
    assert (ae.grade, ae.end_date) == (2, days_ago(1))


def test_a_change_to_serious_starts_the_clocks_and_a_report_stops_one(signed_in, clinic):
    participant = clinic.randomised()
    signed_in.post(new_url(participant), ae_data())
    ae = AdverseEvent.objects.get(participant=participant)
    url = f"/adverse-events/{ae.pk}/"
    changed = signed_in.post(url, ae_data(serious="yes", seriousness=["hospitalisation"], reason="Admitted"))
    assert changed.status_code == 302
    page = signed_in.get(url).content.decode()
    assert "Record the report to the sponsor" in page
    assert "Record the report to the regulator" not in page  # unlikely related: not a SUSAR
    # The page offers the next whole minute: its field holds minutes, and awareness was seconds ago.
    offered = re.search(r'name="sponsor-reported_at" value="([^"]+)"', page).group(1)
    reported_at = dt.datetime.strptime(offered, "%Y-%m-%dT%H:%M").replace(tzinfo=LONDON)
    assert dt.timedelta(0) < reported_at - ae.aware_at <= dt.timedelta(minutes=2)
    bad = signed_in.post(url, {"report": "sponsor", "sponsor-reported_at": "2000-01-01T10:00"})
    assert bad.status_code == 400
    assert "Between awareness and now." in bad.content.decode()
    done = signed_in.post(url, {"report": "sponsor", "sponsor-reported_at": offered})
    assert done.status_code == 302
    ae.refresh_from_db()
    assert ae.sponsor_reported_at == reported_at


def _flagged_infusion(clinic, participant):
    api = client_for(clinic.coordinator)
    clinic.attend(api, participant, "V2", 7)
    response = clinic.infuse(api, participant, "V2", 7, vitals=vitals(systolic=195))
    assert response.status_code == 201, response.json()
    return clinic.appointment(participant, "V2")


@pytest.mark.parametrize("arm", ["KT", "PE"])
def test_the_event_a_breach_prompted_is_linked_to_its_infusion_and_names_no_drug(signed_in, clinic, arm):
    participant = clinic.in_arm(arm)
    appointment = _flagged_infusion(clinic, participant)
    url = new_url(participant) + f"?infusion={appointment.pk}"
    page = signed_in.get(url).content.decode()
    assert "For the infusion at V2" in page
    assert leaks(page) == []
    assert (
        signed_in.post(url, ae_data(term="Hypertension", onset_date=str(clinic.day(participant, 7)))).status_code == 302
    )
    ae = AdverseEvent.objects.get(participant=participant)
    assert ae.infusion.visit.appointment == appointment
    shown = signed_in.get(f"/adverse-events/{ae.pk}/").content.decode()
    assert "V2 on" in shown
    assert leaks(shown) == []
    other = clinic.randomised()
    assert signed_in.get(new_url(other) + f"?infusion={appointment.pk}").status_code == 404


def test_another_sites_participant_or_event_is_a_404(client, signed_in, clinic):
    participant = clinic.randomised(site="exeter")
    signed_in.post(new_url(participant), ae_data())
    ae = AdverseEvent.objects.get(participant=participant)
    force_login_verified(client, clinic.user("coordinator", sites=["london"]))
    before = row_counts()
    assert client.get(new_url(participant)).status_code == 404
    assert client.post(new_url(participant), ae_data()).status_code == 404
    assert client.get(f"/adverse-events/{ae.pk}/").status_code == 404
    assert client.post(f"/adverse-events/{ae.pk}/", ae_data(grade="2", reason="x")).status_code == 404
    assert row_counts() == before


def test_one_who_sees_the_drug_may_not_record_an_adverse_event(client, clinic):
    participant = clinic.randomised()
    force_login_verified(client, clinic.user("pharmacist"))
    before = row_counts()
    assert client.post(new_url(participant), ae_data()).status_code == 403
    assert row_counts() == before


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_adverse_event_pages_run_a_fixed_number_of_queries(signed_in, clinic):
    participant = clinic.randomised()
    signed_in.post(new_url(participant), serious_data())
    ae = AdverseEvent.objects.get(participant=participant)
    new, detail = _queries(signed_in, new_url(participant)), _queries(signed_in, f"/adverse-events/{ae.pk}/")
    for _ in range(4):
        signed_in.post(new_url(participant), serious_data())
        signed_in.post(new_url(clinic.randomised()), serious_data())
    assert _queries(signed_in, new_url(participant)) == new
    assert _queries(signed_in, f"/adverse-events/{ae.pk}/") == detail


def test_a_report_not_waiting_is_refused_without_writing(signed_in, clinic):
    participant = clinic.randomised()
    signed_in.post(new_url(participant), ae_data())
    ae = AdverseEvent.objects.get(participant=participant)
    response = signed_in.post(
        f"/adverse-events/{ae.pk}/", {"report": "regulator", "regulator-reported_at": "2026-01-01T10:00"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/adverse-events/{ae.pk}/"
    ae.refresh_from_db()
    assert ae.regulator_reported_at is None
    shown = signed_in.get(f"/adverse-events/{ae.pk}/")
    assert any("no report to the regulator waiting" in str(m) for m in shown.context["messages"])


def test_an_infusion_named_by_a_malformed_id_is_not_found(client, people, lists, kare, make_user):
    from tests.conftest import force_login_verified

    participant = people.randomised()
    force_login_verified(client, make_user("coordinator", kare))
    for named in ("²", "1" * 30, "-1", "x"):
        response = client.get(f"/participants/{participant.study_id}/adverse-events/new/", {"infusion": named})
        assert response.status_code == 404, named


@pytest.mark.parametrize("arm", ["KT", "PE"])
def test_relatedness_to_each_intervention_is_kept_and_shown_naming_no_level(signed_in, clinic, arm):
    participant = clinic.in_arm(arm)
    response = signed_in.post(new_url(participant), ae_data(drug_causality="possibly", therapy_causality="unlikely"))
    assert response.status_code == 302, error_of(response, "drug_causality")
    ae = AdverseEvent.objects.get(participant=participant)
    assert (ae.drug_causality, ae.therapy_causality) == ("possibly", "unlikely")
    html = signed_in.get(f"/adverse-events/{ae.pk}/").content.decode()
    assert re.search(r"Relation to the study drug</dt>\s*<dd>Possibly related</dd>", html)
    assert re.search(r"Relation to the psychological intervention</dt>\s*<dd>Unlikely related</dd>", html)
    assert leaks(html) == []
