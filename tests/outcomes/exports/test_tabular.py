"""The endpoint and analysis tables as CSV, Stata, SPSS and SAS transport, read back unchanged."""

from __future__ import annotations

import math
import re

import pytest

from outcomes.models import ExportLog
from tests.outcomes.conftest import DATA
from tests.outcomes.exports.conftest import export, read_csv, read_stat

pytestmark = pytest.mark.django_db


def _number(text: str):
    return None if text == "" else float(text)


def test_the_endpoint_csv_starts_with_the_expected_endpoints(imported, tmp_path):
    out = export(tmp_path, "csv", datasets=["endpoints"])
    rows = read_csv(out / "KARE_endpoints.csv")
    expected = read_csv(DATA / "expected_endpoints.csv")
    width = len(expected[0])
    assert [r[:width] for r in rows] == expected
    assert rows[0][-2:] == ["drug", "therapy"]
    assert rows[1][-2:] == ["ketamine", "therapy"]


def test_xpt_is_version_5_with_short_names_and_reads_back_the_same_values(imported, tmp_path):
    out = export(tmp_path, "xpt", datasets=["endpoints", "adsl", "adtte"])
    csv_out = export(tmp_path, "csv", datasets=["endpoints", "adsl", "adtte", "dictionary"])
    dictionary = read_csv(csv_out / "KARE_dictionary.csv")
    short = {(d[0], d[1]): d[2] for d in dictionary[1:]}
    for dataset in ("endpoints", "adsl", "adtte"):
        path = out / f"KARE_{dataset}.xpt"
        assert path.read_bytes().startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")  # not LIBV8
        frame, meta = read_stat(path)
        assert all(len(name) <= 8 for name in meta.column_names)
        assert all(len(label) <= 40 for label in meta.column_labels)
        rows = read_csv(csv_out / f"KARE_{dataset}.csv")
        header, body = rows[0], rows[1:]
        assert list(meta.column_names) == [short[(dataset, name)] for name in header]
        assert len(frame) == len(body)
        for i, row in enumerate(body):
            for name, text in zip(header, row, strict=True):
                got = frame.iloc[i][short[(dataset, name)]]
                if isinstance(got, float):
                    want = _number(text)
                    assert (want is None and math.isnan(got)) or got == pytest.approx(want), (dataset, name, i)
                elif hasattr(got, "isoformat"):
                    assert got.isoformat() == text
                else:
                    assert (got or "") == text, (dataset, name, i)


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stata_and_spss_carry_variable_labels_and_factor_value_labels(imported, tmp_path, fmt):
    out = export(tmp_path, fmt, datasets=["endpoints", "adsl"])
    frame, meta = read_stat(out / f"KARE_endpoints.{fmt}")
    assert meta.column_names_to_labels["pda"] == "Percent days abstinent"
    assert meta.column_names_to_labels["drug"] == "Study drug"
    assert meta.variable_value_labels["drug"] == {1: "ketamine", 2: "placebo"}
    assert meta.variable_value_labels["relapse"] == {0: "no", 1: "yes"}
    csv_rows = read_csv(export(tmp_path, "csv", datasets=["endpoints"]) / "KARE_endpoints.csv")
    header = csv_rows[0]
    assert list(frame.columns) == header
    assert list(frame["drug"].astype(str)) == [r[header.index("drug")] for r in csv_rows[1:]]
    assert list(frame["study_id"]) == [r[0] for r in csv_rows[1:]]
    adsl, _ = read_stat(out / f"KARE_adsl.{fmt}")
    assert list(adsl["SUBJID"]) == ["K03000", "K03001", "K03002", "K03003", "K03004", "K03005"]


def test_the_dictionary_lists_every_variable_with_its_label_and_the_factor_levels(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["dictionary"]) / "KARE_dictionary.csv")
    assert rows[0] == ["dataset", "variable", "xpt_name", "label", "type", "values"]
    by_name = {(r[0], r[1]): r for r in rows[1:]}
    assert by_name[("endpoints", "drug")][5] == (
        "ketamine=Ketamine 0.8 mg/kg IV over 40 min; placebo=Saline placebo 50 ml IV over 40 min"
    )
    assert by_name[("endpoints", "first_positive_marker_day")][2] == "FMARKDAY"
    assert {r[0] for r in rows[1:]} == {"endpoints", "adsl", "adtte", "drinking", "signatures"}
    assert by_name[("signatures", "valid")][2] == "SIGVALID"


def test_adsl_has_one_row_per_participant_with_baseline_drinking_and_disposition(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["adsl"]) / "KARE_adsl.csv")
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert len(rows) == 7
    assert first["USUBJID"] == "KARE-K03000"
    assert (first["SITEID"], first["SEX"], first["ARMCD"], first["RANDDT"]) == ("exeter", "M", "KT", "2024-07-08")
    assert (first["ARM"], first["TRT01P"], first["DRUG"], first["THERAPY"]) == (
        "Ketamine + therapy",
        "Ketamine + therapy",
        "ketamine",
        "therapy",
    )
    assert first["BLASSESS"] == "90"
    assert first["EOSSTT"] == "COMPLETED"


def test_adtte_is_the_time_to_the_first_heavy_day_with_censoring(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["adtte", "endpoints"]) / "KARE_adtte.csv")
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    # K03000's first heavy day in days 1-182 is study day 6 (the expected endpoints).
    assert (first["PARAMCD"], first["AVAL"], first["CNSR"], first["ADT"]) == ("TTHDD", "6", "0", "2024-07-13")
    assert {r[header.index("CNSR")] for r in rows[1:]} <= {"0", "1"}


def test_the_drinking_records_export_one_row_per_participant_day_and_source(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["drinking"]) / "KARE_drinking.csv")
    assert rows[0] == ["study_id", "date", "study_day", "grams", "grams_nf", "source"]
    assert len(rows) == 1 + 1336
    assert rows[1][0] == "K03000"
    day = next(r for r in rows if r[0] == "K03000" and r[1] == "2024-07-08")
    assert day[2] == "1"
    before = next(r for r in rows if r[0] == "K03000" and r[1] == "2024-07-07")
    assert before[2] == "-1"


def test_the_drinking_records_export_works_in_debug_mode(imported, tmp_path, settings):
    """Debug mode logs each statement with its parameters put in: the SQLite branch's printf('%.2f')
    took one for itself (a TypeError, a 500), and its export log was left incomplete."""
    settings.DEBUG = True
    rows = read_csv(export(tmp_path, "csv", datasets=["drinking"]) / "KARE_drinking.csv")
    assert len(rows) == 1 + 1336
    assert all(re.fullmatch(r"\d+\.\d\d", row[3]) for row in rows[1:])
    assert not ExportLog.objects.filter(completed_at__isnull=True).exists()


@pytest.mark.postgres
def test_on_postgres_the_drinking_csv_written_by_copy_is_the_python_writers_byte_for_byte(imported):
    from outcomes.exports import tabular
    from outcomes.exports.policy import export_scope
    from outcomes.exports.tables import drinking_table

    copied, written = [0], [0]
    table = drinking_table(export_scope(user=None, trial=imported))
    by_copy = b"".join(tabular.csv_chunks(table, copied))
    del table.meta["copy"]
    by_python = b"".join(tabular.csv_chunks(table, written))
    assert by_copy == by_python
    assert copied == written == [1336]
