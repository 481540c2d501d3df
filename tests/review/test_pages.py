"""The review's pages, through Django's test client: the monitor's pages (a Verify button per form
and per item, htmx answering the row, another site's participant a 404, no dose for the blinded),
the signing page (only the investigator, a wrong password at the field and nothing written), the
signature shown on the casebook and the visit, valid and then invalid, and the dashboard's panels."""

from __future__ import annotations

import datetime as dt

import pytest

from participants.models import InfusionSession, Visit
from participants.schedule.services import visits as schedule
from review.models import Signature, VerificationMark
from tests.conftest import PASSWORD, force_login_verified
from tests.core.conftest import code_for

pytestmark = pytest.mark.django_db


def _as(client, user):
    force_login_verified(client, user)
    return client


def test_the_monitor_verifies_an_infusion_from_the_participants_page_with_htmx(client, reviewed):
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    participant = infusion.visit.appointment.participant
    page = _as(client, reviewed.monitor).get(f"/participants/{participant.study_id}/monitoring/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f'id="verify-infusion-{infusion.pk}"' in body
    assert "Dose per kg" not in body
    assert "mg_per_kg" not in body
    answer = client.post(
        f"/participants/{participant.study_id}/monitoring/",
        {"kind": "infusion", "record_id": infusion.pk},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    row = answer.content.decode()
    assert row.startswith(f'<tr id="record-infusion-{infusion.pk}"')
    assert ">Verified<" in row
    assert VerificationMark.objects.filter(kind="infusion", record_id=infusion.pk).count() == 1


def test_a_monitor_verifies_an_item_without_script_and_comes_back_to_the_record(client, reviewed):
    visit = Visit.objects.filter(appointment__participant__in=reviewed.at_exeter, attended=True).first()
    study_id = visit.appointment.participant.study_id
    answer = _as(client, reviewed.monitor).post(
        f"/participants/{study_id}/monitoring/", {"kind": "visit", "record_id": visit.pk, "item": "actual_date"}
    )
    assert answer.status_code == 302
    assert answer["Location"].endswith(f"#record-visit-{visit.pk}")
    assert VerificationMark.objects.get().item == "actual_date"


def test_a_coordinator_sees_the_states_but_no_verify_button_and_may_not_verify(client, reviewed):
    visit = Visit.objects.filter(appointment__participant__in=reviewed.at_exeter, attended=True).first()
    study_id = visit.appointment.participant.study_id
    page = _as(client, reviewed.coordinator).get(f"/participants/{study_id}/monitoring/?show=all")
    assert page.status_code == 200
    assert "Verify form" not in page.content.decode()
    refused = client.post(f"/participants/{study_id}/monitoring/", {"kind": "visit", "record_id": visit.pk})
    assert refused.status_code == 403
    assert not VerificationMark.objects.exists()


def test_another_sites_participant_is_not_found(client, reviewed):
    london = reviewed.at_london[0]
    assert _as(client, reviewed.monitor).get(f"/participants/{london.study_id}/monitoring/").status_code == 404
    assert _as(client, reviewed.investigator).get(f"/participants/{london.study_id}/sign/").status_code == 404


def test_the_monitoring_page_gives_progress_by_site_and_participant(client, reviewed):
    page = _as(client, reviewed.monitor).get("/monitoring/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Progress by site" in body
    assert "Exeter" in body
    for person in reviewed.at_exeter:
        assert person.study_id in body
    for person in reviewed.at_london:
        assert person.study_id not in body


def test_a_coordinator_may_not_open_the_signing_page(client, reviewed):
    participant = reviewed.at_exeter[0]
    assert _as(client, reviewed.coordinator).get(f"/participants/{participant.study_id}/sign/").status_code == 403


def _sign_form(reviewed, **changes):
    return {
        "appointment": "",
        "meaning": "approval",
        "password": PASSWORD,
        "otp_code": code_for(reviewed.device),
        **changes,
    }


def test_a_wrong_password_on_the_signing_page_is_answered_at_the_field_and_nothing_is_written(client, reviewed):
    participant = reviewed.at_exeter[0]
    answer = _as(client, reviewed.investigator).post(
        f"/participants/{participant.study_id}/sign/", _sign_form(reviewed, password="wrong")
    )
    assert answer.status_code == 400
    assert "The password is not right." in answer.content.decode()
    assert not Signature.objects.exists()


def test_the_investigator_signs_and_the_casebook_shows_it_until_a_change_invalidates_it(client, reviewed):
    participant = reviewed.at_exeter[0]
    _as(client, reviewed.investigator)
    page = client.get(f"/participants/{participant.study_id}/sign/")
    assert page.status_code == 200
    assert "What your signature means" in page.content.decode()
    answer = client.post(f"/participants/{participant.study_id}/sign/", _sign_form(reviewed))
    assert answer.status_code == 302
    casebook = client.get(f"/participants/{participant.study_id}/").content.decode()
    assert "Ada Lovelace" in casebook
    assert ">Valid<" in casebook
    assert "approve these records" in casebook
    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    schedule.visit_update(
        actor=reviewed.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    casebook = client.get(f"/participants/{participant.study_id}/").content.decode()
    assert "Invalid: changed since signed" in casebook
    listed = client.get("/signing/").content.decode()
    assert participant.study_id in listed
    assert "Invalid: changed since signed" in listed


def test_a_visits_signature_is_shown_on_its_page(client, reviewed):
    participant = reviewed.at_exeter[0]
    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    _as(client, reviewed.investigator)
    answer = client.post(
        f"/participants/{participant.study_id}/sign/", _sign_form(reviewed, appointment=str(visit.appointment.pk))
    )
    assert answer.status_code == 302
    assert Signature.objects.get().appointment_id == visit.appointment.pk
    page = client.get(f"/appointments/{visit.appointment.pk}/visit/").content.decode()
    assert "Ada Lovelace" in page


def test_the_dashboard_shows_the_investigator_and_the_monitor_their_panels(client, reviewed):
    body = _as(client, reviewed.investigator).get("/").content.decode()
    assert "casebooks at your sites never signed" in body
    assert "/signing/" in body
    body = _as(client, reviewed.monitor).get("/").content.decode()
    assert "/monitoring/" in body
    body = _as(client, reviewed.coordinator).get("/").content.decode()
    assert "/monitoring/" not in body
    assert "/signing/" not in body
