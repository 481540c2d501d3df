"""Items left empty with a reason (core.missing) in every export: a drinking day the participant
cannot remember, and one the interview did not cover, have no grams and carry their reason as each
format says it (a null flavour column, Stata's extended missing values, SPSS's user-missing codes,
SAS's special missing values, ODM's IsNull with an annotation); a visit's empty "seen by" with a
reason too."""

from __future__ import annotations

import datetime as dt
import json
import math

import jsonschema
import pytest
from lxml import etree

from outcomes.models import DrinkingRecord
from outcomes.services import DayEntry, drinking_days_record
from participants.models import Participant, Visit
from review.missing import missing_reasons_record
from tests.outcomes.exports.conftest import CLINIC_ID, STANDARDS, export, read_csv

pytestmark = pytest.mark.django_db
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
UNKNOWN_DAY = dt.date(2024, 11, 5)  # after the example's last day of CLINIC_ID
NOTE = "cannot recall the weekend"
FLAVOUR_LABELS = "NASK=Not done; UNK=Unknown; NA=Not applicable; ASKU=Declined"


@pytest.fixture
def reasons(imported, nurse):
    """:data:`CLINIC_ID`'s day :data:`UNKNOWN_DAY` entered as not remembered (with a note), its
    first recorded day changed to not done (no note), and its V2's "seen by" empty: not done."""
    participant = Participant.objects.get(trial=imported, study_id=CLINIC_ID)
    first = DrinkingRecord.objects.filter(participant=participant, source="tlfb").order_by("day").first()
    drinking_days_record(
        actor=nurse,
        participant=participant,
        days=[
            DayEntry(day=UNKNOWN_DAY, amount=None, unit="g", missing="unknown", note=NOTE),
            DayEntry(day=first.day, amount=None, unit="g", missing="not_done", reason="that week was not asked"),
        ],
    )
    visit = Visit.objects.get(appointment__participant=participant, appointment__event_code="V2")
    Visit.objects.filter(pk=visit.pk).update(seen_by=None)
    missing_reasons_record(
        actor=nurse, kind="visit", record_id=visit.pk, given={"seen_by": {"code": "not_done", "note": ""}}
    )
    return {"unknown": UNKNOWN_DAY, "not_done": first.day, "visit": visit}


def _by_day(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:] if r[0] == CLINIC_ID and r[-1] == "tlfb"}


def test_the_csv_has_empty_grams_and_the_reasons_null_flavour(reasons, tmp_path):
    out = export(tmp_path, "csv", datasets=["drinking", "dictionary"])
    rows = read_csv(out / "KARE_drinking.csv")
    assert rows[0] == ["study_id", "date", "study_day", "grams", "grams_nf", "source"]
    days = _by_day(rows)
    unknown, not_done = days[str(reasons["unknown"])], days[str(reasons["not_done"])]
    assert (unknown["grams"], unknown["grams_nf"]) == ("", "UNK")
    assert (not_done["grams"], not_done["grams_nf"]) == ("", "NASK")
    others = [r for r in rows[1:] if r[1] not in (str(reasons["unknown"]), str(reasons["not_done"]))]
    assert all(r[3] != "" and r[4] == "" for r in others)
    dictionary = {(r[0], r[1]): r for r in read_csv(out / "KARE_dictionary.csv")[1:]}
    assert dictionary[("drinking", "grams_nf")][2:] == [
        "GRAMSNF",
        "Why grams is empty (null flavour)",
        "string",
        FLAVOUR_LABELS,
    ]


@pytest.mark.postgres
def test_on_postgres_copy_batches_and_rows_give_the_same_csv_with_reasons(reasons):
    from outcomes.exports import tabular
    from outcomes.exports.policy import export_scope
    from outcomes.exports.tables import drinking_table

    table = drinking_table(export_scope(user=None, trial=reasons["visit"].appointment.participant.trial))
    counters = [[0], [0], [0]]
    by_copy = b"".join(tabular.csv_chunks(table, counters[0]))
    del table.meta["copy"]
    by_batches = b"".join(tabular.csv_chunks(table, counters[1]))
    del table.meta["batches"]
    by_rows = b"".join(tabular.csv_chunks(table, counters[2]))
    assert by_copy == by_batches == by_rows
    assert f"{CLINIC_ID},{reasons['unknown']},121,,UNK,tlfb\n".encode() in by_copy
    assert counters == [[1337]] * 3


