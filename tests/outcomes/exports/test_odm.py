"""What the ODM file carries beyond its schema: the vital signs of an infusion, the protocol
deviations, the adverse events' seriousness and reporting, who entered a participant's own diary
day, and what a blinded file leaves out. The data are the example's (see conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from outcomes.exports import export_scope, odm
from participants.models import AdverseEvent, Deviation, DeviationKind, DictionaryTerm, Participant, VitalSigns
from participants.safety.coding import adverse_event_code
from participants.safety.dictionaries import dictionary_load
from tests.outcomes.exports.conftest import CLINIC_ID, STAFF_TEXT, STANDARDS, VISIT_DAY, export, infusion_visit

pytestmark = pytest.mark.django_db
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture(scope="module")
def odm_schema():
    return etree.XMLSchema(etree.parse(str(STANDARDS / "odm-1.3.2" / "ODM1-3-2.xsd")))


def _root(tmp_path, **options):
    return etree.parse(str(export(tmp_path, "odm", **options) / "KARE_clinical.xml")).getroot()


def _groups(root, oid: str, study_id: str = CLINIC_ID, within: str = "") -> list:
    subject = root.find(f"{ODM}ClinicalData/{ODM}SubjectData[@SubjectKey='{study_id}']")
    return subject.findall(f".//{within}{ODM}ItemGroupData[@ItemGroupOID='{oid}']")


def _items(group) -> dict[str, str]:
    return {i.get("ItemOID").removeprefix("IT."): i.get("Value") for i in group.findall(f"{ODM}ItemData")}


def _user(group) -> str:
    return group.find(f"{ODM}AuditRecord/{ODM}UserRef").get("UserOID")


def _state(groups) -> dict[str, tuple[dict[str, str], str]]:
    """Each record's items as its events leave them (one ``Insert`` on SQLite; on PostgreSQL an
    ``Update`` per change after it), with who inserted it, by repeat key."""
    out: dict[str, tuple[dict[str, str], str]] = {}
    for group in groups:
        key = group.get("ItemGroupRepeatKey")
        items, author = out.get(key, ({}, _user(group)))
        out[key] = ({**items, **_items(group)}, author)
    return out


def test_each_vital_signs_reading_is_a_repeat_in_the_infusion_visits_form(imported, tmp_path, nurse):
    root = _root(tmp_path)
    visit_form = f"{ODM}StudyEventData[@StudyEventOID='SE.V2']/{ODM}FormData[@FormOID='F.VISIT']/"
    readings = _groups(root, "IG.VITALS", within=visit_form)
    expected = list(VitalSigns.objects.filter(infusion__visit__appointment__participant__study_id=CLINIC_ID))
    assert [g.get("ItemGroupRepeatKey") for g in readings] == [str(v.pk) for v in expected]
    assert [_items(g) for g in readings] == [
        {"PHASE": "before", "MINUTE": "-10", "SYSTOLIC": "122", "DIASTOLIC": "78", "HEART_RATE": "70", "SPO2": "98"},
        {"PHASE": "during", "MINUTE": "15", "SYSTOLIC": "186", "DIASTOLIC": "96", "HEART_RATE": "91", "SPO2": "97"},
        {"PHASE": "after", "MINUTE": "60", "SYSTOLIC": "122", "DIASTOLIC": "78", "HEART_RATE": "70", "SPO2": "98"},
    ]
    assert {_user(g) for g in readings} == {f"USR.{nurse.pk}"}  # entered with the infusion, by its author
    assert all(not _groups(root, "IG.VITALS", study_id) for study_id in ("K03001", "K03002"))


def test_the_infusion_carries_its_safety_flags(imported, tmp_path):
    (infusion,) = _groups(_root(tmp_path), "IG.INFUSION")
    items = _items(infusion)
    assert items["SAFETY_FLAGGED"] == "true"
    assert items["SAFETY_FLAGS"] == "systolic 186 > 180 mmHg during (minute 15)"


def test_deviations_are_a_repeating_group_of_the_ongoing_event_with_their_review(imported, tmp_path, nurse):
    root = _root(tmp_path)
    meta = root.find(f"{ODM}Study/{ODM}MetaDataVersion")
    ongoing = meta.find(f"{ODM}StudyEventDef[@OID='SE.ONGOING']")
    assert ongoing.find(f"{ODM}FormRef[@FormOID='F.DEVIATIONS']") is not None
    assert meta.find(f"{ODM}ItemGroupDef[@OID='IG.DEVIATION']").get("Repeating") == "Yes"
    form = f"{ODM}StudyEventData[@StudyEventOID='SE.ONGOING']/{ODM}FormData[@FormOID='F.DEVIATIONS']/"
    records = _state(_groups(root, "IG.DEVIATION", within=form))
    rows = list(Deviation.objects.filter(participant__study_id=CLINIC_ID).order_by("occurred_on", "pk"))
    assert list(records) == [str(d.pk) for d in rows]
    by_kind = {items["DEV_KIND"]: (items, author) for items, author in records.values()}
    assert set(by_kind) == {"out_of_window", "duration", "other"}
    late, author = by_kind["out_of_window"]
    assert author == f"USR.{nurse.pk}"
    assert (late["DEV_AUTOMATIC"], late["DEV_OCCURRED_ON"], late["DEV_EVENT"]) == ("true", str(VISIT_DAY), "V2")
    reviewer = Deviation.objects.get(pk=rows[0].pk).reviewed_by
    assert (late["DEV_IMPORTANT"], late["DEV_REVIEWED_BY"]) == ("false", f"USR.{reviewer.pk}")
    assert late["DEV_REVIEWED_AT"]
    assert "DEV_IMPORTANT" not in by_kind["duration"][0]  # not reviewed yet
    assert by_kind["other"][0]["DEV_AUTOMATIC"] == "false"


def test_a_deviations_description_is_only_ever_the_trackers_own_text(imported, tmp_path):
    """Staff write the other descriptions: they may name a person or the drug, so no file carries them."""
    path = export(tmp_path, "odm") / "KARE_clinical.xml"
    root = etree.parse(str(path)).getroot()
    records = _state(_groups(root, "IG.DEVIATION")).values()
    described = {items["DEV_KIND"]: items.get("DEV_DESCRIPTION") for items, _ in records}
    assert described == {
        "out_of_window": "V2 took place on 2024-07-25 (late); its window is 2024-07-09 to 2024-07-22",
        "duration": "V2: the infusion lasted 55 min; the protocol's is 40 min ± 10%",
        "other": None,
    }
    assert STAFF_TEXT not in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("who", ["monitor", "blinded"])
def test_a_file_without_the_dosing_factor_leaves_out_the_duration_deviations_description(
    imported, make_user, tmp_path, who
):
    """The duration deviation quotes the infusion length of the participant's drug level."""
    if who == "monitor":
        root = _root(tmp_path, user=make_user("monitor", imported))
    else:
        root = _root(tmp_path, user=make_user("unblinded_statistician", imported), blinded=True)
    records = _state(_groups(root, "IG.DEVIATION")).values()
    described = {items["DEV_KIND"]: items.get("DEV_DESCRIPTION") for items, _ in records}
    assert described["duration"] is None
    assert described["out_of_window"].startswith("V2 took place on")
    (infusion,) = _groups(root, "IG.INFUSION")
    assert {"DOSE_MG", "MG_PER_KG"}.isdisjoint(_items(infusion))
    assert len(_groups(root, "IG.VITALS")) == 3  # the vital signs are no secret


