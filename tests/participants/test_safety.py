"""Adverse events with their reporting clocks, and protocol deviations with their review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from participants.models import AdverseEvent, Deviation
from participants.safety import services as safety
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts

pytestmark = pytest.mark.django_db

D = dt.timedelta
AWARE = dt.datetime(2024, 5, 6, 14, 30, tzinfo=dt.UTC)


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def participant(clinic):
    return clinic.randomised()


@pytest.fixture
def coordinator_client(clinic):
    return client_for(clinic.coordinator)


def _ae_body(participant, **changes) -> dict:
    body = {
        "term": "Alcohol withdrawal seizure",
        "onset_date": str(participant.allocation.allocated_on + D(60)),
        "grade": 3,
        "seriousness": ["hospitalisation"],
        "drug_causality": "probably",
        "therapy_causality": "not_related",
        "expected": False,
    }
    body.update(changes)
    return body


def _record(client, participant, **changes):
    return client.post(
        f"/api/participants/{participant.study_id}/adverse-events/", _ae_body(participant, **changes), format="json"
    )


# --- reporting deadlines ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seriousness", "drug_causality", "expected", "sponsor", "regulator"),
    [
        ([], "probably", False, None, None),  # not serious: no clock
        (["hospitalisation"], "not_related", False, D(hours=24), None),  # SAE, not related: sponsor only
        (["hospitalisation"], "unlikely", False, D(hours=24), None),
        (["hospitalisation"], "probably", True, D(hours=24), None),  # expected: not a SUSAR
        (["hospitalisation"], "possibly", False, D(hours=24), D(days=15)),
        (["important_medical_event"], "definitely", False, D(hours=24), D(days=15)),
        (["life_threatening"], "probably", False, D(hours=24), D(days=7)),
        (["death", "hospitalisation"], "possibly", False, D(hours=24), D(days=7)),
    ],
)
def test_reporting_deadlines_count_from_awareness(seriousness, drug_causality, expected, sponsor, regulator):
    ae = AdverseEvent(
        seriousness=seriousness,
        drug_causality=drug_causality,
        therapy_causality="definitely",  # a SUSAR is a reaction to the study drug: the therapy counts for nothing
        expected=expected,
        aware_at=AWARE,
    )
    due = safety.deadlines(ae)
    assert due["sponsor"] == (AWARE + sponsor if sponsor else None)
    assert due["regulator"] == (AWARE + regulator if regulator else None)


def test_a_serious_event_is_on_the_deadline_list_until_reported(clinic, participant, coordinator_client):
    recorded = _record(coordinator_client, participant)
    assert recorded.status_code == 201, recorded.json()
    ae = recorded.json()
    aware = dt.datetime.fromisoformat(ae["aware_at"])
    assert (ae["serious"], ae["susar"]) == (True, True)
    assert dt.datetime.fromisoformat(ae["sponsor_due"]) == aware + D(hours=24)
    assert dt.datetime.fromisoformat(ae["regulator_due"]) == aware + D(days=15)

    def deadlines():
        response = coordinator_client.get("/api/adverse-events/deadlines/")
        assert response.status_code == 200, response.json()
        return [(row["adverse_event"]["id"], row["report_to"], row["overdue"]) for row in response.json()]

    assert deadlines() == [(ae["id"], "sponsor", False), (ae["id"], "regulator", False)]
    reports = f"/api/adverse-events/{ae['id']}/reports/"
    assert coordinator_client.post(reports, {"to": "sponsor"}).status_code == 200
    assert deadlines() == [(ae["id"], "regulator", False)]
    reported = coordinator_client.post(reports, {"to": "regulator"})
    assert reported.status_code == 200, reported.json()
    assert reported.json()["regulator_reported_at"] is not None
    assert deadlines() == []


def test_a_deadline_past_shows_overdue(clinic, participant, coordinator_client):
    safety.adverse_event_record(
        actor=clinic.coordinator,
        participant=participant,
        term="Fall with fracture",
        onset_date=participant.allocation.allocated_on + D(30),
        grade=3,
        seriousness=["hospitalisation"],
        drug_causality="not_related",
        therapy_causality="not_related",
        expected=False,
        aware_at=timezone.now() - D(hours=25),
    )
    [row] = coordinator_client.get("/api/adverse-events/deadlines/").json()
    assert (row["report_to"], row["overdue"]) == ("sponsor", True)


def test_the_deadline_list_shows_only_the_callers_sites(clinic, participant, coordinator_client):
    assert _record(coordinator_client, participant).status_code == 201
    london = client_for(clinic.user("coordinator", sites=["london"]))
    assert london.get("/api/adverse-events/deadlines/").json() == []


def test_an_event_needing_no_report_cannot_be_reported(clinic, participant, coordinator_client):
    ae = _record(coordinator_client, participant, seriousness=[]).json()
    refused(coordinator_client.post(f"/api/adverse-events/{ae['id']}/reports/", {"to": "sponsor"}), 409)
    sae = _record(coordinator_client, participant, drug_causality="not_related").json()
    refused(coordinator_client.post(f"/api/adverse-events/{sae['id']}/reports/", {"to": "regulator"}), 409)
    assert AdverseEvent.objects.filter(sponsor_reported_at__isnull=False).count() == 0


def test_a_report_is_recorded_once(clinic, participant, coordinator_client):
    ae = _record(coordinator_client, participant).json()
    url = f"/api/adverse-events/{ae['id']}/reports/"
    assert coordinator_client.post(url, {"to": "sponsor"}).status_code == 200
    first = AdverseEvent.objects.get(pk=ae["id"]).sponsor_reported_at
    refused(coordinator_client.post(url, {"to": "sponsor"}), 409, code="duplicate")
    assert AdverseEvent.objects.get(pk=ae["id"]).sponsor_reported_at == first


# --- recording and changing adverse events ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"grade": 7}, "grade"),
        ({"grade": 0}, "grade"),
        ({"grade": 5, "seriousness": ["hospitalisation"]}, "seriousness"),
        ({"seriousness": ["bad"]}, "seriousness.0"),
        ({"drug_causality": "maybe"}, "drug_causality"),
        ({"therapy_causality": "not_assessed"}, "therapy_causality"),
        ({"term": ""}, "term"),
        ({"onset_date": "2999-01-01"}, "onset_date"),
    ],
    ids=[
        "grade-7",
        "grade-0",
        "grade-5-not-death",
        "unknown-seriousness",
        "unknown-causality",
        "therapy-not-assessed",
        "no-term",
        "future",
    ],
)
def test_an_invalid_adverse_event_is_refused_and_nothing_is_written(participant, coordinator_client, changes, field):
    before = row_counts()
    refused(_record(coordinator_client, participant, **changes), 400, field=field)
    assert row_counts() == before


def test_an_adverse_event_before_enrolment_is_refused(participant, coordinator_client):
    before = row_counts()
    onset = participant.enrolled_on - D(1)
    refused(_record(coordinator_client, participant, onset_date=str(onset)), 400, field="onset_date")
    assert row_counts() == before


def test_grade_is_apart_from_seriousness(participant, coordinator_client):
    severe_not_serious = _record(coordinator_client, participant, grade=3, seriousness=[]).json()
    assert (severe_not_serious["grade"], severe_not_serious["serious"]) == (3, False)
    mild_but_serious = _record(coordinator_client, participant, grade=1, seriousness=["hospitalisation"]).json()
    assert (mild_but_serious["grade"], mild_but_serious["serious"]) == (1, True)


def test_changing_an_adverse_event_needs_a_reason(participant, coordinator_client):
    ae = _record(coordinator_client, participant, seriousness=[]).json()
    url = f"/api/adverse-events/{ae['id']}/"
    refused(coordinator_client.patch(url, {"grade": 4}, format="json"), 400, field="reason")
    assert AdverseEvent.objects.get(pk=ae["id"]).grade == 3
    changed = coordinator_client.patch(url, {"grade": 4, "reason": "worsened on review"}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["grade"] == 4


def test_upgrading_an_event_to_serious_starts_its_clock(participant, coordinator_client):
    ae = _record(coordinator_client, participant, seriousness=[]).json()
    assert ae["sponsor_due"] is None
    changed = coordinator_client.patch(
        f"/api/adverse-events/{ae['id']}/",
        {"seriousness": ["life_threatening"], "reason": "admitted to intensive care"},
        format="json",
    ).json()
    aware = dt.datetime.fromisoformat(changed["aware_at"])
    assert dt.datetime.fromisoformat(changed["regulator_due"]) == aware + D(days=7)
    assert [r["report_to"] for r in coordinator_client.get("/api/adverse-events/deadlines/").json()] == [
        "sponsor",
        "regulator",
    ]


def test_an_infusion_of_another_participant_cannot_be_linked(clinic, participant, coordinator_client):
    other = clinic.randomised()
    clinic.attend(coordinator_client, other, "V2", 7)
    assert clinic.infuse(coordinator_client, other, "V2", 7).status_code == 201
    before = row_counts()
    response = _record(
        coordinator_client, participant, infusion_appointment=clinic.appointment(other, "V2").pk, seriousness=[]
    )
    refused(response, 400, field="infusion_appointment")
    assert row_counts() == before


def test_another_sites_adverse_event_is_not_found(clinic, participant, coordinator_client):
    ae = _record(coordinator_client, participant).json()
    london = client_for(clinic.user("coordinator", sites=["london"]))
    refused(london.get(f"/api/adverse-events/{ae['id']}/"), 404)
    refused(london.patch(f"/api/adverse-events/{ae['id']}/", {"grade": 4, "reason": "x"}, format="json"), 404)
    refused(london.post(f"/api/adverse-events/{ae['id']}/reports/", {"to": "sponsor"}), 404)
    refused(london.post(f"/api/participants/{participant.study_id}/adverse-events/", _ae_body(participant)), 404)
    stored = AdverseEvent.objects.get(pk=ae["id"])
    assert (stored.grade, stored.sponsor_reported_at, AdverseEvent.objects.count()) == (3, None, 1)


# --- deviations and their review -------------------------------------------------------------------


def _deviation(client, participant, **changes):
    body = {
        "kind": "other",
        "description": "Questionnaire given in the wrong order",
        "occurred_on": str(participant.allocation.allocated_on + D(7)),
    }
    body.update(changes)
    return client.post(f"/api/participants/{participant.study_id}/deviations/", body, format="json")


def test_a_deviation_recorded_by_hand_awaits_review(participant, coordinator_client):
    response = _deviation(coordinator_client, participant)
    assert response.status_code == 201, response.json()
    assert (response.json()["automatic"], response.json()["important"]) == (False, None)
    waiting = coordinator_client.get("/api/deviations/?reviewed=false").json()["results"]
    assert [d["id"] for d in waiting] == [response.json()["id"]]
    refused(coordinator_client.get("/api/deviations/?reviewed=perhaps"), 400, field="reviewed")


def test_a_deviation_with_an_unknown_kind_or_a_future_date_is_refused(participant, coordinator_client):
    refused(_deviation(coordinator_client, participant, kind="weather"), 400, field="kind")
    refused(_deviation(coordinator_client, participant, occurred_on="2999-01-01"), 400, field="occurred_on")
    assert not Deviation.objects.exists()


@pytest.mark.parametrize("important", [True, False])
def test_a_data_manager_classes_a_deviation(clinic, participant, coordinator_client, important):
    deviation = _deviation(coordinator_client, participant).json()
    reviewer = clinic.user("data_manager")
    data_manager = client_for(reviewer)
    response = data_manager.post(f"/api/deviations/{deviation['id']}/review/", {"important": important})
    assert response.status_code == 200, response.json()
    assert response.json()["important"] is important
    stored = Deviation.objects.get(pk=deviation["id"])
    assert (stored.important, stored.reviewed_by_id) == (important, reviewer.pk)
    assert stored.reviewed_at is not None
    assert coordinator_client.get("/api/deviations/?reviewed=false").json()["results"] == []


def test_a_second_review_needs_a_note(clinic, participant, coordinator_client):
    deviation = _deviation(coordinator_client, participant).json()
    data_manager = client_for(clinic.user("data_manager"))
    url = f"/api/deviations/{deviation['id']}/review/"
    assert data_manager.post(url, {"important": False}).status_code == 200
    refused(data_manager.post(url, {"important": True}), 400, field="note")
    assert Deviation.objects.get(pk=deviation["id"]).important is False
    changed = data_manager.post(url, {"important": True, "note": "affects the primary endpoint window"})
    assert changed.status_code == 200, changed.json()
    assert (changed.json()["important"], changed.json()["review_note"]) == (
        True,
        "affects the primary endpoint window",
    )


def test_a_coordinator_may_not_review_a_deviation(participant, coordinator_client):
    deviation = _deviation(coordinator_client, participant).json()
    refused(coordinator_client.post(f"/api/deviations/{deviation['id']}/review/", {"important": True}), 403)
    stored = Deviation.objects.get(pk=deviation["id"])
    assert (stored.important, stored.reviewed_at) == (None, None)


def test_another_sites_data_manager_cannot_review(clinic, participant, coordinator_client):
    deviation = _deviation(coordinator_client, participant).json()
    london = client_for(clinic.user("data_manager", sites=["london"]))
    refused(london.post(f"/api/deviations/{deviation['id']}/review/", {"important": True}), 404)
    assert london.get("/api/deviations/").json()["results"] == []
    assert Deviation.objects.get(pk=deviation["id"]).reviewed_at is None


def test_relatedness_is_kept_for_the_drug_and_the_therapy_apart(participant, coordinator_client):
    body = _record(coordinator_client, participant, drug_causality="not_related", therapy_causality="probably").json()
    assert (body["drug_causality"], body["therapy_causality"]) == ("not_related", "probably")
    # related to the therapy only: not a reaction to the study drug, so no regulator's clock
    assert (body["serious"], body["susar"], body["regulator_due"]) == (True, False, None)
    changed = coordinator_client.patch(
        f"/api/adverse-events/{body['id']}/", {"drug_causality": "possibly", "reason": "reassessed"}, format="json"
    ).json()
    assert (changed["drug_causality"], changed["therapy_causality"], changed["susar"]) == ("possibly", "probably", True)
