"""The participants list and the casebook, through the test client: scoping, blinding, filters and
a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.services import membership_grant
from participants.enrolment import services as enrolment
from participants.models import Participant
from participants.safety import services as safety
from participants.schedule.services.appointments import appointment_add_unscheduled
from participants.schedule.services.visits import visit_record
from tests.conftest import force_login_verified
from tests.participants.conftest import EMAIL, FIRST_NAME, PHONE, People, days_ago, mentions

pytestmark = pytest.mark.django_db

# What a coordinator of KARE, blind to the drug, must never read: its levels, the arm codes that
# name them, the regimen's drugs and doses.
DRUG_WORDS = ["ketamine", "placebo", "KT", "KE", "PT", "PE", "hydrochloride", "sodium chloride", "mg/kg"]


def hidden_in(html: str) -> list[str]:
    return [w for w in DRUG_WORDS if mentions(html.lower(), w.lower())]


def signed_in(client, user):
    force_login_verified(client, user)
    return client


def test_the_list_shows_the_users_sites_only(client, people, kare, make_user):
    here = people.enrol(site="exeter")
    there = people.enrol(site="london")
    exeter_coordinator = make_user("coordinator", kare, sites=["exeter"])
    html = signed_in(client, exeter_coordinator).get("/participants/").content.decode()
    assert here.study_id in html
    assert there.study_id not in html


def test_the_list_searches_and_filters_by_status(client, people, coordinator, lists):
    enrolled = people.enrol()
    randomised = people.randomised()
    withdrawn = people.enrol()
    enrolment.withdrawal_record(
        actor=coordinator, participant=withdrawn, scope="follow_up", withdrawn_on=days_ago(1), reason="moved away"
    )
    client = signed_in(client, coordinator)
    html = client.get("/participants/", {"status": "randomised"}).content.decode()
    assert randomised.study_id in html
    assert enrolled.study_id not in html
    assert withdrawn.study_id not in html
    html = client.get("/participants/", {"status": "withdrawn"}).content.decode()
    assert withdrawn.study_id in html
    assert enrolled.study_id not in html
    html = client.get("/participants/", {"search": enrolled.study_id[:6]}).content.decode()
    assert f'href="/participants/{enrolled.study_id}/"' in html


def test_a_blinded_coordinator_may_not_filter_the_list_by_the_drug(client, people, coordinator, lists):
    people.randomised()
    response = signed_in(client, coordinator).get("/participants/", {"trial": "KARE", "drug": "ketamine"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "You may not filter by this." in html
    assert 'class="error-summary"' in html
    assert 'name="drug"' not in html


def test_a_blinded_coordinator_may_not_order_the_list_by_the_drug(client, people, coordinator, lists):
    people.randomised()
    response = signed_in(client, coordinator).get("/participants/", {"trial": "KARE", "ordering": "drug"})
    assert response.status_code == 400
    assert "You may not order by this." in response.content.decode()


def test_the_coordinator_filters_by_the_therapy_they_may_see(client, people, coordinator, lists):
    randomised = [people.randomised() for _ in range(4)]
    therapy = {p.study_id for p in randomised if p.allocation.arm.code in ("KT", "PT")}
    html = signed_in(client, coordinator).get("/participants/", {"therapy": "therapy"}).content.decode()
    assert 'name="therapy"' in html
    assert {p.study_id for p in randomised if p.study_id in html} == therapy


def test_the_list_and_casebook_hide_the_drug_from_a_blinded_coordinator(client, people, coordinator, lists):
    participant = people.randomised()
    client = signed_in(client, coordinator)
    for path in ("/participants/", f"/participants/{participant.study_id}/"):
        response = client.get(path)
        assert response.status_code == 200
        assert hidden_in(response.content.decode()) == [], path


def test_the_pharmacist_reads_the_drug_on_the_casebook(client, people, kare, make_user, lists):
    participant = people.randomised()
    pharmacist = make_user("pharmacist", kare)
    html = signed_in(client, pharmacist).get(f"/participants/{participant.study_id}/").content.decode()
    drug = {"K": "Ketamine", "P": "Saline placebo"}[participant.allocation.arm.code[0]]
    assert drug in html


def test_another_sites_casebook_is_not_found(client, people, kare, make_user):
    there = people.enrol(site="london")
    exeter_coordinator = make_user("coordinator", kare, sites=["exeter"])
    assert signed_in(client, exeter_coordinator).get(f"/participants/{there.study_id}/").status_code == 404


def test_identity_shows_only_to_those_who_may_read_it(client, people, kare, make_user, coordinator):
    participant = people.enrol(phone=PHONE)
    html = signed_in(client, coordinator).get(f"/participants/{participant.study_id}/").content.decode()
    assert [v in html for v in (FIRST_NAME, EMAIL, PHONE)] == [True, True, True]
    assessor = make_user("outcome_assessor", kare)
    html = signed_in(client, assessor).get(f"/participants/{participant.study_id}/").content.decode()
    assert [v in html for v in (FIRST_NAME, EMAIL, PHONE)] == [False, False, False]


def test_the_casebook_shows_the_schedule_the_history_and_consent(client, people, coordinator, lists):
    participant = people.randomised()
    html = signed_in(client, coordinator).get(f"/participants/{participant.study_id}/").content.decode()
    assert "V10: 6-month follow-up" in html
    assert "Today," in html
    assert f"/appointments/{participant.appointments.get(event_code='V2').pk}/infusion-day/" in html
    assert f"/appointments/{participant.appointments.get(event_code='V3').pk}/session/" in html
    assert f"/appointments/{participant.appointments.get(event_code='V9').pk}/visit/" in html
    assert "Consented to form 1.0" in html
    if connection.vendor == "postgresql":
        assert "baseline complete" in html  # the reason the service recorded


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_one_or_five_participants(client, people, kare, make_user, lists):
    # Blinding is decided once per site a page shows: one site here, whatever the number of rows.
    people.randomised()
    client = signed_in(client, make_user("coordinator", kare, sites=["exeter"]))
    one = _count(client, "/participants/")
    for _ in range(3):
        people.randomised()
    people.enrol()
    assert _count(client, "/participants/") == one


def test_the_casebook_costs_the_same_queries_for_few_or_many_records(client, people, coordinator, lists):
    participant = people.randomised()
    client = signed_in(client, coordinator)
    path = f"/participants/{participant.study_id}/"
    few = _count(client, path)
    visit_record(
        actor=coordinator,
        appointment=participant.appointments.get(event_code="V1"),
        actual_date=days_ago(1),
        attended=True,
    )
    for n in range(3):
        appointment_add_unscheduled(
            actor=coordinator, participant=participant, booked_date=days_ago(0), title=f"Extra {n}", reason="review"
        )
        safety.adverse_event_record(
            actor=coordinator,
            participant=participant,
            term=f"Headache {n}",
            onset_date=days_ago(1),
            grade=1,
            drug_causality="not_related",
            therapy_causality="not_related",
            expected=True,
        )
    assert _count(client, path) == few


def test_the_list_pages_keep_the_filters(client, people, kare, make_user):
    for _ in range(26):
        people.enrol()
    client = signed_in(client, make_user("coordinator", kare, sites=["exeter"]))
    html = client.get("/participants/", {"status": "enrolled"}).content.decode()
    assert "26 participants, page 1 of 2." in html
    assert 'href="?status=enrolled&amp;page=2"' in html
    second = client.get("/participants/", {"status": "enrolled", "page": "2"}).content.decode()
    assert second.count('href="/participants/') - second.count('href="/participants/"') == 1


def test_the_api_filters_by_the_same_status_as_the_page(as_user, people, coordinator, lists):
    randomised = people.randomised()
    people.enrol()
    api = as_user(coordinator)
    found = api.get("/api/participants/", {"status": "randomised"}).json()["results"]
    assert [p["study_id"] for p in found] == [randomised.study_id]
    refused = api.get("/api/participants/", {"status": "lost"})
    assert refused.status_code == 400
    assert "status" in refused.json()["error"]["fields"]


def test_the_casebook_offers_only_the_forms_the_roles_allow(client, people, kare, make_user):
    participant = people.enrol()
    path = f"/participants/{participant.study_id}/"
    html = signed_in(client, make_user("monitor", kare)).get(path).content.decode()
    for form in ("baseline", "randomise", "consent", "withdraw", "contact"):
        assert f"{path}{form}/" not in html
    html = signed_in(client, make_user("coordinator", kare)).get(path).content.decode()
    for form in ("baseline", "randomise", "consent", "withdraw", "contact"):
        assert f"{path}{form}/" in html


def test_a_study_id_in_two_trials_asks_which_trial(client, people, more_kare, coordinator):
    here = people.enrol()
    membership_grant(user=coordinator, role="coordinator", sites=list(more_kare.sites.all()), reason="both trials")
    twin = People(more_kare, coordinator).enrol()
    Participant.objects.filter(pk=twin.pk).update(study_id=here.study_id)  # ids are random: make them meet
    client = signed_in(client, coordinator)
    pages = ("", "consent/", "drinking/", "biomarkers/", "questionnaires/", "adverse-events/new/", "contact/")
    for path in (f"/participants/{here.study_id}/{page}" for page in pages):
        response = client.get(path)
        assert response.status_code == 400
        assert f'href="{path}?trial=MORE-KARE"' in response.content.decode()
    assert "MORE-KARE" in client.get(f"/participants/{here.study_id}/", {"trial": "MORE-KARE"}).content.decode()


@pytest.mark.postgres
def test_the_history_names_the_appointments_drawn_up_together_in_one_row(client, people, lists, coordinator):
    participant = people.randomised()
    page = signed_in(client, coordinator).get(f"/participants/{participant.study_id}/").content.decode()
    codes = list(participant.appointments.order_by("pk").values_list("event_code", flat=True))
    assert page.count("drawn up") == 1
    assert f"appointments: {', '.join(codes)}" in page
    assert "window start:" not in page  # the schedule above gives the dates


def test_the_casebook_decides_blinding_and_reads_the_protocol_version_once(client, people, coordinator, lists):
    # The allocation and its history are shown with one decision of what the reader may see, and
    # the trial's version in force is looked up once for the request (the page and the roles share it).
    participant = people.randomised()
    client = signed_in(client, coordinator)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/participants/{participant.study_id}/").status_code == 200
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries if " FROM " in q["sql"]]
    assert tables.count('"participants_analysisunblinding"') == 1
    assert tables.count('"trials_protocolversion"') == 1
    assert '"trials_level"' not in tables  # the arm's levels come with their factors in one query
