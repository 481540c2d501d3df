"""Infusions through the API: the dose computed from the protocol and shown only to those who may
see the drug factor, the protocol's preconditions, vitals against the safety thresholds, and the
deviations an infusion records by itself."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from participants.models import Deviation, DeviationKind, InfusionSession
from participants.schedule import services as schedule
from tests.participants.conftest import mentions, values_in
from tests.participants.visits_fixtures import Clinic, client_for, refused, row_counts, vitals

pytestmark = pytest.mark.django_db

# What reveals the drug level: its codes, titles and the drugs' names, in any case.
DRUG_WORDS = ("ketamine", "placebo", "saline", "sodium chloride")
ARM_CODES = ("KT", "KE", "PT", "PE")


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def coordinator_client(clinic):
    return client_for(clinic.coordinator)


def _attended(clinic, client, participant, code: str = "V2", n: int = 7):
    clinic.attend(client, participant, code, n)
    return clinic.appointment(participant, code)


def _drug_leaks(data) -> list[str]:
    return [
        text
        for text in values_in(data)
        if any(word in text.lower() for word in DRUG_WORDS) or any(mentions(text, code) for code in ARM_CODES)
    ]


# --- the dose ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "weight", "dose"),
    [
        ("ketamine", "75.0", "60.00"),
        ("ketamine", "80.5", "64.40"),
        ("ketamine", "125.0", "100.00"),
        ("ketamine", "150.0", "100.00"),  # 120 mg by weight, capped at 100
        ("placebo", "150.0", "0.00"),
    ],
)
def test_the_dose_is_mg_per_kg_times_the_weight_capped_at_the_maximum(kare, level, weight, dose):
    mg_per_kg, computed = schedule.dose_for(protocol=kare.version_on().protocol, level=level, weight_kg=Decimal(weight))
    assert mg_per_kg == (Decimal("0.8") if level == "ketamine" else Decimal("0"))
    assert computed == Decimal(dose)


def test_a_pharmacist_sees_the_ketamine_dose_computed_from_the_weight(clinic, coordinator_client):
    participant = clinic.in_arm("KT")
    pharmacist = client_for(clinic.user("pharmacist"))
    _attended(clinic, coordinator_client, participant, "V2", 7)
    _attended(clinic, coordinator_client, participant, "V4", 21)
    first = clinic.infuse(pharmacist, participant, "V2", 7, weight="80.0")
    assert first.status_code == 201, first.json()
    assert (first.json()["drug"], first.json()["mg_per_kg"], first.json()["dose_mg"]) == (
        "ketamine hydrochloride",
        "0.800",
        "64.00",
    )
    heavy = clinic.infuse(pharmacist, participant, "V4", 21, weight="150.0")
    assert heavy.status_code == 201, heavy.json()
    assert heavy.json()["dose_mg"] == "100.00"
    assert InfusionSession.objects.get(visit__appointment__event_code="V4").dose_mg == Decimal("100.00")


def test_a_pharmacist_sees_a_placebo_dose_of_zero(clinic, coordinator_client):
    participant = clinic.in_arm("PT")
    pharmacist = client_for(clinic.user("pharmacist"))
    _attended(clinic, coordinator_client, participant)
    response = clinic.infuse(pharmacist, participant, "V2", 7, weight="80.0")
    assert response.status_code == 201, response.json()
    assert (response.json()["drug"], response.json()["mg_per_kg"], response.json()["dose_mg"]) == (
        "sodium chloride 0.9%",
        "0.000",
        "0.00",
    )


@pytest.mark.parametrize("arm", ["KT", "PT"])
def test_a_coordinator_sees_neither_the_dose_nor_the_drug(clinic, coordinator_client, arm):
    participant = clinic.in_arm(arm)
    appointment = _attended(clinic, coordinator_client, participant)
    recorded = clinic.infuse(coordinator_client, participant, "V2", 7, weight="80.0")
    assert recorded.status_code == 201, recorded.json()
    read = coordinator_client.get(f"/api/appointments/{appointment.pk}/infusion/")
    for response in (recorded, read):
        body = response.json()
        assert (body["drug"], body["mg_per_kg"], body["dose_mg"]) == ("study drug", None, None)
        assert body["weight_kg"] == "80.0"
        assert not _drug_leaks(body), body
    # The dose is still computed and stored for those who may see it.
    assert InfusionSession.objects.get(visit__appointment=appointment).dose_mg == (
        Decimal("64.00") if arm == "KT" else Decimal("0.00")
    )


@pytest.mark.parametrize("arm", ["KT", "PT"])
def test_someone_blinded_to_the_drug_may_not_enter_the_dose_given(clinic, coordinator_client, arm):
    # Whether a dose deviation followed would tell them the drug: the same refusal for either arm.
    participant = clinic.in_arm(arm)
    _attended(clinic, coordinator_client, participant)
    before = row_counts()
    error = refused(clinic.infuse(coordinator_client, participant, "V2", 7, dose_mg_given="0.00"), 403)
    assert error["message"] == "only those who may see the study drug enter the dose given"
    assert row_counts() == before


# --- bad input and preconditions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight": "0"}, "weight_kg"),
        ({"weight": "400.0"}, "weight_kg"),
        ({"minutes": -10}, "stopped_at"),
        ({"minutes": 0}, "stopped_at"),
        ({"vitals": vitals(systolic=80, diastolic=90)}, "vitals.1.systolic"),
        ({"vitals": []}, "vitals"),
        ({"volume_ml": "0"}, "volume_ml"),
    ],
    ids=[
        "weight-0",
        "weight-400",
        "stops-before-start",
        "stops-at-start",
        "systolic-below-diastolic",
        "no-vitals",
        "no-volume",
    ],
)
def test_impossible_infusion_data_is_refused_and_nothing_is_written(clinic, coordinator_client, changes, field):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant)
    before = row_counts()
    refused(clinic.infuse(coordinator_client, participant, "V2", 7, **changes), 400, field=field)
    assert row_counts() == before


def test_an_infusion_starting_on_another_day_than_the_visit_is_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant)
    before = row_counts()
    refused(clinic.infuse(coordinator_client, participant, "V2", 8), 400, field="started_at")
    assert row_counts() == before


def test_breath_alcohol_above_zero_stops_the_infusion(clinic, coordinator_client):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant)
    before = row_counts()
    response = clinic.infuse(coordinator_client, participant, "V2", 7, breath_alcohol="0.02")
    refused(response, 409, code="breath_alcohol")
    assert row_counts() == before


def test_an_infusion_needs_an_attended_visit(clinic, coordinator_client):
    participant = clinic.randomised()
    before = row_counts()
    refused(clinic.infuse(coordinator_client, participant, "V2", 7), 409, code="no_visit")
    assert row_counts() == before


def test_an_infusion_too_soon_after_the_previous_is_refused(clinic, coordinator_client):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant, "V2", 7)
    assert clinic.infuse(coordinator_client, participant, "V2", 7).status_code == 201
    _attended(clinic, coordinator_client, participant, "V4", 10)
    before = row_counts()
    refused(clinic.infuse(coordinator_client, participant, "V4", 10), 409, code="too_soon")
    assert row_counts() == before


def test_a_clinician_may_override_the_interval_with_a_reason_which_records_a_deviation(clinic, coordinator_client):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant, "V2", 7)
    assert clinic.infuse(coordinator_client, participant, "V2", 7).status_code == 201
    v4 = _attended(clinic, coordinator_client, participant, "V4", 10)
    reason = "participant leaving the country; PI agreed"
    response = clinic.infuse(coordinator_client, participant, "V4", 10, interval_override_reason=reason)
    assert response.status_code == 201, response.json()
    [interval] = Deviation.objects.filter(appointment=v4, kind=DeviationKind.INTERVAL)
    assert "3 days" in interval.description
    assert reason in interval.description
    assert interval.occurred_on == clinic.day(participant, 10)
    assert InfusionSession.objects.get(visit__appointment=v4).interval_override_reason == reason


# --- vitals and the safety thresholds ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "flagged"),
    [
        ({"systolic": 181}, True),
        ({"diastolic": 111}, True),
        ({"heart_rate": 131}, True),
        ({"spo2": 89}, True),
        ({"systolic": 180, "diastolic": 110, "heart_rate": 130, "spo2": 90}, False),
    ],
)
def test_vitals_past_a_safety_threshold_flag_the_infusion(clinic, coordinator_client, reading, flagged):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant)
    response = clinic.infuse(coordinator_client, participant, "V2", 7, vitals=vitals(**reading))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert bool(body["safety_flags"]) is flagged
    assert body["adverse_event_prompt"] is flagged
    if flagged:
        assert len(body["safety_flags"]) == 1
        assert "during (minute 15)" in body["safety_flags"][0]


def test_a_flagged_infusion_prompts_an_adverse_event_until_one_is_linked(clinic, coordinator_client):
    participant = clinic.randomised()
    appointment = _attended(clinic, coordinator_client, participant)
    clinic.infuse(coordinator_client, participant, "V2", 7, vitals=vitals(systolic=195))
    url = f"/api/appointments/{appointment.pk}/infusion/"
    assert coordinator_client.get(url).json()["adverse_event_prompt"] is True
    # An adverse event of the participant not linked to the infusion does not answer the prompt.
    ae = {
        "term": "Hypertension",
        "onset_date": str(clinic.day(participant, 7)),
        "grade": 2,
        "drug_causality": "possibly",
        "therapy_causality": "not_related",
        "expected": True,
    }
    ae_url = f"/api/participants/{participant.study_id}/adverse-events/"
    assert coordinator_client.post(ae_url, ae, format="json").status_code == 201
    assert coordinator_client.get(url).json()["adverse_event_prompt"] is True
    linked = coordinator_client.post(ae_url, {**ae, "infusion_appointment": appointment.pk}, format="json")
    assert linked.status_code == 201, linked.json()
    assert linked.json()["infusion_event"] == "V2"
    assert coordinator_client.get(url).json()["adverse_event_prompt"] is False
    assert coordinator_client.get(url).json()["safety_flags"]


# --- deviations an infusion records ------------------------------------------------------------------


@pytest.mark.parametrize(("minutes", "deviation"), [(36, False), (44, False), (35, True), (50, True)])
def test_an_infusion_outside_the_duration_tolerance_records_a_deviation(clinic, coordinator_client, minutes, deviation):
    participant = clinic.randomised()
    appointment = _attended(clinic, coordinator_client, participant)
    assert clinic.infuse(coordinator_client, participant, "V2", 7, minutes=minutes).status_code == 201
    kinds = list(Deviation.objects.filter(appointment=appointment).values_list("kind", flat=True))
    assert kinds == ([DeviationKind.DURATION] if deviation else [])


def test_a_dose_given_that_differs_from_the_computed_one_records_a_deviation(clinic, coordinator_client):
    participant = clinic.in_arm("KT")
    pharmacist = client_for(clinic.user("pharmacist"))
    appointment = _attended(clinic, coordinator_client, participant)
    response = clinic.infuse(pharmacist, participant, "V2", 7, weight="80.0", dose_mg_given="70.00")
    assert response.status_code == 201, response.json()
    [deviation] = Deviation.objects.filter(appointment=appointment)
    assert deviation.kind == DeviationKind.DOSE
    assert not _drug_leaks(client_for(clinic.coordinator).get("/api/deviations/").json())


def test_another_sites_infusion_is_not_found(clinic, coordinator_client):
    participant = clinic.randomised(site="exeter")
    appointment = _attended(clinic, coordinator_client, participant)
    assert clinic.infuse(coordinator_client, participant, "V2", 7).status_code == 201
    london = client_for(clinic.user("pharmacist", sites=["london"]))
    refused(london.get(f"/api/appointments/{appointment.pk}/infusion/"), 404)
    before = row_counts()
    refused(clinic.infuse(london, participant, "V2", 7), 404)
    assert row_counts() == before


def test_the_infusion_length_is_reported_in_minutes(clinic, coordinator_client):
    participant = clinic.randomised()
    _attended(clinic, coordinator_client, participant)
    response = clinic.infuse(coordinator_client, participant, "V2", 7, minutes=42)
    assert response.json()["minutes"] == 42.0
    started = dt.datetime.fromisoformat(response.json()["started_at"])
    assert started.utcoffset() is not None
