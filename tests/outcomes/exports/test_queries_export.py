"""Data queries in the ODM file: each query on a record is an ``Annotation`` of the record's last
``ItemGroupData`` (its thread as a comment, its state as a flag of a code list the metadata
defines), the file stays valid ODM 1.3.2 with signatures in it too, and the queries are scoped and
blinded as their records: none on a dose for one blind to the drug, none of another site."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from outcomes.exports import export_scope, odm
from outcomes.models import DrinkingRecord
from outcomes.services import drinking_days_record
from outcomes.services.days import DayEntry
from participants.models import InfusionSession, Participant
from review.queries import services as queries
from review.records import record_of
from review.signing import signature_sign
from tests.conftest import PASSWORD
from tests.core.conftest import code_for
from tests.outcomes.exports.conftest import CLINIC_ID, STANDARDS, export

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
DOSE_TEXT = "The computed dose of this infusion looks high for the weight"
LONDON_TEXT = "The London calendar shows a different amount"


@pytest.fixture(scope="module")
def odm_schema():
    return etree.XMLSchema(etree.parse(str(STANDARDS / "odm-1.3.2" / "ODM1-3-2.xsd")))


def _first_day(study_id: str) -> DrinkingRecord:
    return DrinkingRecord.objects.filter(participant__study_id=study_id, source="tlfb").order_by("day").first()


@pytest.fixture
def queried(imported, make_user, nurse, data_manager):
    """On :data:`CLINIC_ID`: a drinking day corrected, then queried by a monitor and commented on by
    the site (open, two messages); the infusion queried on its breath alcohol, answered and closed
    (closed), then queried by an edit check on its dose (open); the casebook signed. At London, a
    day queried by the data manager."""
    from core.services import totp_confirm, totp_enrol

    participant = Participant.objects.get(trial=imported, study_id=CLINIC_ID)
    monitor = make_user("monitor", imported, sites=["exeter"])
    day = _first_day(CLINIC_ID)
    corrected = DayEntry(day=day.day, amount=day.amount + 1, unit=day.unit, reason="one more on the calendar")
    drinking_days_record(actor=nurse, participant=participant, days=[corrected])  # an Update after the Insert
    on_day = queries.query_raise(
        actor=monitor, kind="drinking_day", record_id=day.pk, item="grams", text="The source says 3 units."
    )
    queries.query_comment(actor=nurse, query=on_day, text="Checking the calendar with the participant.")
    infusion = InfusionSession.objects.get(visit__appointment__participant=participant)
    on_infusion = queries.query_raise(
        actor=data_manager, kind="infusion", record_id=infusion.pk, item="breath_alcohol", text="Was it measured?"
    )
    queries.query_answer(actor=nurse, query=on_infusion, text="Yes: 0.00 on the device.")
    queries.query_close(actor=data_manager, query=on_infusion)
    on_dose = queries.query_raise_automatic(record=record_of(infusion), item="dose_mg", check="dose", text=DOSE_TEXT)
    london = _first_day("K03001")
    queries.query_raise(actor=data_manager, kind="drinking_day", record_id=london.pk, item="", text=LONDON_TEXT)
    investigator = make_user("investigator", imported, sites=["exeter"], first_name="Grace", last_name="Hopper")
    device = totp_confirm(user=investigator, code=code_for(totp_enrol(user=investigator)))
    signature_sign(
        actor=investigator, participant=participant, password=PASSWORD, otp_code=code_for(device), meaning="review"
    )
    return {"day": day, "infusion": infusion, "monitor": monitor, "on_day": on_day, "on_dose": on_dose}


def _export(tmp_path, **options):
    path = export(tmp_path, "odm", **options) / "KARE_clinical.xml"
    return etree.parse(str(path)), path.read_text(encoding="utf-8")


def _records(root, oid: str, key: str | None = None) -> list:
    """The ``ItemGroupData`` of one record of :data:`CLINIC_ID`, in the file's order."""
    subject = root.find(f"{ODM}ClinicalData/{ODM}SubjectData[@SubjectKey='{CLINIC_ID}']")
    groups = subject.findall(f".//{ODM}ItemGroupData[@ItemGroupOID='{oid}']")
    return [g for g in groups if key is None or g.get("ItemGroupRepeatKey") == key]


def _annotations(group) -> list[tuple[str, str, str, str, list[str]]]:
    """Each annotation as (SeqNum, SponsorOrSite, state, type, the comment's lines)."""
    out = []
    for a in group.findall(f"{ODM}Annotation"):
        comment, flag = a.find(f"{ODM}Comment"), a.find(f"{ODM}Flag")
        value, kind = flag.find(f"{ODM}FlagValue"), flag.find(f"{ODM}FlagType")
        assert (value.get("CodeListOID"), kind.get("CodeListOID")) == ("CL.QUERY_STATE", "CL.ANNOTATION_TYPE")
        out.append((a.get("SeqNum"), comment.get("SponsorOrSite"), value.text, kind.text, comment.text.split("\n")))
    return out


def _thread(lines: list[str]) -> list[str]:
    """The thread's lines without their time stamps."""
    return [line.split(" ", 1)[1] for line in lines[1:]]


