"""The review's API: verification marks (a monitor's POST, another role's 403, no hidden item in a
participant's list), the trial's progress, signatures (the password never echoed, a wrong one a 400
with nothing written, the list with validity) and the investigator's list."""

from __future__ import annotations

import datetime as dt

import pytest

from participants.models import InfusionSession, Visit
from participants.schedule.services import visits as schedule
from review.models import Signature, VerificationMark
from tests.conftest import PASSWORD
from tests.core.conftest import code_for

pytestmark = pytest.mark.django_db


def test_a_monitor_posts_a_mark_and_a_coordinator_is_refused(reviewed, as_user):
    visit = Visit.objects.filter(appointment__participant__in=reviewed.at_exeter, attended=True).first()
    body = {"kind": "visit", "record_id": visit.pk, "item": "attended"}
    assert as_user(reviewed.coordinator).post("/api/verification-marks/", body, format="json").status_code == 403
    answer = as_user(reviewed.monitor).post("/api/verification-marks/", body, format="json")
    assert answer.status_code == 201
    assert answer.json()["item"] == "attended"
    assert VerificationMark.objects.count() == 1


def test_a_mark_on_another_sites_record_or_an_unknown_kind_is_not_found(reviewed, as_user):
    visit = Visit.objects.filter(appointment__participant__in=reviewed.at_london).first()
    api = as_user(reviewed.monitor)
    assert (
        api.post("/api/verification-marks/", {"kind": "visit", "record_id": visit.pk}, format="json").status_code == 404
    )
    assert api.post("/api/verification-marks/", {"kind": "password", "record_id": 1}, format="json").status_code == 404


def test_a_participants_records_never_carry_an_item_hidden_from_the_reader(reviewed, as_user):
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    study_id = infusion.visit.appointment.participant.study_id
    answer = as_user(reviewed.monitor).get(f"/api/participants/{study_id}/verification/")
    assert answer.status_code == 200
    records = answer.json()["records"]
    shown = next(r for r in records if (r["kind"], r["record_id"]) == ("infusion", infusion.pk))
    names = {i["name"] for i in shown["items"]}
    assert "volume_ml" in names
    assert not names & {"mg_per_kg", "dose_mg", "dose_mg_given"}
    randomisation = next(r for r in records if r["kind"] == "randomisation")
    assert "arm" not in {i["name"] for i in randomisation["items"]}


def test_the_trials_progress_counts_the_callers_sites(reviewed, as_user):
    answer = as_user(reviewed.monitor).get("/api/trials/KARE/monitoring/")
    assert answer.status_code == 200
    body = answer.json()
    assert [s["site"] for s in body["sites"]] == ["exeter"]
    assert {p["study_id"] for p in body["participants"]} == {p.study_id for p in reviewed.at_exeter}
    assert body["sites"][0]["planned"] > 0


def test_signing_through_the_api_never_echoes_the_password_and_a_wrong_one_writes_nothing(reviewed, as_user):
    participant = reviewed.at_exeter[0]
    api = as_user(reviewed.investigator)
    url = f"/api/participants/{participant.study_id}/signatures/"
    wrong = api.post(url, {"meaning": "review", "password": "wrong", "otp_code": "000000"}, format="json")
    assert wrong.status_code == 400
    assert "password" in wrong.json()["error"]["fields"]
    assert not Signature.objects.exists()
    body = {"meaning": "review", "password": PASSWORD, "otp_code": code_for(reviewed.device)}
    answer = api.post(url, body, format="json")
    assert answer.status_code == 201
    assert "password" not in answer.json()
    assert "otp_code" not in answer.json()
    assert answer.json()["printed_name"] == "Ada Lovelace"
    listed = api.get(url).json()
    assert [(s["meaning"], s["valid"]) for s in listed] == [("review", True)]


def test_a_coordinator_signing_through_the_api_is_refused(reviewed, as_user):
    participant = reviewed.at_exeter[0]
    body = {"meaning": "review", "password": PASSWORD, "otp_code": "000000"}
    answer = as_user(reviewed.coordinator).post(
        f"/api/participants/{participant.study_id}/signatures/", body, format="json"
    )
    assert answer.status_code == 403
    assert not Signature.objects.exists()


def test_the_investigators_list_holds_a_casebook_again_after_a_change(reviewed, as_user):
    participant = reviewed.at_exeter[0]
    api = as_user(reviewed.investigator)
    body = {"meaning": "approval", "password": PASSWORD, "otp_code": code_for(reviewed.device)}
    api.post(f"/api/participants/{participant.study_id}/signatures/", body, format="json")

    def casebooks():
        rows = api.get("/api/signatures/to-sign/?page_size=500").json()["results"]
        return {(r["study_id"], r["state"]) for r in rows if r["appointment"] is None}

    assert participant.study_id not in {s for s, _ in casebooks()}
    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    schedule.visit_update(
        actor=reviewed.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    assert (participant.study_id, "invalid") in casebooks()
