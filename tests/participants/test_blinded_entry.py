"""Separation of duties in data entry: whoever may see the allocation at a participant's site does
not enter or change their drinking days, biomarkers, questionnaires or adverse events, even holding
a data-entry role there too; who that is comes from the protocol (the roles in the ``visible_to``
of every factor it assesses blind), not from a list in the code.

Found against the running system: the pharmacist, unblinded to the drug, was among the roles that
enter data, so the primary outcome accepted their edits. The pharmacist still records visits,
infusions and the dose given.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from core.services import membership_grant
from outcomes.models import BiomarkerSample, DrinkingRecord, QuestionnaireResponse
from participants.models import AdverseEvent
from tests.participants.visits_fixtures import Clinic, client_for, refused
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db

KARE_FILE = Path(__file__).resolve().parents[2] / "protocols" / "kare.yaml"
# What each kind of entry writes.
MODELS = {
    "drinking_days": DrinkingRecord,
    "biomarker": BiomarkerSample,
    "questionnaire": QuestionnaireResponse,
    "adverse_event": AdverseEvent,
}
KINDS = list(MODELS)


def _day(participant, n: int = 10) -> str:
    return str(participant.allocation.allocated_on + dt.timedelta(days=n))


def enter(client, participant, kind: str):
    """Enter one record of ``kind`` for ``participant`` through the API, as site staff would."""
    base = f"/api/participants/{participant.study_id}"
    if kind == "drinking_days":
        days = [{"date": _day(participant), "amount": "2", "unit": "uk_unit"}]
        return client.put(f"{base}/drinking-days/", {"source": "tlfb", "days": days}, format="json")
    if kind == "biomarker":
        return client.post(f"{base}/biomarkers/", {"kind": "etg", "taken_on": _day(participant), "value": "120"})
    if kind == "questionnaire":
        items = {str(n): 1 for n in range(1, 6)}
        body = {"instrument": "pacs", "administered_on": _day(participant), "items": items}
        return client.post(f"{base}/questionnaires/", body, format="json")
    body = {
        "term": "Headache",
        "onset_date": _day(participant),
        "grade": 1,
        "drug_causality": "unlikely",
        "therapy_causality": "not_related",
        "expected": True,
    }
    return client.post(f"{base}/adverse-events/", body, format="json")


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def at_exeter(clinic):
    return clinic.randomised(site="exeter")


@pytest.fixture
def at_london(clinic):
    return clinic.randomised(site="london")


@pytest.fixture
def covering(clinic):
    """A coordinator at both sites who is also the pharmacist at exeter."""
    person = clinic.user("coordinator")
    membership_grant(user=person, role="pharmacist", sites=[clinic.trial.sites.get(code="exeter")], reason="covers")
    return client_for(person)


@pytest.mark.parametrize("role", ["pharmacist", "unblinded_statistician"])
@pytest.mark.parametrize("kind", KINDS)
def test_a_role_that_sees_the_drug_may_not_enter_outcome_safety_or_questionnaire_data(clinic, at_exeter, role, kind):
    before = MODELS[kind].objects.count()

    refused(enter(client_for(clinic.user(role)), at_exeter, kind), 403)

    assert MODELS[kind].objects.count() == before


def test_a_pharmacist_may_not_change_an_adverse_event(clinic, at_exeter):
    recorded = enter(client_for(clinic.coordinator), at_exeter, "adverse_event").json()
    pharmacist = client_for(clinic.user("pharmacist"))

    response = pharmacist.patch(
        f"/api/adverse-events/{recorded['id']}/", {"grade": 3, "reason": "worse"}, format="json"
    )

    refused(response, 403)
    assert AdverseEvent.objects.get(pk=recorded["id"]).grade == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_coordinator_who_is_the_pharmacist_at_the_site_too_may_not_enter_there(covering, at_exeter, kind):
    before = MODELS[kind].objects.count()

    refused(enter(covering, at_exeter, kind), 403)

    assert MODELS[kind].objects.count() == before


@pytest.mark.parametrize("kind", KINDS)
def test_the_same_person_only_coordinator_at_the_other_site_enters_there(covering, at_london, kind):
    response = enter(covering, at_london, kind)

    assert response.status_code in (200, 201), response.json()
    assert MODELS[kind].objects.filter(participant=at_london).exists()


def test_a_factor_the_protocol_assesses_blind_keeps_its_roles_out(clinic, at_exeter):
    """KARE's coordinators see the therapy, which its outcomes are not assessed blind to; an
    amendment that assesses them blind to it too leaves the coordinators out."""
    assert enter(client_for(clinic.coordinator), at_exeter, "drinking_days").status_code == 200
    doc = copy.deepcopy(yaml.safe_load(KARE_FILE.read_text(encoding="utf-8")))
    doc["version"] = {"label": "1.1", "effective_date": dt.date(2017, 1, 1)}
    next(f for f in doc["factors"] if f["code"] == "therapy")["assessed_blind"] = True
    protocol_load(protocol=validate(doc), amend=True, reason="outcome assessors blinded to the therapy too")

    refused(enter(client_for(clinic.coordinator), at_exeter, "questionnaire"), 403)
