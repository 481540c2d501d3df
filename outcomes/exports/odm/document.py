"""The ODM document: its root element, then ``Study``, ``AdminData`` and ``ClinicalData``, written
incrementally to a file."""

from __future__ import annotations

from django.utils import timezone
from lxml import etree

from outcomes.exports.odm.clinical import write_clinical
from outcomes.exports.odm.metadata import write_admin, write_study
from outcomes.exports.odm.records import RecordWriter

NS = "http://www.cdisc.org/ns/odm/v1.3"


def write(scope, out) -> int:
    """Write the scope's clinical data as ODM 1.3.2 to ``out`` (a path or a binary file);
    returns the number of subjects written."""
    trial = scope.trial
    version = trial.version_on()
    protocol = version.protocol
    mdv = f"MDV.{version.number}"
    now = timezone.now().replace(microsecond=0).isoformat()
    subjects = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        root_attrs = {
            "FileType": "Transactional",
            "FileOID": f"ODM.{trial.code}.{now}",
            "CreationDateTime": now,
            "AsOfDateTime": now,
            "ODMVersion": "1.3.2",
            "Originator": "Trial tracker",
            "SourceSystem": "trialtracker",
            "SourceSystemVersion": "0.1.0",
            "Granularity": "All",
        }
        with xf.element("ODM", root_attrs, nsmap={None: NS}):
            w = RecordWriter(xf, scope)
            write_study(w, scope, protocol, mdv, version)
            write_admin(w, scope, mdv, version)
            with xf.element("ClinicalData", {"StudyOID": trial.code, "MetaDataVersionOID": mdv}):
                subjects = write_clinical(w, scope)
    return subjects
