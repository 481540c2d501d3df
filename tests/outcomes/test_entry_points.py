"""Questionnaires, the import commands and the endpoint API: what they accept and what they refuse."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from outcomes import instruments
from outcomes.models import DrinkingRecord, QuestionnaireResponse
from participants.models import Participant
from tests.conftest import password_in
from tests.outcomes.conftest import DATA

# --- questionnaires -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "items", "total", "prorated"),
    [
        ("bdi2", dict.fromkeys(range(1, 22), 1), Decimal("21.00"), False),
        ("bdi2", {**dict.fromkeys(range(1, 20), 2), 20: None, 21: None}, Decimal("42.00"), True),
        ("bdi2", {**dict.fromkeys(range(1, 19), 2), 19: None, 20: None, 21: None}, None, False),
        ("pacs", {1: 6, 2: 6, 3: 6, 4: None, 5: 0}, Decimal("22.50"), True),
        ("audit", {**dict.fromkeys(range(1, 9), 4), 9: 4, 10: 2}, Decimal("38.00"), False),
        ("cadss6", dict.fromkeys(range(1, 7), 4), Decimal("24.00"), False),
    ],
)
def test_totals_and_the_missing_item_rule(code, items, total, prorated):
    spec = instruments.INSTRUMENTS[code]
    clean, problems = instruments.check_items(spec, items)
    assert problems == {}
    value, _, was_prorated = instruments.total(spec, clean)
    assert (value, was_prorated) == (total, prorated)


@pytest.mark.parametrize(
    ("code", "items", "path"),
    [
        ("bdi2", {**dict.fromkeys(range(1, 22), 0), 3: 4}, "items.3"),
        ("pacs", {**dict.fromkeys(range(1, 6), 0), 6: 1}, "items.6"),
        ("audit", {**dict.fromkeys(range(1, 11), 0), 9: 1}, "items.9"),
        ("cadss6", dict.fromkeys(range(1, 6), 0), "items.6"),
    ],
)
def test_out_of_range_unknown_or_absent_items_are_refused(api, as_user, coordinator, randomised, code, items, path):
    response = as_user(coordinator).post(
        f"/api/participants/{randomised.study_id}/questionnaires/",
        {"instrument": code, "administered_on": dt.date.today().isoformat(), "items": items},
        format="json",
    )
    assert response.status_code == 400
    assert path in response.json()["error"]["fields"]
    assert not QuestionnaireResponse.objects.exists()


def test_a_questionnaire_is_recorded_with_its_total(as_user, coordinator, randomised):
    response = as_user(coordinator).post(
        f"/api/participants/{randomised.study_id}/questionnaires/",
        {"instrument": "pacs", "administered_on": dt.date.today().isoformat(), "items": {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "15.00"


# --- imports --------------------------------------------------------------------------------------


def _csv(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_import_participants_reports_every_bad_row_and_writes_nothing(kare, admin_user, tmp_path):
    path = _csv(
        tmp_path,
        "p.csv",
        "study_id,site,sex,randomised_on,drug,therapy\n"
        "A1,exeter,M,2024-01-10,ketamine,therapy\n"
        "A2,nowhere,M,2024-01-10,ketamine,therapy\n"
        "A3,exeter,X,2024-01-10,ketamine,therapy\n"
        "A4,exeter,F,2999-01-01,ketamine,therapy\n"
        "A5,exeter,F,2024-01-10,aspirin,therapy\n"
        "A1,exeter,F,2024-01-10,placebo,therapy\n",
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_participants", path, trial="KARE", actor="admin", stdin=password_in())
    message = str(refused.value)
    for expected in ("line 3.site", "line 4.sex", "line 5.randomised_on", "line 6.drug", "line 7.study_id"):
        assert expected in message
    assert "  line 2." not in message  # the good row is not reported
    assert not Participant.objects.exists()


def test_import_is_for_administrators(kare, coordinator, tmp_path):
    with pytest.raises(CommandError, match="do not allow you to import participants"):
        call_command(
            "import_participants",
            str(DATA / "participants.csv"),
            trial="KARE",
            actor=coordinator.username,
            stdin=password_in(),
        )
    assert not Participant.objects.exists()


def test_import_drinking_days_reports_every_bad_row_and_writes_nothing(imported, tmp_path):
    before = DrinkingRecord.objects.count()
    path = _csv(
        tmp_path,
        "d.csv",
        "study_id,date,amount,unit,source\n"
        "K03000,2024-07-01,0,g,tlfb\n"  # already imported: refused as a duplicate
        "K99999,2024-07-01,0,g,tlfb\n"
        "K03000,2024-01-01,0,g,diary\n"  # before the 90-day look-back
        "K03000,2024-07-02,-1,g,diary\n"
        "K03000,2024-07-02,1,pint,diary\n"
        "K03000,2024-07-03,126,uk_unit,diary\n"
        "K03000,2999-01-01,1,g,diary\n"
        "K03000,2024-07-04,1,g,breathalyser\n"
        "K03000,yesterday,1,g,diary\n",
    )
    with pytest.raises(CommandError) as refused:
        call_command("import_drinking_days", path, trial="KARE", actor="admin", stdin=password_in())
    message = str(refused.value)
    for expected in ("line 3.study_id", "line 4.date", "line 5.amount", "line 6.unit", "line 7.amount"):
        assert expected in message
    for expected in ("line 8.date", "line 9.source", "line 10.date"):
        assert expected in message
    assert DrinkingRecord.objects.count() == before


def test_a_day_already_imported_is_refused(imported, tmp_path):
    path = _csv(tmp_path, "d.csv", "study_id,date,amount,unit,source\nK03000,2024-04-10,1,g,tlfb\n")
    with pytest.raises(CommandError, match=r"line 2\.date"):
        call_command("import_drinking_days", path, trial="KARE", actor="admin", stdin=password_in())


# --- the endpoint API -----------------------------------------------------------------------------


def test_participant_endpoints_hide_the_factors_a_user_may_not_see(imported, make_user, as_user):
    assessor = make_user("outcome_assessor", imported)
    body = as_user(assessor).get("/api/participants/K03000/endpoints/").json()
    assert body["levels"] == {}
    assert [w["window"] for w in body["windows"]] == ["1-91", "92-182", "1-182"]
    assert body["windows"][0]["pda"] == "37.04"
    therapist = make_user("therapist", imported)
    assert as_user(therapist).get("/api/participants/K03000/endpoints/").json()["levels"] == {"therapy": "therapy"}


def test_trial_endpoints_are_paginated_and_site_scoped(imported, make_user, as_user):
    london = make_user("unblinded_statistician", imported, sites=["london"])
    body = as_user(london).get("/api/trials/KARE/endpoints/?page_size=2").json()
    assert body["count"] == 3  # K03001, K03002, K03003 are at london
    assert [p["study_id"] for p in body["results"]] == ["K03001", "K03002"]
    assert body["results"][0]["levels"] == {"drug": "ketamine", "therapy": "education"}
    assert len(body["results"][0]["windows"]) == 3
    exeter_only = make_user("coordinator", imported, sites=["exeter"])
    assert as_user(exeter_only).get("/api/participants/K03001/endpoints/").status_code == 404
