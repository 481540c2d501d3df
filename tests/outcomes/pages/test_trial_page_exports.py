"""The trial page's downloads and analysis report: the API's files, blinded as the API blinds them,
and the report blinded for whoever the export policy keeps blind."""

from __future__ import annotations

import pytest

from outcomes.models import ExportLog
from participants.models import Allocation
from tests.conftest import force_login_verified
from tests.outcomes.exports.conftest import hidden_words, secrets_in
from tests.outcomes.pages.test_trial_page import DRUG_WORDS, found

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _download(client, user, url: str):
    force_login_verified(client, user)
    return client.get(url)


@pytest.mark.parametrize("role", ["investigator", "unblinded_statistician"])
@pytest.mark.parametrize("dataset", ["endpoints", "adsl"])
def test_a_download_is_the_apis_file_for_the_same_person(client, as_user, imported, make_user, role, dataset):
    user = make_user(role, imported)
    page = _download(client, user, f"/trials/KARE/exports/csv/?dataset={dataset}")
    assert page.status_code == 200
    assert page["Content-Disposition"] == f'attachment; filename="KARE_{dataset}.csv"'
    api = as_user(user).get(f"/api/trials/KARE/exports/csv/?dataset={dataset}")
    assert _body(page) == _body(api)
    log = ExportLog.objects.get(pk=page["X-Export-Id"])
    assert (log.via, log.user, log.dataset) == ("web", user, dataset)
    assert log.completed_at is not None


@pytest.mark.parametrize("fmt", ["csv", "xpt", "dataset-json", "odm"])
def test_a_blinded_investigators_files_hold_no_drug_level(client, imported, make_user, tmp_path, fmt):
    response = _download(client, make_user("investigator", imported), f"/trials/KARE/exports/{fmt}/")
    assert response.status_code == 200
    path = tmp_path / response["Content-Disposition"].split('"')[1]
    path.write_bytes(_body(response))
    assert secrets_in(path, hidden_words(imported, ["drug", "therapy"])) == set()


def test_the_unblinded_statisticians_file_carries_the_drug(client, imported, make_user, tmp_path):
    response = _download(client, make_user("unblinded_statistician", imported), "/trials/KARE/exports/csv/")
    text = _body(response).decode()
    assert found(text, ["ketamine", "placebo"]) == ["ketamine", "placebo"]
    blinded = _download(client, make_user("unblinded_statistician", imported), "/trials/KARE/exports/csv/?blinded=1")
    assert found(_body(blinded).decode(), DRUG_WORDS) == []


def test_the_page_offers_every_format_to_one_who_may_export(client, imported, make_user):
    force_login_verified(client, make_user("investigator", imported))
    html = client.get("/trials/KARE/").content.decode()
    for fmt in ("csv", "dta", "sav", "xpt", "dataset-json"):
        for dataset in ("endpoints", "adsl", "adtte", "drinking", "dictionary"):
            assert f'href="/trials/KARE/exports/{fmt}/?dataset={dataset}"' in html
    assert 'href="/trials/KARE/exports/odm/"' in html
    assert "Your files are blinded" in html


def test_a_coordinator_may_not_download_and_is_offered_nothing(client, imported, make_user):
    coordinator = make_user("coordinator", imported)
    assert _download(client, coordinator, "/trials/KARE/exports/csv/").status_code == 403
    assert not ExportLog.objects.exists()
    html = client.get("/trials/KARE/").content.decode()
    assert "/exports/" not in html
    assert "do not include exporting" in html
    assert "/report/" not in html


def test_another_trials_member_is_told_nothing_exists(client, imported, more_kare, make_user):
    assert _download(client, make_user("investigator", more_kare), "/trials/KARE/exports/csv/").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [("/trials/KARE/exports/pdf/", 404), ("/trials/KARE/exports/csv/?dataset=clinical", 400)],
)
def test_an_unknown_format_or_dataset_is_refused(client, imported, make_user, url, status):
    response = _download(client, make_user("investigator", imported), url)
    assert response.status_code == status
    assert not ExportLog.objects.exists()


# --- the report ---------------------------------------------------------------------------------


def test_a_blinded_investigator_reads_the_blinded_report(client, imported, make_user):
    response = _download(client, make_user("investigator", imported), "/trials/KARE/report/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "blinded report" in html
    assert "Group A" in html
    assert "<section id='consort'>" in html
    assert html.count("data:image/svg+xml") >= 2
    assert found(html, [*DRUG_WORDS, "Ketamine for the Reduction", "Study drug"]) == []
    assert "View the unblinded report" not in html


def test_the_unblinded_statistician_reads_the_unblinded_report_and_may_ask_for_the_blinded(client, imported, make_user):
    statistician = make_user("unblinded_statistician", imported)
    html = _download(client, statistician, "/trials/KARE/report/").content.decode()
    assert "The unblinded report" in html
    assert "Ketamine + therapy" in html
    assert "Factorial model" in html
    blinded = client.get("/trials/KARE/report/?blinded=1").content.decode()
    assert "Group A" in blinded
    assert found(blinded, DRUG_WORDS) == []


def test_each_report_read_is_in_the_export_log_with_its_factors_and_fingerprint(client, imported, make_user):
    import hashlib
    import re

    statistician = make_user("unblinded_statistician", imported)
    unblinded = _download(client, statistician, "/trials/KARE/report/").content.decode()
    client.get("/trials/KARE/report/?blinded=1")
    _download(client, make_user("coordinator", imported), "/trials/KARE/report/")  # refused: not logged
    logs = list(ExportLog.objects.filter(dataset="report").order_by("pk"))
    assert [(log.user, log.via, log.format, log.filters, log.factors) for log in logs] == [
        (statistician, "web", "html", {"blinded": False}, ["drug", "therapy"]),
        (statistician, "web", "html", {"blinded": True}, []),
    ]
    randomised = Allocation.objects.filter(participant__trial=imported).count()
    assert randomised > 0
    assert [(bool(log.completed_at), log.rows) for log in logs] == [(True, randomised)] * 2
    body = re.search(r'<article class="report" aria-label="Report">\n(.*)\n</article>', unblinded, re.DOTALL)
    assert body is not None
    assert logs[0].sha256 == hashlib.sha256(body[1].strip().encode()).hexdigest()


def test_a_coordinator_may_not_read_the_report(client, imported, make_user):
    assert _download(client, make_user("coordinator", imported), "/trials/KARE/report/").status_code == 403


def test_a_trial_nobody_was_randomised_in_has_nothing_to_report(client, kare, make_user):
    response = _download(client, make_user("investigator", kare), "/trials/KARE/report/")
    assert response.status_code == 200
    assert "nothing to analyse" in response.content.decode()


def test_one_whose_files_carry_factors_is_offered_blinded_copies_too(client, imported, make_user):
    force_login_verified(client, make_user("unblinded_statistician", imported))
    html = client.get("/trials/KARE/").content.decode()
    assert 'href="/trials/KARE/exports/csv/?dataset=adsl"' in html
    assert "blinded=1" not in html
    blinded = client.get("/trials/KARE/?exports=blinded").content.decode()
    assert 'href="/trials/KARE/exports/csv/?dataset=adsl&amp;blinded=1"' in blinded
    assert 'href="/trials/KARE/exports/odm/?blinded=1"' in blinded
    response = client.get("/trials/KARE/exports/csv/?dataset=adsl&blinded=1")
    assert found(_body(response).decode(), DRUG_WORDS) == []
