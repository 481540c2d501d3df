"""The biomarker and questionnaire pages through the test client: recording through the services,
refusals next to their field with nothing saved, site scoping, fixed query counts, blinding."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.clock import today_at
from outcomes import services
from outcomes.models import BiomarkerSample, QuestionnaireResponse
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

HIDDEN_WORDS = ("ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE", "mg")


def _yesterday(participant) -> dt.date:
    return today_at(participant.site) - dt.timedelta(days=1)


@pytest.fixture
def signed_in(client, coordinator):
    force_login_verified(client, coordinator)
    return client


def _field_error(html: str, field: str) -> str:
    found = re.search(rf'id="id_{field}_error">(.*?)</p>', html, re.S)
    assert found, f"no error at {field}"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_sample_is_recorded_and_listed(signed_in, coordinator, randomised):
    url = f"/participants/{randomised.study_id}/biomarkers/"
    body = {"kind": "etg", "taken_on": _yesterday(randomised).isoformat(), "value": "620", "visit_code": "V1"}
    response = signed_in.post(url, body)
    assert response.status_code == 302
    sample = BiomarkerSample.objects.get(participant=randomised)
    assert (sample.kind, sample.value, sample.positive, sample.visit_code) == ("etg", Decimal(620), True, "V1")
    assert sample.entered_by == coordinator
    html = signed_in.get(url).content.decode()
    assert "saved: positive" in html
    assert "Urine ethyl glucuronide" in html
    assert "620" in html


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"kind": "etg", "value": ""}, "value", "Give the measured value"),
        ({"kind": "breath", "value": "-1"}, "value", "cannot be negative"),
        ({"kind": "etg", "value": "100", "future": True}, "taken_on", "future"),
    ],
)
def test_a_refused_sample_answers_400_at_its_field(signed_in, randomised, body, field, fragment):
    day = _yesterday(randomised) + dt.timedelta(days=2 if body.pop("future", False) else 0)
    response = signed_in.post(
        f"/participants/{randomised.study_id}/biomarkers/", {**body, "taken_on": day.isoformat(), "visit_code": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert fragment in _field_error(html, field)
    assert 'class="error-summary"' in html
    assert not BiomarkerSample.objects.exists()


def test_a_questionnaire_is_recorded_item_by_item_with_its_total(signed_in, randomised):
    url = f"/participants/{randomised.study_id}/questionnaires/?instrument=pacs"
    page = signed_in.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="radio"') == 5 * 8  # five items, scores 0-6 and not answered
    body = {"administered_on": _yesterday(randomised).isoformat(), "visit_code": "V1"}
    body.update({f"item_{n}": str(n) for n in range(1, 5)})  # item 5 left unanswered: prorated
    body["item_5"] = ""
    response = signed_in.post(url, body)
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get(participant=randomised)
    assert saved.items == {"1": 1, "2": 2, "3": 3, "4": 4, "5": None}
    assert (saved.total, saved.prorated, saved.missing_items) == (Decimal("12.50"), True, 1)
    html = signed_in.get(response["Location"]).content.decode()
    assert "Penn Alcohol Craving Scale" in html
    assert "12.5" in html


def test_a_refused_questionnaire_answers_400_at_its_fields(signed_in, randomised):
    url = f"/participants/{randomised.study_id}/questionnaires/?instrument=audit"
    tomorrow = _yesterday(randomised) + dt.timedelta(days=2)
    body = {"administered_on": tomorrow.isoformat(), "visit_code": ""}
    body.update({f"item_{n}": "0" for n in range(1, 11)})
    body["item_9"] = "3"  # item 9 of the AUDIT scores 0, 2 or 4
    response = signed_in.post(url, body)
    assert response.status_code == 400
    html = response.content.decode()
    assert "item_9_error" in html
    assert not QuestionnaireResponse.objects.exists()
    body["item_9"] = "2"
    response = signed_in.post(url, body)
    assert response.status_code == 400
    assert "future" in _field_error(response.content.decode(), "administered_on")
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.parametrize("page", ["biomarkers", "questionnaires"])
def test_another_sites_participant_is_not_found(client, kare, make_user, randomised, page):
    london = make_user("coordinator", kare, sites=["london"])
    force_login_verified(client, london)
    assert client.get(f"/participants/{randomised.study_id}/{page}/").status_code == 404
    assert client.post(f"/participants/{randomised.study_id}/{page}/?instrument=pacs", {}).status_code == 404


def _add(coordinator, participant, n: int) -> None:
    day = _yesterday(participant)
    for _ in range(n):
        services.biomarker_record(
            actor=coordinator, participant=participant, kind="etg", taken_on=day, value=Decimal(50)
        )
        services.questionnaire_record(
            actor=coordinator,
            participant=participant,
            instrument="pacs",
            administered_on=day,
            items={str(i): 1 for i in range(1, 6)},
        )


@pytest.mark.parametrize("page", ["biomarkers/", "questionnaires/?instrument=bdi2"])
def test_the_pages_run_as_many_queries_for_five_records_as_for_one(signed_in, coordinator, randomised, page):
    url = f"/participants/{randomised.study_id}/{page}"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(url).status_code == 200
        return len(captured)

    _add(coordinator, randomised, 1)
    one = queries()
    _add(coordinator, randomised, 4)
    assert queries() == one


@pytest.mark.parametrize("page", ["biomarkers/", "questionnaires/?instrument=cadss6"])
def test_a_blinded_coordinator_sees_no_word_of_the_drug(signed_in, coordinator, randomised, page):
    _add(coordinator, randomised, 1)
    html = signed_in.get(f"/participants/{randomised.study_id}/{page}").content.decode()
    found = [w for w in HIDDEN_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", html, re.IGNORECASE)]
    assert found == []


@pytest.mark.parametrize(
    ("page", "form"), [("biomarkers/", "Save the sample"), ("questionnaires/?instrument=pacs", "Save")]
)
def test_one_who_sees_the_drug_reads_but_has_no_form(client, kare, make_user, randomised, page, form):
    force_login_verified(client, make_user("pharmacist", kare))
    html = client.get(f"/participants/{randomised.study_id}/{page}").content.decode()
    assert "not enter them" in html
    assert form not in html