def test_the_adverse_event_carries_its_seriousness_action_outcome_and_reporting(imported, tmp_path):
    ((items, _),) = _state(_groups(_root(tmp_path), "IG.AE")).values()  # reported: an update on PostgreSQL
    assert (items["SERIOUS"], items["SERIOUS_HOSPITALISATION"], items["SERIOUS_DEATH"]) == ("true", "true", "false")
    assert (items["EXPECTED"], items["AERELDRG"], items["AERELTHR"]) == ("false", "possibly", "not_related")
    assert (items["ACTION_TAKEN"], items["AE_OUTCOME"], items["AE_INFUSION_EVENT"]) == (
        "infusion stopped",
        "recovered",
        "V2",
    )
    aware = dt.datetime.fromisoformat(items["AWARE_AT"])
    assert dt.datetime.fromisoformat(items["SPONSOR_REPORTED_AT"]) - aware == dt.timedelta(hours=3)
    assert "REGULATOR_REPORTED_AT" not in items


def test_a_day_the_participant_reported_is_entered_by_the_participant(imported, tmp_path, admin_user):
    from outcomes.models import DrinkingRecord
    from outcomes.services import DayEntry, diary_days_record

    participant = Participant.objects.get(trial=imported, study_id="K03001")  # randomised 2025-01-18
    day = dt.date(2025, 1, 25)
    (record,) = diary_days_record(
        participant=participant, days=[DayEntry(day=day, amount="2", unit="uk_unit")], today=day + dt.timedelta(1)
    )
    root = _root(tmp_path)
    user = root.find(f"{ODM}AdminData/{ODM}User[@OID='USR.PARTICIPANT']")
    assert user.get("UserType") == "Other"
    (diary,) = [g for g in _groups(root, "IG.DRINKING", "K03001") if g.get("ItemGroupRepeatKey") == str(record.pk)]
    assert (_user(diary), _items(diary)["SOURCE"]) == ("USR.PARTICIPANT", "diary")
    staff = DrinkingRecord.objects.filter(participant=participant, source="tlfb").first()
    (tlfb,) = [g for g in _groups(root, "IG.DRINKING", "K03001") if g.get("ItemGroupRepeatKey") == str(staff.pk)]
    assert _user(tlfb) == f"USR.{admin_user.pk}"


