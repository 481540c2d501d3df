"""The screening, enrolment, consent, baseline, randomisation, withdrawal and contact pages through
the test client: each writes through its service, and each refusal comes back at its field."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import Allocation, Participant, Screening, Withdrawal
from tests.conftest import force_login_verified
from tests.participants.conftest import PHONE, days_ago, eligible_answers
from tests.participants.pages.test_casebook_pages import hidden_in
from tests.participants.test_screening_enrolment import _amend_with_consent_form_2

pytestmark = pytest.mark.django_db


def error_at(response, field: str) -> str:
    """The message shown next to ``field`` (and checked to be in the summary at the top), on a 400."""
    html = response.content.decode()
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', html, flags=re.S)
    assert found, f"no error at {field}"
    message = re.sub(r"<[^>]+>|Error: ", "", found.group(1)).strip()
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert message in summary
    return message


@pytest.fixture
def staff(client, coordinator):
    force_login_verified(client, coordinator)
    return client


def screening_post(kare, **overrides) -> dict:
    data = {"site": "exeter", "screened_on": days_ago(1).isoformat()}
    data.update({f"answer_{code}": "yes" if ok else "no" for code, ok in eligible_answers(kare).items()})
    data.update(overrides)
    return data


def test_the_screening_form_shows_every_criterion_of_the_protocol(staff, kare):
    html = staff.get("/screenings/new/").content.decode()
    for criterion in kare.version_on().protocol.eligibility.criteria:
        assert criterion.text in html
    assert "checked" not in html  # nothing answered in advance


def test_an_unanswered_criterion_is_an_error_at_its_question(staff, kare):
    data = screening_post(kare)
    del data["answer_EX_SEIZURE"]
    response = staff.post("/screenings/new/", data)
    assert response.status_code == 400
    assert error_at(response, "answer_EX_SEIZURE") == "This field is required."
    assert Screening.objects.count() == 0


def test_a_screening_in_the_future_is_refused_at_its_date(staff, kare):
    response = staff.post("/screenings/new/", screening_post(kare, screened_on=days_ago(-400).isoformat()))
    assert response.status_code == 400
    assert "future" in error_at(response, "screened_on")


def test_an_eligible_screening_leads_to_enrolment(staff, kare):
    response = staff.post("/screenings/new/", screening_post(kare))
    screening = Screening.objects.get()
    assert response["Location"] == f"/screenings/{screening.pk}/"
    html = staff.get(response["Location"]).content.decode()
    assert "Eligible" in html
    assert f'href="/screenings/{screening.pk}/enrol/"' in html


def test_a_person_not_eligible_is_not_offered_enrolment(staff, kare):
    staff.post("/screenings/new/", screening_post(kare, answer_EX_SEIZURE="yes"))
    screening = Screening.objects.get()
    assert screening.outcome == "not_eligible"
    html = staff.get(f"/screenings/{screening.pk}/").content.decode()
    assert "/enrol/" not in html
    assert "Fails" in html


def enrol_post(**overrides) -> dict:
    data = {
        "sex": "F",
        "consent_form_version": "1.0",
        "consented_on": days_ago(1).isoformat(),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "age_at_consent": "36",
        "email": "",
        "phone": "",
        "address": "",
    }
    data.update(overrides)
    return data


def test_enrolment_refuses_an_age_outside_the_protocol_at_its_field(staff, people):
    screening = people.screen(on=days_ago(2))
    response = staff.post(f"/screenings/{screening.pk}/enrol/", enrol_post(age_at_consent="70"))
    assert response.status_code == 400
    assert error_at(response, "age_at_consent") == "The protocol enrols ages 18 to 60."
    assert not Participant.objects.exists()


def test_enrolment_refuses_a_phone_that_cannot_take_sms(staff, people):
    screening = people.screen(on=days_ago(2))
    response = staff.post(f"/screenings/{screening.pk}/enrol/", enrol_post(phone="07700 900123", first_name=""))
    assert response.status_code == 400
    assert "international format" in error_at(response, "phone")
    assert error_at(response, "first_name") == "This field is required."


def test_enrolment_goes_to_the_casebook(staff, people):
    screening = people.screen(on=days_ago(2))
    response = staff.post(f"/screenings/{screening.pk}/enrol/", enrol_post(phone=PHONE))
    participant = Participant.objects.get(screening=screening)
    assert response["Location"] == f"/participants/{participant.study_id}/"
    assert participant.identity.phone == PHONE
    assert [str(m) for m in get_messages(response.wsgi_request)] == [f"{participant.study_id} enrolled."]


def test_another_sites_screening_is_not_found(client, people, kare, make_user):
    screening = people.screen(site="london")
    force_login_verified(client, make_user("coordinator", kare, sites=["exeter"]))
    assert client.get(f"/screenings/{screening.pk}/").status_code == 404
    assert client.post(f"/screenings/{screening.pk}/enrol/", enrol_post()).status_code == 404


@pytest.mark.parametrize("form", ["consent", "baseline", "withdraw", "contact", "randomise"])
def test_another_sites_participant_is_not_found(client, people, kare, make_user, form):
    there = people.enrol(site="london")
    force_login_verified(client, make_user("coordinator", kare, sites=["exeter"]))
    assert client.get(f"/participants/{there.study_id}/{form}/").status_code == 404
    assert client.post(f"/participants/{there.study_id}/{form}/", {}).status_code == 404


def test_the_baseline_refuses_an_implausible_weight_at_its_field(staff, people):
    participant = people.enrol()
    response = staff.post(
        f"/participants/{participant.study_id}/baseline/", {"completed_on": days_ago(1).isoformat(), "weight_kg": "400"}
    )
    assert response.status_code == 400
    assert error_at(response, "weight_kg") == "The protocol accepts 30 to 250 kg."


def test_the_baseline_is_saved_through_the_service(staff, people):
    participant = people.enrol()
    response = staff.post(
        f"/participants/{participant.study_id}/baseline/",
        {"completed_on": days_ago(1).isoformat(), "weight_kg": "71.5"},
    )
    assert response["Location"] == f"/participants/{participant.study_id}/"
    participant.refresh_from_db()
    assert str(participant.baseline_weight_kg) == "71.5"


def test_a_second_consent_to_the_same_form_is_a_conflict_at_the_top(staff, people):
    participant = people.enrol()
    response = staff.post(
        f"/participants/{participant.study_id}/consent/",
        {"form_version": "1.0", "consented_on": days_ago(1).isoformat()},
    )
    assert response.status_code == 409
    assert "already recorded" in response.content.decode().split('class="error-summary"', 1)[1]


def test_the_randomise_page_asks_to_confirm_and_randomises_nothing(staff, people, lists):
    participant = people.ready()
    html = staff.get(f"/participants/{participant.study_id}/randomise/").content.decode()
    assert "cannot be undone" in html
    assert f"Confirm: randomise {participant.study_id}" in html
    assert not Allocation.objects.exists()


def test_randomising_someone_not_ready_says_why(staff, people, lists):
    participant = people.enrol()
    response = staff.post(f"/participants/{participant.study_id}/randomise/")
    assert response.status_code == 409
    assert "the baseline assessment is not complete" in response.content.decode()
    assert not Allocation.objects.exists()


def test_randomising_once_shows_the_allocation_as_the_coordinator_may_see_it(staff, people, lists):
    participant = people.ready()
    response = staff.post(f"/participants/{participant.study_id}/randomise/")
    assert response["Location"] == f"/participants/{participant.study_id}/"
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    therapy = {"T": "Mindfulness-based relapse-prevention therapy", "E": "Alcohol education"}
    assert therapy[Allocation.objects.get().arm.code[1]] in message
    assert hidden_in(message) == []
    staff.post(f"/participants/{participant.study_id}/randomise/")
    assert Allocation.objects.count() == 1


def test_a_withdrawal_needs_its_reason(staff, people):
    participant = people.enrol()
    data = {"scope": "follow_up", "withdrawn_on": days_ago(1).isoformat(), "reason": ""}
    response = staff.post(f"/participants/{participant.study_id}/withdraw/", data)
    assert response.status_code == 400
    assert error_at(response, "reason") == "This field is required."
    response = staff.post(f"/participants/{participant.study_id}/withdraw/", {**data, "reason": "moved abroad"})
    assert response.status_code == 302
    assert Withdrawal.objects.get().reason == "moved abroad"


def test_a_new_consent_form_shows_re_consent_due_until_it_is_recorded(staff, people):
    participant = people.enrol()
    _amend_with_consent_form_2(people.trial)
    casebook = f"/participants/{participant.study_id}/"
    assert "Re-consent due" in staff.get(casebook).content.decode()
    form = staff.get(f"{casebook}consent/").content.decode()
    assert "Re-consent due" in form
    assert '<option value="2.0" selected>' in form
    response = staff.post(f"{casebook}consent/", {"form_version": "2.0", "consented_on": days_ago(1).isoformat()})
    assert response["Location"] == casebook
    html = staff.get(casebook).content.decode()
    assert "Re-consent due" not in html
    assert "Consent to form 2.0 recorded." in html


def test_each_form_costs_the_same_queries_however_large_the_trial(staff, people, lists):
    ready = people.ready()
    screening = people.screen()
    paths = [
        "/screenings/new/",
        f"/screenings/{screening.pk}/",
        f"/screenings/{screening.pk}/enrol/",
        *(
            f"/participants/{ready.study_id}/{form}/"
            for form in ("consent", "baseline", "randomise", "withdraw", "contact")
        ),
    ]

    def counts() -> list[int]:
        found = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(path).status_code == 200, path
            found.append(len(queries))
        return found

    small = counts()
    for _ in range(5):
        people.randomised()
        people.screen()
    assert counts() == small


def test_a_role_that_may_not_randomise_is_refused_even_when_the_participant_is_randomised(
    client, people, lists, kare, make_user
):
    from participants.models import Allocation
    from tests.conftest import force_login_verified

    participant = people.randomised()
    monitor = make_user("monitor", kare)
    force_login_verified(client, monitor)
    assert client.post(f"/participants/{participant.study_id}/randomise/").status_code == 403
    assert Allocation.objects.filter(participant=participant).count() == 1
