"""A deviation's description, on the casebook and through the API, as each person may read it: staff's
own words that name the drug are withheld from those blind to it, neutral words are not, and the
tracker's own duration text (which quotes the infusion length of the participant's drug level) is
shown only to those who may see the dose."""

from __future__ import annotations

import pytest

from participants.blinding.presenter import WITHHELD
from participants.models import Deviation, DeviationKind
from participants.safety.services import deviation_record
from tests.conftest import force_login_verified
from tests.participants.conftest import days_ago

pytestmark = pytest.mark.django_db

NAMING = "The Ketamine kit reached the Exeter pharmacy late"
NEUTRAL = "The participant arrived two hours late"


@pytest.fixture
def deviations(people, lists, coordinator):
    participant = people.randomised()
    for text in (NAMING, NEUTRAL):
        deviation_record(
            actor=coordinator,
            participant=participant,
            kind=DeviationKind.OTHER,
            description=text,
            occurred_on=days_ago(1),
        )
    Deviation.objects.create(
        participant=participant,
        kind=DeviationKind.DURATION,
        description="the infusion lasted 55 min; the protocol's is 40 min",
        automatic=True,
        occurred_on=days_ago(1),
    )
    return participant


def _api_descriptions(as_user, user, participant) -> list[str]:
    answer = as_user(user).get(f"/api/participants/{participant.study_id}/deviations/")
    assert answer.status_code == 200
    return sorted(d["description"] for d in answer.json()["results"])


def test_a_blinded_coordinator_reads_neutral_words_and_not_those_naming_the_drug(
    deviations, coordinator, client, as_user
):
    force_login_verified(client, coordinator)
    page = client.get(f"/participants/{deviations.study_id}/").content.decode()
    assert NEUTRAL in page
    assert "Ketamine kit" not in page
    assert "55 min" not in page
    assert page.count(WITHHELD) == 2
    assert _api_descriptions(as_user, coordinator, deviations) == sorted([NEUTRAL, WITHHELD, WITHHELD])


def test_the_pharmacist_reads_every_description(deviations, kare, make_user, as_user):
    pharmacist = make_user("pharmacist", kare)
    # the pharmacist sees the drug but not the therapy: staff words naming no therapy level are whole
    assert NAMING in _api_descriptions(as_user, pharmacist, deviations)
    assert "the infusion lasted 55 min; the protocol's is 40 min" in _api_descriptions(as_user, pharmacist, deviations)


def test_the_deviation_list_withholds_alike(deviations, coordinator, as_user):
    answer = as_user(coordinator).get("/api/deviations/?trial=KARE")
    assert sorted(d["description"] for d in answer.json()["results"]) == sorted([NEUTRAL, WITHHELD, WITHHELD])
