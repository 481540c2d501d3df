"""The clinical data as ODM 1.3.2 and the tables as Dataset-JSON 1.1, valid against the official
schemas (copied into the project, under outcomes/exports/standards/)."""

from __future__ import annotations

import json

import jsonschema
import pytest
from lxml import etree

from tests.outcomes.exports.conftest import STANDARDS, export, read_csv

pytestmark = pytest.mark.django_db
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture(scope="module")
def odm_schema():
    return etree.XMLSchema(etree.parse(str(STANDARDS / "odm-1.3.2" / "ODM1-3-2.xsd")))


@pytest.fixture(scope="module")
def dataset_json_validator():
    schema = json.loads((STANDARDS / "dataset-json-1.1.schema.json").read_text())
    return jsonschema.Draft201909Validator(schema)


def test_the_odm_file_is_valid_odm_1_3_2(imported, tmp_path, odm_schema):
    doc = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml"))
    odm_schema.assertValid(doc)
    root = doc.getroot()
    assert (root.get("ODMVersion"), root.get("FileType")) == ("1.3.2", "Transactional")
    subjects = root.findall(f"{ODM}ClinicalData/{ODM}SubjectData")
    assert [s.get("SubjectKey") for s in subjects] == ["K03000", "K03001", "K03002", "K03003", "K03004", "K03005"]
    drinking = root.findall(f".//{ODM}ItemGroupData[@ItemGroupOID='IG.DRINKING']")
    assert len(drinking) == 1336
    # the groups of an infusion visit and what follows it are in the file that was validated
    records = {
        g: {e.get("ItemGroupRepeatKey") for e in root.findall(f".//{ODM}ItemGroupData[@ItemGroupOID='IG.{g}']")}
        for g in ("VITALS", "DEVIATION")
    }
    assert {g: len(keys) for g, keys in records.items()} == {"VITALS": 3, "DEVIATION": 3}
    assert root.find(f".//{ODM}ItemGroupData[@ItemGroupOID='IG.AE']/{ODM}ItemData[@ItemOID='IT.SERIOUS']") is not None


def test_the_odm_file_carries_study_metadata_and_an_audit_record_per_change(imported, tmp_path, odm_schema):
    root = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml")).getroot()
    meta = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    events = [e.get("OID") for e in meta.findall(f"{ODM}StudyEventDef")]
    assert events[:3] == ["SE.ENROLMENT", "SE.V1", "SE.V2"]
    assert meta.find(f"{ODM}CodeList[@OID='CL.drug']") is not None
    assert root.find(f"{ODM}AdminData/{ODM}Location[@OID='LOC.exeter']") is not None
    for group in root.iter(f"{ODM}ItemGroupData"):
        record = group.find(f"{ODM}AuditRecord")
        assert record is not None
        assert record.find(f"{ODM}UserRef").get("UserOID").startswith("USR.")
        assert record.find(f"{ODM}DateTimeStamp").text
    randomisation = root.find(
        f".//{ODM}SubjectData[@SubjectKey='K03000']//{ODM}ItemGroupData[@ItemGroupOID='IG.RANDOMISATION']"
    )
    items = {i.get("ItemOID"): i.get("Value") for i in randomisation.findall(f"{ODM}ItemData")}
    assert items["IT.ALLOCATED_ON"] == "2024-07-08"
    assert (items["IT.FACTOR_DRUG"], items["IT.FACTOR_THERAPY"], items["IT.ARM"]) == ("ketamine", "therapy", "KT")


@pytest.mark.postgres
def test_on_postgres_the_odm_audit_records_come_from_the_audit_trail(imported, tmp_path, odm_schema, admin_user):
    from core import audit
    from outcomes.models import DrinkingRecord

    record = DrinkingRecord.objects.filter(participant__study_id="K03000").order_by("day").first()
    with audit.context(actor=admin_user, reason="transcription error"):
        DrinkingRecord.objects.filter(pk=record.pk).update(grams=record.grams + 1, amount=record.amount + 1, unit="g")
    doc = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml"))
    odm_schema.assertValid(doc)
    groups = doc.getroot().findall(
        f".//{ODM}ItemGroupData[@ItemGroupOID='IG.DRINKING'][@ItemGroupRepeatKey='{record.pk}']"
    )
    assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
    update = groups[1]
    assert update.find(f"{ODM}AuditRecord/{ODM}ReasonForChange").text == "transcription error"
    assert update.find(f"{ODM}AuditRecord/{ODM}UserRef").get("UserOID") == f"USR.{admin_user.pk}"
    changed = {i.get("ItemOID") for i in update.findall(f"{ODM}ItemData")}
    assert "IT.GRAMS" in changed
    assert "IT.DAY" not in changed


@pytest.mark.parametrize("dataset", ["endpoints", "adsl", "adtte", "drinking", "dictionary"])
def test_each_table_is_valid_dataset_json_1_1_with_the_csv_rows(imported, tmp_path, dataset_json_validator, dataset):
    out = export(tmp_path, "dataset-json", datasets=[dataset])
    doc = json.loads((out / f"KARE_{dataset}.json").read_text())
    dataset_json_validator.validate(doc)
    rows = read_csv(export(tmp_path, "csv", datasets=[dataset]) / f"KARE_{dataset}.csv")
    assert [c["name"] for c in doc["columns"]] == rows[0]
    assert doc["records"] == len(doc["rows"]) == len(rows) - 1
    for got, want in zip(doc["rows"], rows[1:], strict=True):
        as_text = ["" if v is None else ("1" if v is True else "0" if v is False else str(v)) for v in got]
        assert as_text == want


def test_dataset_json_types_follow_the_standard(imported, tmp_path, dataset_json_validator):
    doc = json.loads((export(tmp_path, "dataset-json", datasets=["endpoints"]) / "KARE_endpoints.json").read_text())
    types = {c["name"]: c["dataType"] for c in doc["columns"]}
    assert (types["study_id"], types["assessed_days"], types["pda"]) == ("string", "integer", "decimal")
    first = dict(zip([c["name"] for c in doc["columns"]], doc["rows"][0], strict=True))
    assert first["pda"] == "37.04"  # decimals as strings: no digit lost
    assert first["assessed_days"] == 81
    assert doc["columns"][0]["keySequence"] == 1
