"""The analysis datasets as a statistician reads them: one endpoint table whichever command writes
it, with each participant's site and sex; ADSL with CDISC names, the arm and treatments only in a
file that carries every factor; every coded variable labelled in Stata and SPSS and listed in the
data dictionary."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from tests.conftest import password_in
from tests.outcomes.conftest import DATA
from tests.outcomes.exports.conftest import CLINIC_ID, export, read_csv, read_stat, statistician
from tests.participants.conftest import two_site_person

pytestmark = pytest.mark.django_db

ARM_COLUMNS = {"ARM", "ARMCD", "TRT01P", "TRT01A"}
FACTOR_COLUMNS = {"DRUG", "THERAPY", "drug", "therapy"}


def _endpoints_command(tmp_path, user=None) -> bytes:
    out = tmp_path / f"endpoints-{user.username if user else 'system'}.csv"
    options = {"system": True} if user is None else {"actor": user.username, "stdin": password_in()}
    call_command("export_endpoints", trial="KARE", out=str(out), stdout=io.StringIO(), **options)
    return out.read_bytes()


def _rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("who", ["system", "statistician"])
def test_both_endpoint_writers_give_the_same_file(imported, tmp_path, who):
    user = statistician() if who == "statistician" else None
    by_command = _endpoints_command(tmp_path, user)
    exported = export(tmp_path, "csv", user=user, system=user is None, datasets=["endpoints"])
    assert by_command.splitlines()[0] == (exported / "KARE_endpoints.csv").read_bytes().splitlines()[0]
    assert by_command == (exported / "KARE_endpoints.csv").read_bytes()


def test_every_endpoint_row_has_the_participants_site_and_sex_and_the_factors_come_last(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["endpoints"]) / "KARE_endpoints.csv")
    header = rows[0]
    assert header[-4:] == ["site", "sex", "drug", "therapy"]
    with open(DATA / "participants.csv", newline="") as handle:
        people = {p["study_id"]: p for p in csv.DictReader(handle)}
    for row in rows[1:]:
        person = people[row[0]]
        assert row[-4:] == [person["site"], person["sex"], person["drug"], person["therapy"]]


@pytest.mark.parametrize("setting", ["stratify_by", "minimise_over"])
def test_the_endpoint_table_has_a_column_for_everything_a_protocol_may_stratify_by(imported, tmp_path, setting):
    from typing import get_args

    from outcomes.exports.tables import STRATUM_COLUMNS
    from trials.protocol.design import RandomisationSpec

    [allowed] = get_args(RandomisationSpec.model_fields[setting].annotation)
    assert set(get_args(allowed)) <= set(STRATUM_COLUMNS)
    header = read_csv(export(tmp_path, "csv", system=True, datasets=["endpoints"]) / "KARE_endpoints.csv")[0]
    assert set(STRATUM_COLUMNS) <= set(header)


def test_adsl_has_cdisc_names_the_arm_the_treatments_and_the_population_flags(imported, tmp_path):
    rows = _rows(export(tmp_path, "csv", datasets=["adsl"]) / "KARE_adsl.csv")
    assert all(name == name.upper() and len(name) <= 8 for name in rows[0])
    first = next(r for r in rows if r["SUBJID"] == CLINIC_ID)  # infused once at V2 (the fixture)
    assert (first["ARM"], first["ARMCD"], first["TRT01P"], first["TRT01A"]) == (
        "Ketamine + therapy",
        "KT",
        "Ketamine + therapy",
        "Ketamine + therapy",
    )
    assert (first["RANDFL"], first["ITTFL"], first["SAFFL"], first["PPROTFL"]) == ("Y", "Y", "Y", "N")
    assert (first["NINFUS"], first["NINFCMP"], first["NSESS"]) == ("1", "1", "0")
    other = next(r for r in rows if r["SUBJID"] == "K03001")  # imported: nothing received
    assert (other["ARMCD"], other["TRT01P"], other["TRT01A"]) == ("KE", "Ketamine + education", "")
    assert (other["RANDFL"], other["ITTFL"], other["SAFFL"], other["PPROTFL"]) == ("Y", "Y", "N", "N")
    assert {r["AGEU"] for r in rows} == {""}  # the imported participants have no age


@pytest.mark.parametrize(
    ("role", "blinded"),
    [("monitor", False), ("investigator", False), ("unblinded_statistician", True), (None, False)],
    ids=["monitor", "investigator", "statistician-asking-blinded", "system"],
)
def test_a_blinded_export_has_no_arm_treatment_or_factor_column(imported, make_user, tmp_path, role, blinded):
    user = make_user(role, imported) if role else None
    datasets = ["endpoints", "adsl", "adtte", "dictionary"]
    out = export(tmp_path, "csv", user=user, system=user is None, datasets=datasets, blinded=blinded)
    for dataset in datasets[:3]:
        header = set(read_csv(out / f"KARE_{dataset}.csv")[0])
        assert header.isdisjoint(ARM_COLUMNS | FACTOR_COLUMNS), dataset
    assert {"SAFFL", "PPROTFL", "NINFUS"} <= set(read_csv(out / "KARE_adsl.csv")[0])
    variables = {row[1] for row in read_csv(out / "KARE_dictionary.csv")[1:]}
    assert variables.isdisjoint(ARM_COLUMNS | FACTOR_COLUMNS)


def test_a_file_with_one_factor_of_two_has_the_factor_but_no_arm_or_treatment(imported, make_user, tmp_path):
    # the unblinded statistician at exeter is london's pharmacist: the drug is seen at both sites
    person = two_site_person(make_user, imported, "unblinded_statistician", "pharmacist")
    out = export(tmp_path, "csv", user=person, datasets=["adsl", "adtte"])
    for dataset in ("adsl", "adtte"):
        header = set(read_csv(out / f"KARE_{dataset}.csv")[0])
        assert "DRUG" in header, dataset
        assert header.isdisjoint(ARM_COLUMNS | {"THERAPY"}), dataset


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_stata_and_spss_read_back_every_coded_variable_labelled(imported, tmp_path, fmt):
    out = export(tmp_path, fmt, datasets=["endpoints", "adsl"])
    frame, meta = read_stat(out / f"KARE_endpoints.{fmt}")
    labels = meta.variable_value_labels
    assert labels["site"] == {1: "exeter", 2: "london"}
    assert labels["sex"] == {1: "M", 2: "F"}
    assert labels["psnhdd_responder"] == {0: "no", 1: "yes"}
    assert labels["who_level"][4] == "very high"
    assert meta.column_names_to_labels["site"] == "Study site identifier"
    text = read_csv(export(tmp_path, "csv", datasets=["endpoints"]) / "KARE_endpoints.csv")
    header = text[0]
    for name in ("site", "sex", "drug", "therapy"):
        assert list(frame[name]) == [r[header.index(name)] for r in text[1:]], name
    adsl, meta = read_stat(out / f"KARE_adsl.{fmt}")
    for name in ("RANDFL", "ITTFL", "SAFFL", "PPROTFL"):
        assert meta.variable_value_labels[name] == {1: "Y", 2: "N"}, name
    assert meta.variable_value_labels["ARMCD"] == {1: "KT", 2: "KE", 3: "PT", 4: "PE"}
    assert list(adsl["SAFFL"]) == ["Y", "N", "N", "N", "N", "N"]
    assert list(adsl["SITEID"]) == ["exeter", "london", "london", "london", "exeter", "exeter"]
    assert list(adsl["DRUG"])[:2] == ["ketamine", "ketamine"]


def test_the_dictionary_gives_the_meaning_of_every_coded_value(imported, tmp_path):
    rows = read_csv(export(tmp_path, "csv", datasets=["dictionary"]) / "KARE_dictionary.csv")
    values = {(r[0], r[1]): r[5] for r in rows[1:]}
    assert values[("endpoints", "site")] == "exeter=Exeter; london=London"
    assert values[("endpoints", "sex")] == "M=Male; F=Female"
    assert values[("endpoints", "psnhdd_responder")] == "0=no; 1=yes"
    assert values[("adsl", "SAFFL")] == "Y=yes; N=no"
    assert values[("adsl", "ARMCD")].startswith("KT=Ketamine + therapy; ")
    assert values[("adsl", "DRUG")].startswith("ketamine=Ketamine 0.8 mg/kg")
    assert values[("adtte", "SITEID")] == "exeter=Exeter; london=London"
    assert values[("drinking", "source")].startswith("tlfb=Timeline Follow-Back interview")
    assert values[("signatures", "valid")] == "0=no; 1=yes"


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_a_table_without_rows_is_written_with_its_value_labels(imported, tmp_path, fmt):
    """A coded column without a value was once declared text, and its numeric labels refused."""
    frame, meta = read_stat(export(tmp_path, fmt, datasets=["signatures"]) / f"KARE_signatures.{fmt}")
    assert len(frame) == 0
    assert meta.variable_value_labels["valid"] == {0: "no", 1: "yes"}
    assert meta.variable_value_labels["site"] == {1: "exeter", 2: "london"}
