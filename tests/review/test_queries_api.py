"""The API of data queries: raising, the site's answer, closing, scoping by site and blinding, and
refusals in the error shape with nothing written."""

from __future__ import annotations

import pytest

from outcomes.models import DrinkingRecord
from participants.models import InfusionSession
from review.models import Query, QueryMessage

pytestmark = pytest.mark.django_db


def _day(trial) -> DrinkingRecord:
    return DrinkingRecord.objects.filter(participant=trial.participant).order_by("day").first()


def _raise(api, trial, **body):
    payload = {"record_kind": "drinking_day", "record_id": _day(trial).pk, "item": "grams", "text": "4 units?"}
    return api.post("/api/queries/", {**payload, **body}, format="json")


def test_a_monitor_raises_a_query_and_reads_its_thread(as_user, trial):
    answer = _raise(as_user(trial.monitor), trial)
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["state"], body["study_id"], body["item"], body["raised_by"]) == (
        "open",
        trial.participant.study_id,
        "grams",
        trial.monitor.username,
    )
    assert [m["action"] for m in body["messages"]] == ["raised"]
    assert body["where"] == "Drinking day, grams of alcohol"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"item": "password"}, "item"), ({"text": ""}, "text"), ({"record_id": "x"}, "record_id")],
)
def test_bad_input_answers_400_at_the_field_and_writes_nothing(as_user, trial, body, field):
    answer = _raise(as_user(trial.monitor), trial, **body)
    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]
    assert not Query.objects.exists()


def test_a_coordinator_raising_is_forbidden(as_user, trial):
    assert _raise(as_user(trial.coordinator), trial).status_code == 403
    assert not Query.objects.exists()


def test_the_site_answers_and_may_not_close_and_the_monitor_closes(as_user, trial):
    pk = _raise(as_user(trial.monitor), trial).json()["id"]
    site = as_user(trial.coordinator)
    answered = site.post(f"/api/queries/{pk}/answer/", {"text": "Checked the diary: 0 is right."}, format="json")
    assert answered.status_code == 200
    assert answered.json()["state"] == "answered"
    refused = site.post(f"/api/queries/{pk}/close/", {"text": "Done."}, format="json")
    assert refused.status_code == 403
    assert Query.objects.get(pk=pk).state == "answered"
    closed = as_user(trial.monitor).post(f"/api/queries/{pk}/close/", {}, format="json")
    assert closed.json()["state"] == "closed"
    again = as_user(trial.monitor).post(f"/api/queries/{pk}/close/", {}, format="json")
    assert again.status_code == 409
    reopened = as_user(trial.monitor).post(f"/api/queries/{pk}/reopen/", {"text": "Look again."}, format="json")
    assert reopened.json()["state"] == "open"
    comment = site.post(f"/api/queries/{pk}/comment/", {"text": "On it."}, format="json")
    assert [m["action"] for m in comment.json()["messages"]] == [
        "raised",
        "answered",
        "closed",
        "reopened",
        "comment",
    ]


def test_another_sites_query_is_404_and_absent_from_its_list(as_user, trial):
    pk = _raise(as_user(trial.monitor), trial).json()["id"]
    london = as_user(trial.london_coordinator)
    assert london.get(f"/api/queries/{pk}/").status_code == 404
    assert london.post(f"/api/queries/{pk}/answer/", {"text": "!"}, format="json").status_code == 404
    assert london.get("/api/queries/").json()["count"] == 0
    assert as_user(trial.coordinator).get("/api/queries/").json()["count"] == 1


def test_the_list_filters_and_refuses_unknown_filters(as_user, trial):
    _raise(as_user(trial.monitor), trial)
    api = as_user(trial.coordinator)
    assert api.get("/api/queries/?state=open&kind=drinking_day&site=exeter&min_age=0").json()["count"] == 1
    assert api.get("/api/queries/?state=closed").json()["count"] == 0
    assert api.get("/api/queries/?min_age=3").json()["count"] == 0
    assert api.get(f"/api/queries/?participant={trial.participant.study_id}").json()["count"] == 1
    for bad in ("state=shut", "kind=password", "min_age=soon"):
        assert api.get(f"/api/queries/?{bad}").status_code == 400


def test_a_query_on_a_dose_is_absent_for_a_blinded_coordinator(as_user, trial):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    pk = _raise(as_user(trial.monitor), trial, record_kind="infusion", record_id=infusion.pk, item="volume_ml").json()[
        "id"
    ]
    on_dose = Query.objects.get(pk=pk)
    on_dose.pk = None
    on_dose.item = "dose_mg"
    on_dose.save()
    QueryMessage.objects.create(
        query=on_dose, author=trial.data_manager, action="raised", text="?", at=on_dose.created_at
    )
    api = as_user(trial.coordinator)
    assert [q["id"] for q in api.get("/api/queries/").json()["results"]] == [pk]
    assert api.get(f"/api/queries/{on_dose.pk}/").status_code == 404
    assert as_user(trial.pharmacist).get(f"/api/queries/{on_dose.pk}/").status_code == 200