def test_the_odm_export_takes_no_more_queries_for_more_participants(
    imported, import_one, nurse, tmp_path, django_assert_max_num_queries
):
    from outcomes.services import DayEntry, drinking_days_record

    scope = export_scope(user=None, trial=imported)
    with CaptureQueriesContext(connection) as six:
        assert odm.write(scope, str(tmp_path / "six.xml")) == 6
    for n in range(4):
        participant = import_one(f"T{n:04d}", randomised_on=dt.date(2024, 1, 10))
        infusion_visit(nurse, participant, dt.date(2024, 1, 17), minutes=55)  # vitals, deviation
        days = [DayEntry(day=dt.date(2024, 1, 10) + dt.timedelta(d), amount="1", unit="uk_unit") for d in range(3)]
        drinking_days_record(actor=nurse, participant=participant, days=days)
    with django_assert_max_num_queries(len(six)):
        assert odm.write(scope, str(tmp_path / "ten.xml")) == 10
    assert Deviation.objects.filter(kind=DeviationKind.DURATION).count() == 5


@pytest.mark.postgres
def test_on_postgres_a_diary_day_a_deviation_review_and_vitals_name_who_did_them(imported, tmp_path, nurse, odm_schema):
    from outcomes.models import DrinkingRecord
    from outcomes.services import DayEntry, diary_days_record, drinking_days_record

    participant = Participant.objects.get(trial=imported, study_id="K03001")
    day = dt.date(2025, 1, 25)
    diary_days_record(
        participant=participant, days=[DayEntry(day=day, amount="2", unit="uk_unit")], today=day + dt.timedelta(1)
    )
    corrected = DayEntry(day=day, amount="3", unit="uk_unit", reason="the participant phoned: three units")
    drinking_days_record(actor=nurse, participant=participant, days=[corrected], source="diary")
    record = DrinkingRecord.objects.get(participant=participant, source="diary")
    doc = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml"))
    odm_schema.assertValid(doc)
    root = doc.getroot()
    diary = [g for g in _groups(root, "IG.DRINKING", "K03001") if g.get("ItemGroupRepeatKey") == str(record.pk)]
    assert [(g.get("TransactionType"), _user(g)) for g in diary] == [
        ("Insert", "USR.PARTICIPANT"),
        ("Update", f"USR.{nurse.pk}"),
    ]
    late = Deviation.objects.get(participant__study_id=CLINIC_ID, kind=DeviationKind.OUT_OF_WINDOW)
    review = [g for g in _groups(root, "IG.DEVIATION") if g.get("ItemGroupRepeatKey") == str(late.pk)]
    assert [(g.get("TransactionType"), _user(g)) for g in review] == [
        ("Insert", f"USR.{nurse.pk}"),
        ("Update", f"USR.{late.reviewed_by_id}"),
    ]
    assert _items(review[1])["DEV_IMPORTANT"] == "false"
    assert {_user(g) for g in _groups(root, "IG.VITALS")} == {f"USR.{nurse.pk}"}


def test_a_coded_adverse_event_carries_its_terms_as_sdtm_names_them_and_stays_valid(
    imported, tmp_path, data_manager, odm_schema
):
    meddra = Path(__file__).parents[2] / "participants" / "dictionaries" / "meddra"
    dictionary_load(actor=data_manager, kind="meddra", version="27.1", source=meddra)
    ae = AdverseEvent.objects.get(participant__study_id=CLINIC_ID)
    adverse_event_code(actor=data_manager, adverse_event=ae, term=DictionaryTerm.objects.get(llt_name="Light-headed"))
    root = _root(tmp_path)
    odm_schema.assertValid(root)
    ((items, _),) = _state(_groups(root, "IG.AE")).values()
    assert {k: items[k] for k in ("TERM", "AELLT", "AELLTCD", "AEDECOD", "AEPTCD", "AEBODSYS", "AEBDSYCD")} == {
        "TERM": "hypertension",  # the verbatim term, as reported
        "AELLT": "Light-headed",
        "AELLTCD": "90010007",
        "AEDECOD": "Dizziness",
        "AEPTCD": "90001003",
        "AEBODSYS": "Nerve disorders",
        "AEBDSYCD": "90000002",
    }
    assert (items["AESOC"], items["AESOCCD"], items["AE_DICTIONARY"]) == ("Nerve disorders", "90000002", "MedDRA 27.1")
    assert (items["RSI_EXPECTED"], items["EXPECTED"], items["AE_CODED_BY"]) == (
        "true",
        "false",
        f"USR.{data_manager.pk}",
    )
