"""The committee's reports in the browser's pages: the open report for a blinded reader, the closed
one only for one who may see every factor (403 otherwise, even asked for by URL), a bad cut-off
answered 400 with its message beside the field, the PDF to download with the cut-off on every
page, and each report given recorded in the export log as given on the web."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from outcomes.models import ExportLog
from tests.conftest import force_login_verified
from tests.outcomes.analysis.committee.conftest import whole_words

pytestmark = pytest.mark.django_db

URL = "/trials/KARE/committee/"


def _arm_words(small) -> list[str]:
    protocol = small.trial.version_on().protocol
    words = [arm.code for arm in protocol.arms] + [arm.title for arm in protocol.arms]
    return words + [level.title for factor in protocol.factors for level in factor.levels]


def test_a_blinded_monitor_reads_the_open_report_with_no_arm_named(client, small, make_user):
    force_login_verified(client, make_user("monitor", small.trial))
    page = client.get(URL, {"report": "open", "cutoff": small.cutoff.isoformat()})
    assert page.status_code == 200
    text = page.content.decode()
    assert f"Data cut-off {small.cutoff.isoformat()}" in text
    assert "Closed: by arm" not in text  # the choice is not offered
    assert not whole_words(text, _arm_words(small))
    log = ExportLog.objects.get(dataset="dmc-open")
    assert (log.via, log.format, log.filters["cutoff"]) == ("web", "html", small.cutoff.isoformat())


def test_the_closed_report_is_refused_to_a_blinded_reader_even_by_url(client, small, make_user):
    force_login_verified(client, make_user("monitor", small.trial))
    assert client.get(URL, {"report": "closed"}).status_code == 403
    assert client.get(URL + "pdf/", {"report": "closed"}).status_code == 403
    assert not ExportLog.objects.filter(dataset="dmc-closed").exists()


def test_the_unblinded_statistician_reads_the_closed_report_by_arm(client, small):
    force_login_verified(client, small.statistician)
    page = client.get(URL, {"report": "closed", "cutoff": small.cutoff.isoformat()})
    assert page.status_code == 200
    text = page.content.decode()
    assert small.arm_title(small.a) in text
    assert "The closed report: every figure by arm." in text
    assert "Closed: by arm" in text


@pytest.mark.parametrize(
    ("cutoff", "message"),
    [("2020-13-40", "Enter a valid date."), ("2999-01-01", "is after today"), ("2000-01-01", "when the first was")],
)
def test_a_bad_cutoff_is_answered_400_beside_the_field_and_nothing_is_logged(client, small, cutoff, message):
    force_login_verified(client, small.statistician)
    page = client.get(URL, {"report": "open", "cutoff": cutoff})
    assert page.status_code == 400
    text = page.content.decode()
    assert message in text
    assert 'id="id_cutoff_error"' in text
    assert "<title>Error: " in text
    pdf = client.get(URL + "pdf/", {"report": "open", "cutoff": cutoff})
    assert pdf.status_code == 400
    assert message in pdf.content.decode()
    assert not ExportLog.objects.exists()


def test_an_unknown_report_kind_is_refused(client, small):
    force_login_verified(client, small.statistician)
    assert client.get(URL, {"report": "everything"}).status_code == 400


@pytest.mark.weasyprint
def test_the_pdf_downloads_with_the_cutoff_on_every_page(client, small, make_user):
    force_login_verified(client, make_user("monitor", small.trial))
    response = client.get(URL + "pdf/", {"report": "open", "cutoff": small.cutoff.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="kare-dmc-open-{small.cutoff.isoformat()}.pdf"' in response["Content-Disposition"]
    pages = PdfReader(io.BytesIO(response.content)).pages
    assert len(pages) > 1
    assert all(f"Data cut-off {small.cutoff.isoformat()}" in page.extract_text() for page in pages)
    assert ExportLog.objects.get(dataset="dmc-open", format="pdf").via == "web"


def test_a_coordinator_of_one_site_may_not_read_the_trials_reports(client, small):
    force_login_verified(client, small.coordinator)
    assert client.get(URL).status_code == 403
