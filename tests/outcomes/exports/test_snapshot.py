"""An export, and the analysis, read one consistent view of the database: what others commit while
they run is not in it.

The ODM file is written from many queries (subjects, visits, infusions, drinking records, audit
events). Here another connection commits a drinking day for one participant just before the export
first reads the drinking records, after it has read the participants.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from lxml import etree

from core.db import snapshot
from outcomes import services as outcome_services
from outcomes.models import DrinkingRecord, ExportLog
from participants.models import Participant
from tests.outcomes.exports.conftest import export
from trials.models import Trial

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


def _drinking_groups(root, subject: str) -> int:
    return len(
        root.findall(f".//{ODM}SubjectData[@SubjectKey='{subject}']//{ODM}ItemGroupData[@ItemGroupOID='IG.DRINKING']")
    )


def test_an_odm_export_does_not_see_a_day_committed_while_it_runs(imported, nurse, tmp_path):
    participant = Participant.objects.get(trial=imported, study_id="K03001")
    new_day = DrinkingRecord.objects.filter(participant=participant).order_by("-day").first().day + dt.timedelta(1)
    committed = []

    def record_elsewhere():
        try:
            outcome_services.drinking_days_record(
                actor=nurse,
                participant=Participant.objects.get(pk=participant.pk),
                days=[outcome_services.DayEntry(day=new_day, amount=Decimal(24), unit="g")],
                source="tlfb",
            )
            committed.append(new_day)
        finally:
            connections.close_all()

    def commit_first(execute, sql, params, many, context):
        if not committed and "outcomes_drinkingrecord" in sql:
            worker = threading.Thread(target=record_elsewhere)
            worker.start()
            worker.join()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(commit_first):
        out = export(tmp_path, "odm")
    assert committed == [new_day]
    assert DrinkingRecord.objects.filter(participant=participant, day=new_day).exists()
    root = etree.parse(str(out / "KARE_clinical.xml")).getroot()
    assert _drinking_groups(root, "K03001") == DrinkingRecord.objects.filter(participant=participant).count() - 1
    # the log counts the subjects the file holds
    log = ExportLog.objects.filter(format="odm").latest("pk")
    assert log.rows == len(root.findall(f".//{ODM}SubjectData")) == 6


def test_a_write_inside_a_snapshot_is_refused(imported):
    from django.db import InternalError

    with pytest.raises(InternalError, match="read-only transaction"), snapshot():
        Trial.objects.filter(pk=imported.pk).update(title="changed")


class Isolation:
    """An execute wrapper noting, for every read of clinical data, its transaction's isolation level,
    whether it is read-only and when it began."""

    def __init__(self):
        self.seen = []

    def __call__(self, execute, sql, params, many, context):
        clinical = "participants_" in sql or ("outcomes_" in sql and "outcomes_exportlog" not in sql)
        if clinical and not sql.startswith(("SET", "SHOW")):
            with connection.cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                level = cursor.fetchone()[0]
                cursor.execute("SHOW transaction_read_only")
                read_only = cursor.fetchone()[0]
                cursor.execute("SELECT now()")  # the time its transaction began
                self.seen.append((level, read_only, cursor.fetchone()[0]))
        return execute(sql, params, many, context)

    def one_snapshot(self) -> bool:
        return bool(self.seen) and len(set(self.seen)) == 1 and self.seen[0][:2] == ("repeatable read", "on")


@pytest.mark.parametrize(("fmt", "dataset"), [("csv", "endpoints"), ("dataset-json", "drinking"), ("xpt", "adsl")])
def test_every_read_of_clinical_data_runs_in_one_read_only_repeatable_read_transaction(imported, fmt, dataset):
    from outcomes.exports import export_open

    isolation = Isolation()
    with connection.execute_wrapper(isolation):
        export = export_open(user=None, trial=imported, format=fmt, dataset=dataset, via="command")
        if export.chunks is not None:
            assert b"".join(export.chunks)
        else:
            export.path.unlink()
    assert isolation.one_snapshot(), isolation.seen
    export.log.refresh_from_db()
    assert export.log.sha256  # the log is completed after the snapshot ends


def test_the_analysis_data_set_is_read_in_one_snapshot(imported):
    from outcomes.analysis import dataset

    isolation = Isolation()
    with connection.execute_wrapper(isolation):
        data = dataset.load(imported)
    assert len(data.participants) == 6
    assert isolation.one_snapshot(), isolation.seen


def test_a_stream_closed_early_ends_its_snapshot_and_leaves_the_log_open(imported):
    from outcomes.exports import export_open

    export = export_open(user=None, trial=imported, format="csv", dataset="drinking", via="api")
    assert next(export.chunks).startswith(b"study_id,date,study_day,grams,grams_nf,source\n")
    assert connection.in_atomic_block  # the snapshot is open while the client reads
    export.chunks.close()  # the client hung up
    assert not connection.in_atomic_block
    export.log.refresh_from_db()
    assert export.log.completed_at is None
    assert Trial.objects.filter(pk=imported.pk).update(title=imported.title) == 1  # writes go on
