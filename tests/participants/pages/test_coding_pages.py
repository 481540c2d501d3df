"""The coding pages through the test client: the worklist of a data manager's sites, the search,
coding and recoding with the refusals beside their field (400, nothing written), 403 for one who
does not code, 404 for another site's event, and the dashboard's count."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from participants.models import AdverseEvent, DictionaryTerm
from participants.safety import services as safety
from participants.safety.dictionaries import dictionary_load
from tests.conftest import force_login_verified
from tests.participants.pages.test_schedule_pages import error_of, leaks
from tests.participants.visits_fixtures import row_counts

pytestmark = pytest.mark.django_db

MEDDRA = Path(__file__).parents[1] / "dictionaries" / "meddra"


@pytest.fixture
def data_manager(clinic):
    dictionary_load(actor=clinic.user("data_manager"), kind="meddra", version="27.1", source=MEDDRA)
    return clinic.user("data_manager", sites=["exeter"])


def record(clinic, arm: str = "KT", **changes) -> AdverseEvent:
    participant = clinic.in_arm(arm)
    values = {
        "term": "felt sick after the session",
        "onset_date": participant.allocation.allocated_on,
        "grade": 2,
        "drug_causality": "possibly",
        "therapy_causality": "not_related",
        "expected": True,
        "aware_at": timezone.now(),
    }
    values.update(changes)
    return safety.adverse_event_record(actor=clinic.coordinator, participant=participant, **values)


def signed_in_as(client, user):
    force_login_verified(client, user)
    return client


def test_the_worklist_lists_the_events_awaiting_coding_and_names_no_level(client, clinic, data_manager):
    ae = record(clinic)
    html = signed_in_as(client, data_manager).get("/safety/coding/").content.decode()
    assert f'href="/safety/coding/{ae.pk}/"' in html
    assert "felt sick after the session" in html
    assert leaks(html) == []


def test_the_search_offers_the_terms_found(client, clinic, data_manager):
    ae = record(clinic)
    response = signed_in_as(client, data_manager).get(f"/safety/coding/{ae.pk}/", {"q": "queas"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Feeling queasy (LLT 90010002): preferred term Nausea; Gut disorders; MedDRA 27.1" in html
    assert "1 term found" in html
    assert leaks(html) == []


def test_a_data_manager_codes_an_event_and_returns_to_the_worklist(client, clinic, data_manager):
    ae = record(clinic)
    queasy = DictionaryTerm.objects.get(llt_name="Feeling queasy")
    response = signed_in_as(client, data_manager).post(f"/safety/coding/{ae.pk}/", {"q": "queas", "term": queasy.pk})
    assert response.status_code == 302
    assert response["Location"] == "/safety/coding/"
    ae.refresh_from_db()
    assert (ae.term, ae.llt_name, ae.pt_name, ae.coded_by) == (
        "felt sick after the session",
        "Feeling queasy",
        "Nausea",
        data_manager,
    )
    assert f'href="/safety/coding/{ae.pk}/"' not in client.get("/safety/coding/").content.decode()


def test_recoding_without_a_reason_is_refused_beside_the_field(client, clinic, data_manager):
    ae = record(clinic)
    signed_in_as(client, data_manager)
    client.post(f"/safety/coding/{ae.pk}/", {"term": DictionaryTerm.objects.get(llt_name="Fit").pk})
    before = row_counts()
    response = client.post(f"/safety/coding/{ae.pk}/", {"term": DictionaryTerm.objects.get(llt_name="Nausea").pk})
    assert response.status_code == 400
    assert "Say why the coding changes." in error_of(response, "reason")
    assert 'class="error-summary"' in response.content.decode()
    assert row_counts() == before
    assert AdverseEvent.objects.get(pk=ae.pk).llt_name == "Fit"


def test_no_term_chosen_is_refused(client, clinic, data_manager):
    ae = record(clinic)
    response = signed_in_as(client, data_manager).post(f"/safety/coding/{ae.pk}/", {"q": "fit"})
    assert response.status_code == 400
    assert error_of(response, "term")
    assert AdverseEvent.objects.get(pk=ae.pk).coded_at is None


def test_one_who_does_not_code_gets_a_403(client, clinic, data_manager):
    ae = record(clinic)
    signed_in_as(client, clinic.coordinator)
    assert client.get("/safety/coding/").status_code == 403
    assert client.get(f"/safety/coding/{ae.pk}/").status_code == 403
    fit = DictionaryTerm.objects.get(llt_name="Fit")
    assert client.post(f"/safety/coding/{ae.pk}/", {"term": fit.pk}).status_code == 403
    assert AdverseEvent.objects.get(pk=ae.pk).coded_at is None


def test_another_sites_event_is_a_404(client, clinic, data_manager):
    ae = record(clinic)
    signed_in_as(client, clinic.user("data_manager", sites=["london"]))
    assert client.get(f"/safety/coding/{ae.pk}/").status_code == 404
    fit = DictionaryTerm.objects.get(llt_name="Fit")
    assert client.post(f"/safety/coding/{ae.pk}/", {"term": fit.pk}).status_code == 404
    assert AdverseEvent.objects.get(pk=ae.pk).coded_at is None


def test_the_dashboard_tells_a_data_manager_how_many_await_coding(client, clinic, data_manager):
    record(clinic)
    record(clinic, arm="PE")
    html = signed_in_as(client, data_manager).get("/").content.decode()
    assert "2 adverse events at your sites await coding." in html
    assert "Adverse events to code" not in signed_in_as(client, clinic.coordinator).get("/").content.decode()
