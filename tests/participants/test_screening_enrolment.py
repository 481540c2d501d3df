"""Screening, enrolment, identity, consent, re-consent after an amendment, and withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from django.db import connection

from participants.enrolment import services as enrolment
from participants.models import Consent, Identity, Participant, Screening, Withdrawal
from tests.conftest import ROOT
from tests.participants.conftest import (
    EMAIL,
    FIRST_NAME,
    IDENTITY_VALUES,
    LAST_NAME,
    PHONE,
    days_ago,
    eligible_answers,
    strings_in,
)
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db


def _screening_body(trial, **overrides):
    body = {"trial": "KARE", "site": "exeter", "screened_on": str(days_ago(10)), "answers": eligible_answers(trial)}
    body.update(overrides)
    return body


def _enrol_body(screening, **overrides):
    body = {
        "screening": screening.pk,
        "sex": "F",
        "age_at_consent": 35,
        "consent_form_version": "1.0",
        "consented_on": str(screening.screened_on),
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "email": EMAIL,
        "phone": PHONE,
    }
    body.update(overrides)
    return body


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


# --- screening -----------------------------------------------------------------------------------


def test_an_all_clear_checklist_makes_the_person_eligible(kare, coordinator, as_user):
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare))
    assert response.status_code == 201
    assert response.json()["outcome"] == "eligible"
    assert response.json()["failed_criteria"] == []


def test_failed_criteria_make_the_person_not_eligible_and_are_kept(kare, coordinator, as_user):
    answers = eligible_answers(kare) | {"IN_BDI": False, "EX_SEIZURE": True}
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, answers=answers))
    assert response.status_code == 201
    assert response.json()["outcome"] == "not_eligible"
    assert response.json()["failed_criteria"] == ["IN_BDI", "EX_SEIZURE"]
    assert Screening.objects.get().failed_criteria == ["IN_BDI", "EX_SEIZURE"]


def test_an_eligible_outcome_cannot_override_a_failed_checklist(kare, coordinator, as_user):
    answers = eligible_answers(kare) | {"EX_BMI": True}
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, answers=answers, outcome="eligible"))
    assert response.status_code == 400
    assert "outcome" in _fields(response)
    assert not Screening.objects.exists()


def test_an_incomplete_checklist_is_refused_naming_the_missing_criterion(kare, coordinator, as_user):
    answers = eligible_answers(kare)
    del answers["IN_AUD"]
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, answers=answers))
    assert response.status_code == 400
    assert _fields(response) == {"answers.IN_AUD": ["This criterion must be answered."]}
    assert not Screening.objects.exists()


def test_an_unknown_criterion_is_refused_by_name(kare, coordinator, as_user):
    answers = eligible_answers(kare) | {"IN_HAPPY": True}
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, answers=answers))
    assert response.status_code == 400
    assert list(_fields(response)) == ["answers.IN_HAPPY"]
    assert not Screening.objects.exists()


def test_a_screening_in_the_future_is_refused(kare, coordinator, as_user):
    future = dt.date.today() + dt.timedelta(days=3)
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, screened_on=str(future)))
    assert response.status_code == 400
    assert "screened_on" in _fields(response)
    assert not Screening.objects.exists()


def test_a_screening_at_an_unknown_site_is_refused(kare, coordinator, as_user):
    response = as_user(coordinator).post("/api/screenings/", _screening_body(kare, site="truro"))
    assert response.status_code == 400
    assert "site" in _fields(response)
    assert not Screening.objects.exists()


# --- enrolment -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        pytest.param({"sex": "X"}, "sex", id="unknown-sex"),
        pytest.param({"age_at_consent": 17}, "age_at_consent", id="age-17"),
        pytest.param({"age_at_consent": 61}, "age_at_consent", id="age-61"),
        pytest.param({"consent_form_version": "9.9"}, "consent_form_version", id="unknown-form"),
        pytest.param({"baseline_weight_kg": "0"}, "baseline_weight_kg", id="weight-0"),
        pytest.param({"baseline_weight_kg": "400"}, "baseline_weight_kg", id="weight-400"),
    ],
)
def test_an_invalid_enrolment_is_refused_by_field_and_writes_nothing(people, as_user, overrides, field):
    screening = people.screen()
    response = as_user(people.coordinator).post("/api/participants/", _enrol_body(screening, **overrides))
    assert response.status_code == 400
    assert field in _fields(response)
    assert not Participant.objects.exists()
    assert not Identity.objects.exists()
    assert not Consent.objects.exists()


def test_a_consent_before_the_screening_is_refused(people, as_user):
    screening = people.screen(on=days_ago(10))
    body = _enrol_body(screening, consented_on=str(days_ago(11)))
    response = as_user(people.coordinator).post("/api/participants/", body)
    assert response.status_code == 400
    assert "consented_on" in _fields(response)
    assert not Participant.objects.exists()


def test_a_consent_in_the_future_is_refused(people, as_user):
    screening = people.screen()
    body = _enrol_body(screening, consented_on=str(dt.date.today() + dt.timedelta(days=3)))
    response = as_user(people.coordinator).post("/api/participants/", body)
    assert response.status_code == 400
    assert "consented_on" in _fields(response)
    assert not Participant.objects.exists()


@pytest.mark.parametrize("age", [18, 60])
def test_the_protocol_age_limits_are_inclusive(people, as_user, age):
    response = as_user(people.coordinator).post("/api/participants/", _enrol_body(people.screen(), age_at_consent=age))
    assert response.status_code == 201, response.json()
    assert response.json()["age_at_consent"] == age


def test_a_not_eligible_screening_cannot_be_enrolled(people, as_user):
    screening = people.screen(failing=("EX_PSYCHOSIS",))
    response = as_user(people.coordinator).post("/api/participants/", _enrol_body(screening))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_eligible"
    assert not Participant.objects.exists()
    assert not Identity.objects.exists()


def test_a_screening_is_enrolled_once(people, as_user):
    screening = people.screen()
    client = as_user(people.coordinator)
    assert client.post("/api/participants/", _enrol_body(screening)).status_code == 201
    again = client.post("/api/participants/", _enrol_body(screening))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_enrolled"
    assert Participant.objects.count() == 1
    assert Identity.objects.count() == 1


# --- identity ------------------------------------------------------------------------------------


def test_identity_appears_in_no_participant_screening_allocation_or_history_response(people, lists, as_user):
    client = as_user(people.coordinator)
    screening = people.screen()
    enrolled = client.post("/api/participants/", _enrol_body(screening))
    assert enrolled.status_code == 201
    study_id = enrolled.json()["study_id"]
    baseline = client.post(
        f"/api/participants/{study_id}/baseline/", {"completed_on": str(days_ago(5)), "weight_kg": "70.0"}
    )
    randomised = client.post(f"/api/participants/{study_id}/randomise/")
    responses = [enrolled, baseline, randomised] + [
        client.get(url)
        for url in (
            f"/api/participants/{study_id}/",
            "/api/participants/",
            "/api/participants/?trial=KARE",
            f"/api/participants/{study_id}/allocation/",
            f"/api/participants/{study_id}/history/",
            "/api/screenings/",
            f"/api/screenings/{screening.pk}/",
        )
    ]
    assert [r.status_code for r in responses] == [201, 200, 200] + [200] * 7
    for response in responses:
        for text in strings_in(response.json()):
            for value in IDENTITY_VALUES:
                assert value.lower() not in text.lower(), (response.request["PATH_INFO"], text)


@pytest.mark.parametrize("role", ["coordinator", "investigator"])
def test_identity_is_shown_to_coordinators_and_investigators_at_the_site(people, make_user, as_user, role):
    participant = people.enrol()
    reader = make_user(role, people.trial, sites=["exeter"])
    response = as_user(reader).get(f"/api/participants/{participant.study_id}/identity/")
    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["email"]) == (FIRST_NAME, EMAIL)


@pytest.mark.parametrize("role", ["outcome_assessor", "monitor"])
def test_identity_is_refused_to_other_roles(people, make_user, as_user, role):
    participant = people.enrol()
    reader = make_user(role, people.trial, sites=["exeter"])
    response = as_user(reader).get(f"/api/participants/{participant.study_id}/identity/")
    assert response.status_code == 403
    assert all(value not in response.content.decode() for value in IDENTITY_VALUES)


def test_identity_is_stored_encrypted(people):
    participant = people.enrol()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_name, last_name, email, phone FROM participants_identity WHERE participant_id = %s",
            [participant.pk],
        )
        raw = cursor.fetchone()
    assert raw is not None
    assert all(raw)
    stored = " ".join(str(column) for column in raw)
    for value in IDENTITY_VALUES:
        assert value not in stored
    assert Identity.objects.get(participant=participant).last_name == LAST_NAME


# --- withdrawal ----------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["reason", "scope"])
def test_a_withdrawal_needs_a_reason_and_a_scope(people, as_user, missing):
    participant = people.enrol()
    body = {"scope": "intervention", "withdrawn_on": str(days_ago(1)), "reason": "moved abroad"}
    del body[missing]
    response = as_user(people.coordinator).post(f"/api/participants/{participant.study_id}/withdrawals/", body)
    assert response.status_code == 400
    assert missing in _fields(response)
    assert not Withdrawal.objects.exists()


def test_a_withdrawal_scope_is_recorded_once(people, as_user):
    participant = people.enrol()
    client = as_user(people.coordinator)
    url = f"/api/participants/{participant.study_id}/withdrawals/"
    body = {"scope": "follow_up", "withdrawn_on": str(days_ago(2)), "reason": "no longer wishes to attend"}
    assert client.post(url, body).status_code == 201
    again = client.post(url, body | {"withdrawn_on": str(days_ago(1))})
    assert again.status_code == 409
    assert Withdrawal.objects.count() == 1


# --- re-consent after an amendment ---------------------------------------------------------------


def _amend_with_consent_form_2(trial):
    """Amend KARE: consent form 2.0, in force from five days ago."""
    document = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text())
    effective = days_ago(5)
    document["version"] = {"label": "1.1", "effective_date": effective}
    document["consent_forms"].append({"version": "2.0", "date": effective, "title": "Information sheet 2.0"})
    protocol_load(
        protocol=validate(document), source="kare-1.1.yaml", amend=True, reason="new information on side effects"
    )
    assert trial.version_on().protocol.current_consent_form().version == "2.0"


def test_a_new_consent_form_makes_earlier_consent_not_current(people, as_user):
    participant = people.enrol()
    client = as_user(people.coordinator)
    assert client.get(f"/api/participants/{participant.study_id}/").json()["consent_current"] is True
    _amend_with_consent_form_2(people.trial)
    assert client.get(f"/api/participants/{participant.study_id}/").json()["consent_current"] is False


def test_randomisation_waits_for_re_consent_to_a_new_form(people, lists, as_user):
    participant = people.ready()
    _amend_with_consent_form_2(people.trial)
    client = as_user(people.coordinator)
    refused = client.post(f"/api/participants/{participant.study_id}/randomise/")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "consent_required"
    consent = client.post(
        f"/api/participants/{participant.study_id}/consents/", {"form_version": "2.0", "consented_on": str(days_ago(1))}
    )
    assert consent.status_code == 201
    assert client.post(f"/api/participants/{participant.study_id}/randomise/").status_code == 200


def test_baseline_waits_for_re_consent_to_a_new_form(people, as_user):
    participant = people.enrol()
    _amend_with_consent_form_2(people.trial)
    client = as_user(people.coordinator)
    url = f"/api/participants/{participant.study_id}/baseline/"
    body = {"completed_on": str(days_ago(1)), "weight_kg": "80.0"}
    refused = client.post(url, body)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reconsent_required"
    assert Participant.objects.get(pk=participant.pk).baseline_completed_on is None
    enrolment.consent_record(
        actor=people.coordinator, participant=participant, form_version="2.0", consented_on=days_ago(1)
    )
    assert client.post(url, body).status_code == 200


@pytest.mark.sqlite
def test_a_participants_history_says_there_is_no_audit_trail(people, coordinator, as_user):
    participant = people.enrol()
    body = as_user(coordinator).get(f"/api/participants/{participant.study_id}/history/").json()
    assert body["audit_trail"]["recorded"] is False
    assert body["results"] == []
