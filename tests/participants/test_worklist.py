"""The coordinator's worklist: open appointments at the caller's sites, overdue first, in a number
of queries that does not grow with the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from participants.randomisation import services as randomisation
from tests.participants.conftest import days_ago
from tests.participants.visits_fixtures import Clinic, client_for, refused

pytestmark = pytest.mark.django_db

D = dt.timedelta
SITE_PARTICIPANTS = 1000
# Queries one worklist page costs, whatever its size: the caller's memberships, the sites, the
# count and the page (appointments with their participant, site and visit). Pagination adds none.
WORKLIST_QUERIES = 4
LEVELS = [
    {"drug": "ketamine", "therapy": "therapy"},
    {"drug": "placebo", "therapy": "education"},
]


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def busy_site(kare, make_user):
    """1,000 participants randomised at exeter ten days ago, imported with their appointments."""
    administrator = make_user("administrator", kare)
    randomised_on = days_ago(10)
    with transaction.atomic():
        for n in range(SITE_PARTICIPANTS):
            randomisation.participant_import(
                actor=administrator,
                trial=kare,
                study_id=f"W{n:04d}",
                site_code="exeter",
                sex="MF"[n % 2],
                randomised_on=randomised_on,
                levels=LEVELS[n % 2],
            )
    return kare


def test_the_worklist_costs_the_same_queries_whatever_the_page_size(
    busy_site, make_user, django_assert_max_num_queries
):
    due_before = days_ago(-7)
    for page_size in (10, 500):
        # A new user each time, so that neither request finds the memberships already read.
        client = client_for(make_user("coordinator", busy_site, sites=["exeter"]))
        with django_assert_max_num_queries(WORKLIST_QUERIES):
            response = client.get(f"/api/appointments/?site=exeter&due_before={due_before}&page_size={page_size}")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert len(body["results"]) == page_size
        # V1 (no baseline on record for an import), V2 and V3 of everyone are open and start by then.
        assert body["count"] >= 3 * SITE_PARTICIPANTS
        ends = [row["window_end"] for row in body["results"]]
        assert ends == sorted(ends)


def test_the_worklist_lists_open_appointments_due_by_the_date_overdue_first(clinic):
    participant = clinic.randomised(ago=12)
    client = client_for(clinic.coordinator)
    r = participant.allocation.allocated_on
    rows = client.get(f"/api/appointments/?site=exeter&due_before={r + D(7)}").json()["results"]
    # V1 is done (baseline before randomisation); of the rest only V2 (R+1..R+14) starts by R+7.
    assert [(row["event_code"], row["status"]) for row in rows] == [("V2", "due")]
    clinic.attend(client, participant, "V2", 7)
    # Today is R+12: V3 (R+11..R+17) is due, V4 (R+14..R+28) not yet, and V2 is off the list.
    rows = client.get(f"/api/appointments/?site=exeter&due_before={r + D(14)}").json()["results"]
    assert [(row["event_code"], row["status"]) for row in rows] == [("V3", "due"), ("V4", "upcoming")]


def test_an_appointment_past_its_window_is_overdue_and_comes_first(clinic):
    old, recent = clinic.randomised(ago=40), clinic.randomised(ago=3)
    client = client_for(clinic.coordinator)
    rows = client.get("/api/appointments/?site=exeter").json()["results"]
    first = rows[0]
    assert (first["study_id"], first["event_code"], first["status"]) == (old.study_id, "V2", "overdue")
    assert (recent.study_id, "V2") in {(row["study_id"], row["event_code"]) for row in rows}


def test_the_worklist_shows_only_the_callers_sites(clinic):
    exeter = clinic.randomised(site="exeter", ago=10)
    london = clinic.randomised(site="london", ago=10)
    london_client = client_for(clinic.user("coordinator", sites=["london"]))
    studies = {row["study_id"] for row in london_client.get("/api/appointments/").json()["results"]}
    assert studies == {london.study_id}
    # Naming a site the caller does not work at shows nothing rather than that site's list.
    assert london_client.get("/api/appointments/?site=exeter").json()["results"] == []
    everyone = client_for(clinic.coordinator).get("/api/appointments/").json()["results"]
    assert {row["study_id"] for row in everyone} == {exeter.study_id, london.study_id}


def test_a_worklist_date_that_is_not_a_date_is_refused(clinic):
    refused(client_for(clinic.coordinator).get("/api/appointments/?due_before=soon"), 400, field="due_before")
