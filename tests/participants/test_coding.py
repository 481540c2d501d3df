"""Coding adverse events to a loaded dictionary, and the expectedness the RSI gives the coded PT:
who codes, where, with what reason, and how an unlisted PT starts the SUSAR clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from core.history import event_model_for
from participants.models import AdverseEvent, DictionaryTerm
from participants.safety import services as safety
from participants.safety.dictionaries import dictionary_load
from tests.conftest import force_login_verified
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts

pytestmark = pytest.mark.django_db

MEDDRA = Path(__file__).parent / "dictionaries" / "meddra"
D = dt.timedelta


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def release(clinic):
    return dictionary_load(actor=clinic.user("data_manager"), kind="meddra", version="27.1", source=MEDDRA)


@pytest.fixture
def data_manager(clinic, release):
    return clinic.user("data_manager", sites=["exeter"])


def term(name: str) -> DictionaryTerm:
    return DictionaryTerm.objects.get(llt_name=name)


def record(clinic, participant=None, **changes) -> AdverseEvent:
    participant = participant or clinic.randomised()
    values = {
        "term": "had a fit at home",
        "onset_date": participant.allocation.allocated_on + D(10),
        "grade": 3,
        "seriousness": ["hospitalisation"],
        "drug_causality": "possibly",
        "therapy_causality": "not_related",
        "expected": True,
        "aware_at": timezone.now() - D(hours=1),
    }
    values.update(changes)
    return safety.adverse_event_record(actor=clinic.coordinator, participant=participant, **values)


def code(user, ae, name: str, **extra):
    return client_for(user).post(
        f"/api/adverse-events/{ae.pk}/coding/", {"term": term(name).pk, **extra}, format="json"
    )


def test_a_data_manager_codes_the_verbatim_term_which_stays_as_it_was(clinic, data_manager):
    ae = record(clinic)
    response = code(data_manager, ae, "Fit")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["term"] == "had a fit at home"
    assert body["coding"] == {
        "dictionary": "MedDRA 27.1",
        "llt_code": "90010005",
        "llt_name": "Fit",
        "pt_code": "90001002",
        "pt_name": "Seizure",
        "soc_code": "90000002",
        "soc_name": "Nerve disorders",
        "coded_at": body["coding"]["coded_at"],
        "rsi_version": "2015-06",
    }
    ae.refresh_from_db()
    assert (ae.term, ae.coded_by, ae.dictionary.version) == ("had a fit at home", data_manager, "27.1")


def test_a_pt_the_rsi_does_not_list_makes_a_serious_related_event_a_susar_with_the_regulators_clock(
    clinic, data_manager
):
    ae = record(clinic, expected=True)  # the investigator thought it expected
    assert not ae.susar
    body = code(data_manager, ae, "Fit").json()  # Seizure: not in KARE's RSI
    assert (body["rsi_expected"], body["unexpected"], body["susar"]) == (False, True, True)
    assert dt.datetime.fromisoformat(body["regulator_due"]) == ae.aware_at + D(days=15)
    rows = client_for(clinic.coordinator).get("/api/adverse-events/deadlines/").json()
    assert [(r["adverse_event"]["id"], r["report_to"]) for r in rows] == [(ae.pk, "sponsor"), (ae.pk, "regulator")]


def test_a_fatal_susar_gets_seven_days(clinic, data_manager):
    ae = record(clinic, grade=5, seriousness=["death"])
    body = code(data_manager, ae, "Fit").json()
    assert dt.datetime.fromisoformat(body["regulator_due"]) == ae.aware_at + D(days=7)


def test_a_listed_pt_is_expected_unless_the_investigator_judged_otherwise(clinic, data_manager):
    listed = code(data_manager, record(clinic, expected=True), "Feeling queasy").json()  # PT Nausea: listed
    assert (listed["rsi_expected"], listed["unexpected"], listed["susar"], listed["regulator_due"]) == (
        True,
        False,
        False,
        None,
    )
    # more severe than the RSI describes, in the investigator's judgement: unexpected all the same
    judged = code(data_manager, record(clinic, expected=False), "Feeling queasy").json()
    assert (judged["rsi_expected"], judged["unexpected"], judged["susar"]) == (True, True, True)


def test_an_unlisted_pt_related_only_to_the_therapy_is_no_susar(clinic, data_manager):
    ae = record(clinic, drug_causality="unlikely", therapy_causality="probably")
    assert code(data_manager, ae, "Fit").json()["susar"] is False


def test_coding_puts_the_regulators_report_on_the_dashboard(client, clinic, data_manager):
    ae = record(clinic)
    force_login_verified(client, clinic.coordinator)
    assert "report to the regulator" not in client.get("/").content.decode()
    code(data_manager, ae, "Fit")
    page = client.get("/").content.decode()
    assert f"{ae.participant.study_id}: report to the regulator" in page


def test_only_a_data_manager_codes(clinic, data_manager):
    ae = record(clinic)
    for role in ("coordinator", "investigator"):
        refused(code(clinic.user(role), ae, "Fit"), 403)
    refused(client_for(clinic.coordinator).get("/api/adverse-events/coding/"), 403)
    ae.refresh_from_db()
    assert ae.coded_at is None


def test_another_sites_event_is_not_found(clinic, data_manager):
    ae = record(clinic)
    london = clinic.user("data_manager", sites=["london"])
    refused(code(london, ae, "Fit"), 404)
    assert client_for(london).get("/api/adverse-events/coding/").json()["results"] == []
    ae.refresh_from_db()
    assert ae.coded_at is None


def test_recoding_needs_a_reason_and_keeps_it_in_the_audit_trail(clinic, data_manager):
    ae = record(clinic)
    assert code(data_manager, ae, "Fit").status_code == 200
    before = row_counts()
    refused(code(data_manager, ae, "Dizziness"), 400, field="reason")
    assert row_counts() == before
    assert AdverseEvent.objects.get(pk=ae.pk).llt_name == "Fit"
    recoded = code(data_manager, ae, "Light-headed", reason="the source notes say dizzy, not a fit")
    assert recoded.status_code == 200, recoded.json()
    assert (recoded.json()["coding"]["pt_name"], recoded.json()["term"]) == ("Dizziness", "had a fit at home")


def test_the_same_term_again_changes_nothing(clinic, data_manager):
    ae = record(clinic)
    first = code(data_manager, ae, "Fit").json()
    again = code(data_manager, ae, "Fit")  # a repeated submit: no reason asked, nothing written
    assert again.status_code == 200
    assert again.json()["coding"]["coded_at"] == first["coding"]["coded_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"term": 10**12}, "term"), ({"term": "fit"}, "term"), ({}, "term")],
    ids=["unknown", "not-an-id", "missing"],
)
def test_a_bad_term_is_refused(clinic, data_manager, body, field):
    ae = record(clinic)
    refused(
        client_for(data_manager).post(f"/api/adverse-events/{ae.pk}/coding/", body, format="json"), 400, field=field
    )


def test_a_term_no_longer_current_is_refused(clinic, data_manager):
    ae = record(clinic)
    refused(code(data_manager, ae, "Sickish"), 400, field="term")


def test_the_worklist_holds_the_uncoded_events_of_the_data_managers_sites(clinic, data_manager):
    first, second = record(clinic), record(clinic)
    record(clinic, participant=clinic.randomised(site="london"))
    listed = client_for(data_manager).get("/api/adverse-events/coding/").json()["results"]
    assert [r["id"] for r in listed] == [first.pk, second.pk]
    code(data_manager, first, "Fit")
    assert [r["id"] for r in client_for(data_manager).get("/api/adverse-events/coding/").json()["results"]] == [
        second.pk
    ]
    coded = client_for(data_manager).get("/api/adverse-events/coding/?coded=true").json()["results"]
    assert [r["id"] for r in coded] == [first.pk]


def test_the_term_search_finds_current_terms_by_name(clinic, data_manager):
    api = client_for(data_manager)
    found = api.get("/api/dictionaries/terms/", {"q": "si"}).json()
    # "Seizure" is not found by "si"; "Sickish" is no longer current
    assert [t["llt_name"] for t in found] == []
    found = api.get("/api/dictionaries/terms/", {"q": "ee"}).json()
    assert [t["llt_name"] for t in found] == ["Feeling queasy"]
    assert [t["llt_name"] for t in api.get("/api/dictionaries/terms/", {"q": "di"}).json()] == ["Dizziness"]
    assert api.get("/api/dictionaries/terms/", {"q": "f"}).json() == []  # two characters at least
    assert [r["version"] for r in api.get("/api/dictionaries/").json()] == ["27.1"]


@pytest.mark.postgres
def test_coding_is_audited_with_who_and_why(clinic, data_manager):
    ae = record(clinic)
    code(data_manager, ae, "Fit")
    code(data_manager, ae, "Light-headed", reason="the source notes say dizzy")
    events = event_model_for(AdverseEvent).objects.filter(pgh_obj_id=ae.pk, pgh_label="update")
    trail = [
        (e.llt_name, e.term, e.pgh_context.metadata) for e in events.select_related("pgh_context").order_by("pgh_id")
    ]
    assert [(name, verbatim, meta["reason"], meta["user"]) for name, verbatim, meta in trail] == [
        ("Fit", "had a fit at home", "adverse event coded", data_manager.pk),
        ("Light-headed", "had a fit at home", "the source notes say dizzy", data_manager.pk),
    ]