def test_the_queries_are_annotations_of_their_records_current_state_in_a_valid_file(
    queried, tmp_path, odm_schema, nurse, data_manager
):
    doc, _text = _export(tmp_path)
    odm_schema.assertValid(doc)
    root = doc.getroot()
    meta = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    states = meta.find(f"{ODM}CodeList[@OID='CL.QUERY_STATE']")
    assert states.get("DataType") == "text"
    assert [i.get("CodedValue") for i in states] == ["open", "answered", "closed", "reopened"]
    assert all(i.findtext(f"{ODM}Decode/{ODM}TranslatedText") for i in states)
    kinds = meta.find(f"{ODM}CodeList[@OID='CL.ANNOTATION_TYPE']")
    assert [i.get("CodedValue") for i in kinds] == ["query", "missing"]
    assert root.find(f".//{ODM}SubjectData[@SubjectKey='{CLINIC_ID}']/{ODM}Signature") is not None

    inserted, updated = _records(root, "IG.DRINKING", str(queried["day"].pk))
    assert (inserted.get("TransactionType"), updated.get("TransactionType")) == ("Insert", "Update")
    assert inserted.find(f"{ODM}Annotation") is None
    assert [etree.QName(c).localname for c in updated] == ["AuditRecord", "Annotation", "ItemData", "ItemData"]
    ((seq, side, state, kind, lines),) = _annotations(updated)
    assert (seq, side, state, kind) == ("1", "Sponsor", "open", "query")
    assert lines[0] == "On IT.GRAMS (Grams of alcohol)."
    assert _thread(lines) == [
        f"monitor (USR.{queried['monitor'].pk}), raised: The source says 3 units.",
        f"coordinator (USR.{nurse.pk}), comment: Checking the calendar with the participant.",
    ]
    assert lines[1].startswith(queried["on_day"].created_at.date().isoformat())

    infusion = _records(root, "IG.INFUSION")
    assert all(g.find(f"{ODM}Annotation") is None for g in infusion[:-1])
    closed, dose = _annotations(infusion[-1])
    assert closed[:4] == ("1", "Sponsor", "closed", "query")
    assert closed[4][0] == "On IT.BREATH_ALCOHOL (Breath alcohol)."
    assert _thread(closed[4]) == [
        f"data manager (USR.{data_manager.pk}), raised: Was it measured?",
        f"coordinator (USR.{nurse.pk}), answered: Yes: 0.00 on the device.",
        f"data manager (USR.{data_manager.pk}), closed: Closed.",
    ]
    assert dose[:4] == ("2", "Sponsor", "open", "query")
    assert dose[4][0] == "On IT.DOSE_MG (Dose)."
    assert _thread(dose[4]) == [f"edit check dose, raised: {DOSE_TEXT}"]


def test_a_record_without_queries_carries_no_annotation(queried, tmp_path):
    doc, text = _export(tmp_path)
    annotated = [g for g in doc.getroot().iter(f"{ODM}ItemGroupData") if g.find(f"{ODM}Annotation") is not None]
    london = _first_day("K03001")
    assert sorted((g.get("ItemGroupOID"), g.get("ItemGroupRepeatKey")) for g in annotated) == sorted(
        [
            ("IG.DRINKING", str(queried["day"].pk)),
            ("IG.INFUSION", None),
            ("IG.DRINKING", str(london.pk)),
        ]
    )
    assert LONDON_TEXT in text  # every site's, for one who exports every site


def test_one_blind_to_the_drug_gets_no_query_on_a_dose_nor_another_sites_queries(queried, tmp_path, odm_schema):
    doc, text = _export(tmp_path, user=queried["monitor"])  # a monitor at Exeter: blinded, one site
    odm_schema.assertValid(doc)
    ((seq, _side, state, _kind, lines),) = _annotations(_records(doc.getroot(), "IG.INFUSION")[-1])
    assert (seq, state, lines[0]) == ("1", "closed", "On IT.BREATH_ALCOHOL (Breath alcohol).")
    assert DOSE_TEXT not in text
    assert "DOSE_MG" not in text
    assert LONDON_TEXT not in text
    assert len(list(doc.getroot().iter(f"{ODM}Annotation"))) == 2


def test_a_statistician_asking_for_a_blinded_file_gets_no_query_on_a_dose(queried, tmp_path):
    _doc, text = _export(tmp_path, blinded=True)
    assert DOSE_TEXT not in text
    assert "Was it measured?" in text


def test_a_reopened_query_is_flagged_reopened_with_its_reason(queried, tmp_path, nurse, data_manager):
    day = queried["day"]
    on_unit = queries.query_raise(actor=data_manager, kind="drinking_day", record_id=day.pk, item="unit", text="Which?")
    queries.query_answer(actor=nurse, query=on_unit, text="UK units.")
    queries.query_reopen(actor=data_manager, query=on_unit, text="The source says grams.")
    doc, _text = _export(tmp_path)
    on_grams, reopened = _annotations(_records(doc.getroot(), "IG.DRINKING", str(day.pk))[-1])
    assert (on_grams[0], on_grams[2], reopened[0], reopened[2]) == ("1", "open", "2", "reopened")
    assert reopened[4][0] == "On IT.UNIT (Unit)."
    assert _thread(reopened[4])[-1] == f"data manager (USR.{data_manager.pk}), re-opened: The source says grams."


def test_the_queries_are_read_a_batch_at_a_time_not_one_per_record(
    queried, tmp_path, data_manager, django_assert_max_num_queries
):
    scope = export_scope(user=None, trial=queried["day"].participant.trial)
    with CaptureQueriesContext(connection) as few:
        odm.write(scope, str(tmp_path / "few.xml"))
    for study_id in ("K03002", "K03004", "K03005"):
        day = _first_day(study_id)
        query = queries.query_raise(actor=data_manager, kind="drinking_day", record_id=day.pk, text="Really?")
        queries.query_comment(actor=data_manager, query=query, text="The source is unclear.")
    with django_assert_max_num_queries(len(few)):
        odm.write(scope, str(tmp_path / "more.xml"))
    # the fixture's four and these three, less the one on the dose: the system's file carries no factor
    assert (tmp_path / "more.xml").read_text(encoding="utf-8").count("<Annotation ") == 6
