"""The exports through the API: the file answered (streamed where the format allows), refused in the
one error shape, and logged like any other export."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.http import FileResponse, StreamingHttpResponse

from outcomes.models import ExportLog
from tests.outcomes.exports.conftest import export, hidden_words, read_stat, secrets_in

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_csv_is_streamed_and_logged_with_its_checksum(imported, make_user, as_user, tmp_path):
    statistician = make_user("unblinded_statistician", imported)
    response = as_user(statistician).get("/api/trials/KARE/exports/csv/?dataset=endpoints")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="KARE_endpoints.csv"'
    body = _body(response)
    assert (
        body == (export(tmp_path, "csv", user=statistician, datasets=["endpoints"]) / "KARE_endpoints.csv").read_bytes()
    )
    log = ExportLog.objects.get(pk=response["X-Export-Id"])
    assert (log.via, log.user, log.rows) == ("api", statistician, 18)
    assert log.sha256 == hashlib.sha256(body).hexdigest()


def test_xpt_comes_back_from_a_file_and_reads_back(imported, make_user, as_user, tmp_path):
    response = as_user(make_user("unblinded_statistician", imported)).get("/api/trials/KARE/exports/xpt/?dataset=adsl")
    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_body(response))
    frame, meta = read_stat(path)
    assert list(frame["SUBJID"]) == ["K03000", "K03001", "K03002", "K03003", "K03004", "K03005"]
    assert "DRUG" in meta.column_names


def test_a_monitor_gets_valid_dataset_json_without_any_factor(imported, make_user, as_user, tmp_path):
    response = as_user(make_user("monitor", imported)).get("/api/trials/KARE/exports/dataset-json/?dataset=adsl")
    assert response.status_code == 200
    path = tmp_path / "adsl.json"
    path.write_bytes(_body(response))
    assert json.loads(path.read_text())["records"] == 6
    assert secrets_in(path, hidden_words(imported, ["drug", "therapy"])) == set()


def test_odm_comes_as_xml(imported, make_user, as_user):
    response = as_user(make_user("investigator", imported)).get("/api/trials/KARE/exports/odm/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    assert b"ketamine" not in _body(response)


def test_a_coordinator_is_refused_in_the_error_shape_and_nothing_is_logged(imported, make_user, as_user):
    response = as_user(make_user("coordinator", imported)).get("/api/trials/KARE/exports/csv/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not ExportLog.objects.exists()


def test_someone_outside_the_trial_is_told_nothing_exists(imported, more_kare, make_user, as_user):
    outsider = make_user("unblinded_statistician", more_kare)
    assert as_user(outsider).get("/api/trials/KARE/exports/csv/").status_code == 404


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/trials/KARE/exports/pdf/", 404),
        ("/api/trials/KARE/exports/odm/?dataset=adsl", 400),
        ("/api/trials/KARE/exports/csv/?dataset=clinical", 400),
        ("/api/trials/KARE/exports/csv/?blinded=perhaps", 400),
    ],
)
def test_bad_formats_and_datasets_are_answered_in_the_error_shape(imported, make_user, as_user, url, status):
    response = as_user(make_user("unblinded_statistician", imported)).get(url, HTTP_ACCEPT="text/csv")
    assert response.status_code == status
    assert response.json()["error"]["status"] == status


def test_anonymous_callers_are_refused(imported, api):
    assert api.get("/api/trials/KARE/exports/csv/").status_code in (401, 403)


def test_a_table_too_large_for_an_in_memory_format_is_refused_and_leaves_no_file(
    imported, make_user, as_user, monkeypatch, tmp_path
):
    import glob
    import tempfile

    from outcomes.exports import tabular

    monkeypatch.setattr(tabular, "STAT_MAX_ROWS", 5)
    # a temporary directory of this test's own: other processes of the suite write exports too
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    before = set(glob.glob(f"{tempfile.gettempdir()}/export-*"))
    response = as_user(make_user("unblinded_statistician", imported)).get(
        "/api/trials/KARE/exports/dta/?dataset=drinking"
    )
    assert response.status_code == 400
    assert "csv or dataset-json" in " ".join(response.json()["error"]["fields"]["format"])
    assert set(glob.glob(f"{tempfile.gettempdir()}/export-*")) == before
    ok = as_user(make_user("unblinded_statistician", imported)).get("/api/trials/KARE/exports/csv/?dataset=drinking")
    assert ok.status_code == 200
