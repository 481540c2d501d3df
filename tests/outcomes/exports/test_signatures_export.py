"""Investigators' signatures in the exports: the ODM file carries the latest signature of a casebook
and of a visit as ODM signatures, with a definition per meaning and the signer's printed name, and
stays valid against the ODM 1.3.2 schema; the tabular ``signatures`` dataset lists every signature
with whether it still holds."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from participants.models import Appointment, Participant, Visit
from participants.schedule.services import visits as schedule
from review.signing import signature_sign
from tests.conftest import PASSWORD
from tests.core.conftest import code_for
from tests.outcomes.exports.conftest import CLINIC_ID, STANDARDS, export, read_csv

pytestmark = pytest.mark.django_db
ODM = "{http://www.cdisc.org/ns/odm/v1.3}"


@pytest.fixture
def signed(imported, make_user):
    """The investigator of the clinic participant's site signs its casebook, then its V2."""
    from core.services import totp_confirm, totp_enrol

    participant = Participant.objects.get(trial=imported, study_id=CLINIC_ID)
    investigator = make_user(
        "investigator", imported, sites=[participant.site.code], first_name="Grace", last_name="Hopper"
    )
    device = totp_confirm(user=investigator, code=code_for(totp_enrol(user=investigator)))
    appointment = Appointment.objects.get(participant=participant, event_code="V2", unscheduled=False)

    def sign(**kwargs):
        return signature_sign(
            actor=investigator, participant=participant, password=PASSWORD, otp_code=code_for(device), **kwargs
        )

    return participant, investigator, sign(meaning="approval"), sign(meaning="review", appointment=appointment)


def test_the_odm_file_carries_the_signatures_and_stays_valid(signed, tmp_path):
    participant, investigator, casebook, _visit = signed
    doc = etree.parse(str(export(tmp_path, "odm") / "KARE_clinical.xml"))
    etree.XMLSchema(etree.parse(str(STANDARDS / "odm-1.3.2" / "ODM1-3-2.xsd"))).assertValid(doc)
    root = doc.getroot()
    definitions = {d.get("OID") for d in root.iter(f"{ODM}SignatureDef")}
    assert definitions == {"SD.review", "SD.approval", "SD.responsibility"}
    user = root.find(f"{ODM}AdminData/{ODM}User[@OID='USR.{investigator.pk}']")
    assert user.findtext(f"{ODM}FullName") == "Grace Hopper"
    subject = root.find(f"{ODM}ClinicalData/{ODM}SubjectData[@SubjectKey='{CLINIC_ID}']")
    mine = subject.find(f"{ODM}Signature")
    assert mine.find(f"{ODM}UserRef").get("UserOID") == f"USR.{investigator.pk}"
    assert mine.find(f"{ODM}SignatureRef").get("SignatureOID") == "SD.approval"
    assert mine.find(f"{ODM}LocationRef").get("LocationOID") == f"LOC.{participant.site.code}"
    assert mine.findtext(f"{ODM}DateTimeStamp").startswith(casebook.signed_at.date().isoformat())
    event = subject.find(f"{ODM}StudyEventData[@StudyEventOID='SE.V2']")
    assert event.find(f"{ODM}Signature/{ODM}SignatureRef").get("SignatureOID") == "SD.review"


def test_the_signatures_dataset_says_which_signature_still_holds(signed, tmp_path, nurse):
    participant, _investigator, _casebook, _visit = signed
    visit = Visit.objects.get(appointment__participant=participant, appointment__event_code="V2")
    schedule.visit_update(actor=nurse, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo")
    rows = read_csv(export(tmp_path, "csv", datasets=["signatures"]) / "KARE_signatures.csv")
    header, body = rows[0], rows[1:]
    assert header[:3] == ["study_id", "site", "scope"]
    shown = {(r[header.index("scope")], r[header.index("meaning")], r[header.index("valid")]) for r in body}
    assert shown == {("casebook", "approval", "0"), ("visit", "review", "0")}  # booleans are 0 and 1
    assert {r[header.index("printed_name")] for r in body} == {"Grace Hopper"}