def test_dataset_json_has_null_grams_and_the_flavour_and_stays_valid(reasons, tmp_path):
    doc = json.loads((export(tmp_path, "dataset-json", datasets=["drinking"]) / "KARE_drinking.json").read_text())
    schema = json.loads((STANDARDS / "dataset-json-1.1.schema.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(doc)
    names = [c["name"] for c in doc["columns"]]
    assert doc["columns"][names.index("grams_nf")]["dataType"] == "string"
    rows = {(r[0], r[1], r[-1]): dict(zip(names, r, strict=True)) for r in doc["rows"]}
    unknown = rows[(CLINIC_ID, str(reasons["unknown"]), "tlfb")]
    assert (unknown["grams"], unknown["grams_nf"]) == (None, "UNK")
    assert rows[(CLINIC_ID, str(reasons["not_done"]), "tlfb")]["grams_nf"] == "NASK"


def _row(frame, day: dt.date, date_column: str = "date") -> int:
    dates = [d.isoformat() if hasattr(d, "isoformat") else str(d) for d in frame[date_column]]
    subjects = list(frame[frame.columns[0]])
    return next(i for i, (s, d) in enumerate(zip(subjects, dates, strict=True)) if s == CLINIC_ID and d == str(day))


def test_stata_writes_the_reasons_as_labelled_extended_missing_values(reasons, tmp_path):
    import pyreadstat

    path = str(export(tmp_path, "dta", datasets=["drinking"]) / "KARE_drinking.dta")
    frame, meta = pyreadstat.read_dta(path, user_missing=True)
    unknown, not_done = _row(frame, reasons["unknown"]), _row(frame, reasons["not_done"])
    assert (frame["grams"][unknown], frame["grams"][not_done]) == ("u", "n")
    assert (frame["grams_nf"][unknown], frame["grams_nf"][not_done]) == ("UNK", "NASK")
    assert meta.variable_value_labels["grams"] == {
        "n": "Not done",
        "u": "Unknown",
        "a": "Not applicable",
        "d": "Declined",
    }
    labelled, _ = pyreadstat.read_dta(path, user_missing=True, apply_value_formats=True)
    assert (labelled["grams"][unknown], labelled["grams"][not_done]) == ("Unknown", "Not done")
    plain, _ = pyreadstat.read_dta(path)
    assert math.isnan(plain["grams"][unknown])
    assert plain["grams"][_row(frame, reasons["unknown"] - dt.timedelta(days=1))] >= 0  # a day with an amount


def test_spss_writes_the_reasons_as_labelled_user_missing_codes(reasons, tmp_path):
    import pyreadstat

    path = str(export(tmp_path, "sav", datasets=["drinking"]) / "KARE_drinking.sav")
    frame, meta = pyreadstat.read_sav(path, user_missing=True)
    unknown, not_done = _row(frame, reasons["unknown"]), _row(frame, reasons["not_done"])
    assert (frame["grams"][unknown], frame["grams"][not_done]) == (-92, -91)
    assert meta.missing_ranges["grams"] == [{"lo": -99, "hi": -91}]
    assert meta.variable_value_labels["grams"] == {
        -91: "Not done",
        -92: "Unknown",
        -93: "Not applicable",
        -94: "Declined",
    }
    labelled, _ = pyreadstat.read_sav(path, user_missing=True, apply_value_formats=True)
    assert (labelled["grams"][unknown], labelled["grams"][not_done]) == ("Unknown", "Not done")
    plain, _ = pyreadstat.read_sav(path)  # user-missing read as missing: never a negative amount
    assert math.isnan(plain["grams"][unknown])
    assert math.isnan(plain["grams"][not_done])
    assert (plain["grams"].dropna() >= 0).all()


def test_sas_transport_writes_the_reasons_as_special_missing_values(reasons, tmp_path):
    import pyreadstat
    from pyreadstat._readstat_parser import parser_entry_point  # read_xport does not offer user_missing

    path = str(export(tmp_path, "xpt", datasets=["drinking"]) / "KARE_drinking.xpt")
    frame, meta = parser_entry_point(path, "xport", user_missing=True)
    unknown, not_done = _row(frame, reasons["unknown"], "DATE"), _row(frame, reasons["not_done"], "DATE")
    assert (frame["GRAMS"][unknown], frame["GRAMS"][not_done]) == ("U", "N")
    assert (frame["GRAMSNF"][unknown], frame["GRAMSNF"][not_done]) == ("UNK", "NASK")
    assert {v for v in frame["GRAMS"] if isinstance(v, str)} == {"U", "N"}
    plain, meta = pyreadstat.read_xport(path)
    assert math.isnan(plain["GRAMS"][unknown])
    assert math.isnan(plain["GRAMS"][not_done])
    assert meta.column_names == ["SUBJID", "DATE", "STUDYDAY", "GRAMS", "GRAMSNF", "SOURCE"]
    assert len(plain) == 1337


def _odm(tmp_path):
    doc = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml"))
    subject = doc.getroot().find(f"{ODM}ClinicalData/{ODM}SubjectData[@SubjectKey='{CLINIC_ID}']")
    return doc, subject


def _last_item(subject, group: str, key: str | None, item: str):
    """The last ``ItemData`` of ``item`` in the record's ``ItemGroupData`` (its value as it stands)."""
    keyed = f"[@ItemGroupRepeatKey='{key}']" if key else ""
    path = f".//{ODM}ItemGroupData[@ItemGroupOID='{group}']{keyed}/{ODM}ItemData[@ItemOID='{item}']"
    return subject.findall(path)[-1]


def _reason(item) -> tuple[str | None, str, str, str, str, str]:
    """(IsNull, SeqNum, SponsorOrSite, the comment, the flag's value, its type) of an item's reason."""
    (annotation,) = item.findall(f"{ODM}Annotation")
    comment = annotation.find(f"{ODM}Comment")
    value, kind = annotation.find(f"{ODM}Flag/{ODM}FlagValue"), annotation.find(f"{ODM}Flag/{ODM}FlagType")
    assert (value.get("CodeListOID"), kind.get("CodeListOID")) == ("CL.NULLFLAVOR", "CL.ANNOTATION_TYPE")
    return (
        item.get("IsNull"),
        annotation.get("SeqNum"),
        comment.get("SponsorOrSite"),
        comment.text,
        value.text,
        kind.text,
    )


def test_odm_marks_an_item_empty_with_a_reason_is_null_with_its_annotation(reasons, tmp_path):
    doc, subject = _odm(tmp_path)
    etree.XMLSchema(etree.parse(str(STANDARDS / "odm-1.3.2" / "ODM1-3-2.xsd"))).assertValid(doc)
    unknown = DrinkingRecord.objects.get(participant__study_id=CLINIC_ID, day=reasons["unknown"])
    (inserted,) = subject.findall(f".//{ODM}ItemGroupData[@ItemGroupRepeatKey='{unknown.pk}']")
    assert inserted.get("TransactionType") == "Insert"
    for item in ("IT.AMOUNT", "IT.GRAMS"):  # the reason on the amount marks the grams too
        assert _reason(inserted.find(f"{ODM}ItemData[@ItemOID='{item}']")) == (
            "Yes",
            "1",
            "Site",
            NOTE,
            "UNK",
            "missing",
        )
    not_done = DrinkingRecord.objects.get(participant__study_id=CLINIC_ID, day=reasons["not_done"], source="tlfb")
    for item in ("IT.AMOUNT", "IT.GRAMS"):  # no note: the reason's label
        assert _reason(_last_item(subject, "IG.DRINKING", str(not_done.pk), item)) == (
            "Yes",
            "1",
            "Site",
            "Not done",
            "NASK",
            "missing",
        )
    seen_by = _last_item(subject, "IG.VISIT", None, "IT.SEEN_BY")
    assert _reason(seen_by) == ("Yes", "1", "Site", "Not done", "NASK", "missing")
    # an item with a value has no reason, and the reasons' column is no item
    assert not subject.findall(f".//{ODM}ItemData[@Value]/{ODM}Annotation")
    assert not doc.getroot().findall(f".//{ODM}ItemDef[@OID='IT.MISSING']")


def test_odm_metadata_has_the_null_flavours_and_the_missing_annotation_type(reasons, tmp_path):
    doc, _subject = _odm(tmp_path)
    meta = doc.getroot().find(f"{ODM}Study/{ODM}MetaDataVersion")
    flavours = meta.find(f"{ODM}CodeList[@OID='CL.NULLFLAVOR']")
    decoded = {i.get("CodedValue"): i.findtext(f"{ODM}Decode/{ODM}TranslatedText") for i in flavours}
    assert decoded == {"NASK": "Not done", "UNK": "Unknown", "NA": "Not applicable", "ASKU": "Declined"}
    kinds = meta.find(f"{ODM}CodeList[@OID='CL.ANNOTATION_TYPE']")
    assert [i.get("CodedValue") for i in kinds] == ["query", "missing"]
    assert meta.find(f"{ODM}ItemGroupDef[@OID='IG.VISIT']/{ODM}ItemRef[@ItemOID='IT.SEEN_BY']") is not None


@pytest.mark.postgres
def test_on_postgres_a_reason_given_later_is_an_update_of_the_empty_item(reasons, tmp_path, nurse):
    """The visit's "seen by" was empty from its insert; the reason came with a later event, which
    carries the item again (unchanged, empty) with the reason; the insert carries no such item."""
    _doc, subject = _odm(tmp_path)
    groups = subject.findall(
        f".//{ODM}StudyEventData[@StudyEventOID='SE.V2']//{ODM}ItemGroupData[@ItemGroupOID='IG.VISIT']"
    )
    assert groups[0].get("TransactionType") == "Insert"
    assert groups[0].find(f"{ODM}ItemData[@ItemOID='IT.SEEN_BY']") is None
    carrying = [g for g in groups if g.find(f"{ODM}ItemData[@ItemOID='IT.SEEN_BY']") is not None]
    assert [g.get("TransactionType") for g in carrying] == ["Update"]
    assert carrying[0].find(f"{ODM}AuditRecord/{ODM}UserRef").get("UserOID") == f"USR.{nurse.pk}"
    assert [i.get("ItemOID") for i in carrying[0].findall(f"{ODM}ItemData")] == ["IT.SEEN_BY"]
