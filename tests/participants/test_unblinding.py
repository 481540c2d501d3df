"""Emergency unblinding: one participant, one authorised person, a reason, the password again."""

from __future__ import annotations

import pytest

from participants import blinding
from participants.models import EmergencyUnblinding, StaffNotification
from tests.participants.conftest import PASSWORD, mentions

pytestmark = pytest.mark.django_db

REASON = "suspected serious adverse reaction; treating clinician needs the drug"


@pytest.fixture
def pair(people, lists):
    """Two randomised participants at exeter."""
    return people.randomised(sex="M"), people.randomised(sex="M")


@pytest.fixture
def investigator(kare, make_user):
    return make_user("investigator", kare, sites=["exeter"])


def _unblind(client, participant, **body):
    return client.post(f"/api/participants/{participant.study_id}/unblind/", body)


def _nothing_written():
    return not EmergencyUnblinding.objects.exists() and not StaffNotification.objects.exists()


def test_an_investigator_with_reason_and_password_sees_the_drug(pair, investigator, as_user):
    participant = pair[0]
    drug = blinding.arm_levels(participant.allocation)["drug"]
    client = as_user(investigator)
    assert client.get(f"/api/participants/{participant.study_id}/allocation/").json()["levels"]["drug"] == "blinded"
    response = _unblind(client, participant, reason=REASON, password=PASSWORD)
    assert response.status_code == 200, response.json()
    assert response.json()["levels"]["drug"] == drug
    assert client.get(f"/api/participants/{participant.study_id}/allocation/").json()["levels"]["drug"] == drug


def test_unblinding_one_participant_leaves_the_others_blinded(pair, investigator, as_user):
    unblinded, other = pair
    client = as_user(investigator)
    assert _unblind(client, unblinded, reason=REASON, password=PASSWORD).status_code == 200
    assert client.get(f"/api/participants/{other.study_id}/allocation/").json()["levels"] == {
        "drug": "blinded",
        "therapy": "blinded",
    }
    listed = {row["study_id"]: row["allocation"] for row in client.get("/api/participants/").json()["results"]}
    assert listed[other.study_id]["arm"] == "blinded"
    assert listed[unblinded.study_id]["arm"] == unblinded.allocation.arm.code


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"password": PASSWORD}, id="no-reason"),
        pytest.param({"reason": "   ", "password": PASSWORD}, id="blank-reason"),
        pytest.param({"reason": REASON, "password": "not-my-password"}, id="wrong-password"),
        pytest.param({"reason": REASON}, id="no-password"),
    ],
)
def test_unblinding_without_reason_or_right_password_is_refused(pair, investigator, as_user, body):
    response = _unblind(as_user(investigator), pair[0], **body)
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) & {"reason", "password"}
    assert _nothing_written()


def test_a_role_the_protocol_does_not_allow_cannot_unblind(kare, pair, make_user, as_user):
    coordinator = make_user("coordinator", kare, sites=["exeter"])
    response = _unblind(as_user(coordinator), pair[0], reason=REASON, password=PASSWORD)
    assert response.status_code == 403
    assert _nothing_written()


def test_a_participant_not_randomised_cannot_be_unblinded(people, lists, investigator, as_user):
    response = _unblind(as_user(investigator), people.ready(), reason=REASON, password=PASSWORD)
    assert response.status_code == 409
    assert _nothing_written()


def test_every_unblinded_statistician_of_the_trial_is_notified(kare, more_kare, pair, investigator, make_user, as_user):
    team = {make_user("unblinded_statistician", kare, sites=[site]) for site in ("exeter", "london")}
    make_user("unblinded_statistician", more_kare)  # another trial's team is not told
    make_user("pharmacist", kare)  # nor is anyone else who happens to see the drug
    assert _unblind(as_user(investigator), pair[0], reason=REASON, password=PASSWORD).status_code == 200
    notes = list(StaffNotification.objects.all())
    # ``pair`` came with the lists' own statistician, who is on the team as well.
    assert {n.recipient for n in notes} == team | {pair[0].allocation.slot.list.created_by}
    assert len(notes) == len(team) + 1
    assert {n.kind for n in notes} == {"emergency_unblinding"}
    protocol = kare.version_on().protocol
    secrets = {lv.code for f in protocol.factors for lv in f.levels} | {a.code for a in protocol.arms}
    for note in notes:
        assert pair[0].study_id in note.subject
        assert not any(mentions(note.subject + note.body, code) for code in secrets), note.body


def test_an_unblinded_participant_is_flagged(pair, investigator, as_user):
    client = as_user(investigator)
    url = f"/api/participants/{pair[0].study_id}/"
    assert client.get(url).json()["emergency_unblinded"] is False
    assert _unblind(client, pair[0], reason=REASON, password=PASSWORD).status_code == 200
    assert client.get(url).json()["emergency_unblinded"] is True
    assert client.get(f"/api/participants/{pair[1].study_id}/").json()["emergency_unblinded"] is False


@pytest.mark.postgres
def test_the_audit_trail_records_the_unblinding_with_its_reason(pair, investigator, as_user):
    client = as_user(investigator)
    assert _unblind(client, pair[0], reason=REASON, password=PASSWORD).status_code == 200
    events = client.get(f"/api/participants/{pair[0].study_id}/history/").json()["results"]
    [event] = [e for e in events if e["model"] == "participants.emergencyunblinding"]
    assert event["label"] == "insert"
    assert event["reason"] == REASON
    assert event["actor"] == investigator.username
    assert event["values"]["reason"] == REASON


# --- the password asked again has the sign-in's limit ----------------------------------------------


def test_after_too_many_wrong_passwords_even_the_right_one_is_refused(pair, investigator, as_user):
    client = as_user(investigator)
    for _ in range(5):
        _unblind(client, pair[0], reason=REASON, password="not-my-password")

    response = _unblind(client, pair[0], reason=REASON, password=PASSWORD)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "locked"
    assert _nothing_written()


def test_wrong_unblinding_passwords_lock_the_sign_in_too(pair, investigator, as_user, api):
    client = as_user(investigator)
    for _ in range(5):
        _unblind(client, pair[0], reason=REASON, password="not-my-password")
    api.force_authenticate(None)

    response = api.post("/api/auth/token/", {"username": investigator.username, "password": PASSWORD})

    assert response.json()["error"]["code"] == "locked"
