"""Every export is logged: who, when, what, with which filters, how many rows, the file's SHA-256."""

from __future__ import annotations

import hashlib

import pytest

from outcomes.exports import export_open
from outcomes.models import ExportLog
from tests.outcomes.exports.conftest import export

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "dta", "sav", "xpt", "dataset-json", "odm"])
def test_each_file_written_is_logged_with_its_checksum(imported, make_user, tmp_path, fmt):
    statistician = make_user("unblinded_statistician", imported)
    out = export(tmp_path, fmt, user=statistician)
    logs = list(ExportLog.objects.order_by("pk"))
    files = sorted(out.iterdir())
    assert len(logs) == len(files)
    for log in logs:
        path = out / f"KARE_{log.dataset}.{path_suffix(fmt)}"
        assert log.user == statistician
        assert (log.format, log.via, log.trial) == (fmt, "command", imported)
        assert log.factors == ["drug", "therapy"]
        assert log.filters["sites"] == sorted(imported.sites.values_list("pk", flat=True))
        assert log.completed_at is not None
        assert log.completed_at >= log.created_at
        assert log.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert log.bytes == path.stat().st_size
        assert log.rows > 0


def path_suffix(fmt: str) -> str:
    return {"dataset-json": "json", "odm": "xml"}.get(fmt, fmt)


def test_the_row_count_is_the_files(imported, tmp_path):
    export(tmp_path, "csv", datasets=["endpoints", "drinking"])
    assert dict(ExportLog.objects.values_list("dataset", "rows")) == {"endpoints": 18, "drinking": 1336}


def test_an_export_by_the_system_is_logged_without_a_user(imported, tmp_path):
    export(tmp_path, "csv", datasets=["adsl"], blinded=True, system=True)
    log = ExportLog.objects.get()
    assert log.user is None
    assert log.factors == []
    assert log.filters["blinded_requested"] is True


def test_a_stream_left_unread_stays_an_unfinished_export(imported):
    started = export_open(user=None, trial=imported, format="csv", dataset="endpoints", via="api")
    log = ExportLog.objects.get()
    assert log.pk == started.log.pk
    assert log.completed_at is None
    assert log.sha256 == ""
    b"".join(started.chunks)
    log.refresh_from_db()
    assert log.completed_at is not None
    assert log.rows == 18


def test_a_refused_export_is_not_logged(imported, make_user):
    from core.errors import Forbidden

    with pytest.raises(Forbidden, match="do not include exporting its data"):
        export_open(user=make_user("coordinator", imported), trial=imported, format="csv", via="api")
    assert not ExportLog.objects.exists()


@pytest.mark.postgres
def test_the_log_itself_is_in_the_audit_trail(imported, make_user):
    from django.db.models import Q

    from core import history

    user = make_user("monitor", imported)
    b"".join(export_open(user=user, trial=imported, format="csv", dataset="adsl", via="api").chunks)
    log = ExportLog.objects.get()
    events = history.events_for([(ExportLog, Q(pgh_obj_id=log.pk))])
    assert [e["label"] for e in events] == ["insert", "update"]
    assert events[0]["actor"] == user.username
