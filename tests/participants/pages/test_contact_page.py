"""Contact details: viewed and changed with a reason on their page, by the roles that may read them,
through ``identity_update`` (the first write of an identity after enrolment)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q

from core import history
from core.errors import Forbidden, Invalid
from participants.enrolment.services import identity_update
from participants.models import Identity
from tests.conftest import force_login_verified
from tests.participants.conftest import EMAIL, FIRST_NAME, LAST_NAME, PHONE
from tests.participants.pages.test_enrolment_pages import error_at

pytestmark = pytest.mark.django_db


def contact_post(**overrides) -> dict:
    data = {
        "first_name": FIRST_NAME,
        "last_name": LAST_NAME,
        "date_of_birth": "",
        "email": EMAIL,
        "phone": PHONE,
        "address": "",
        "reason": "gave a new mobile number",
    }
    data.update(overrides)
    return data


def test_the_contact_page_shows_the_details_to_the_coordinator(client, people, coordinator):
    participant = people.enrol(phone="")
    force_login_verified(client, coordinator)
    html = client.get(f"/participants/{participant.study_id}/contact/").content.decode()
    assert f'value="{EMAIL}"' in html
    assert "Reason for the change" in html


def test_a_role_that_may_not_read_identities_is_refused(client, people, kare, make_user):
    participant = people.enrol()
    force_login_verified(client, make_user("outcome_assessor", kare))
    response = client.get(f"/participants/{participant.study_id}/contact/")
    assert response.status_code == 403
    assert EMAIL not in response.content.decode()
    assert client.post(f"/participants/{participant.study_id}/contact/", contact_post()).status_code == 403


def test_a_change_without_a_reason_is_refused_at_the_reason(client, people, coordinator):
    participant = people.enrol(phone="")
    force_login_verified(client, coordinator)
    response = client.post(f"/participants/{participant.study_id}/contact/", contact_post(reason=""))
    assert response.status_code == 400
    assert error_at(response, "reason") == "This field is required."
    assert Identity.objects.get().phone is None


def test_a_phone_added_later_is_saved_with_its_reason(client, people, coordinator):
    participant = people.enrol(phone="")
    force_login_verified(client, coordinator)
    response = client.post(f"/participants/{participant.study_id}/contact/", contact_post())
    assert response["Location"] == f"/participants/{participant.study_id}/"
    assert Identity.objects.get().phone == PHONE
    if connection.vendor == "postgresql":
        events = history.events_for([(Identity, Q(participant_id=participant.pk))])
        assert events[-1]["reason"] == "gave a new mobile number"
        assert events[-1]["changes"]["phone"] == [None, PHONE]


def test_identity_update_refuses_what_is_not_valid(people, coordinator):
    participant = people.enrol(age_at_consent=40)
    with pytest.raises(Invalid) as refused:
        identity_update(
            actor=coordinator,
            participant=participant,
            reason="typo",
            first_name=" ",
            email="not-an-email",
            phone="07700900123",
            date_of_birth=participant.enrolled_on - dt.timedelta(days=365 * 20),
            colour="blue",
        )
    assert set(refused.value.fields) == {"first_name", "email", "phone", "date_of_birth", "colour"}
    with pytest.raises(Invalid) as refused:
        identity_update(actor=coordinator, participant=participant, reason="", last_name="Smith")
    assert set(refused.value.fields) == {"reason"}
    assert Identity.objects.get().last_name == LAST_NAME


def test_identity_update_clears_an_optional_detail_and_refuses_other_roles(people, kare, make_user, coordinator):
    participant = people.enrol()
    identity = identity_update(actor=coordinator, participant=participant, reason="asked to", email="")
    assert identity.email is None
    with pytest.raises(Forbidden):
        identity_update(actor=make_user("monitor", kare), participant=participant, reason="x", last_name="Smith")


def test_the_api_changes_the_contact_details_as_the_page_does(as_user, people, kare, make_user, coordinator):
    participant = people.enrol(phone="")
    url = f"/api/participants/{participant.study_id}/identity/"
    answer = as_user(coordinator).patch(url, {"phone": PHONE, "reason": "gave a mobile number"}, format="json")
    assert answer.status_code == 200
    assert answer.json()["phone"] == PHONE
    refused = as_user(coordinator).patch(url, {"phone": "07700"}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["error"]["fields"]) == {"phone", "reason"}
    assert as_user(make_user("monitor", kare)).patch(url, {"reason": "x"}, format="json").status_code == 403
