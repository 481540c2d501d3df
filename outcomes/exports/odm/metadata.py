"""The ``Study`` (the metadata version of the protocol in force) and the ``AdminData`` (users
and sites) of the ODM file."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import Q
from lxml import etree

from outcomes.exports.odm.annotations import CODE_LISTS
from outcomes.exports.odm.items import FORMS, ONGOING_FORMS, RANDOMISATION, Item
from outcomes.exports.odm.records import PARTICIPANT_USER, SYSTEM_USER, RecordWriter, group_items
from review.models import MEANING_TEXT, Signature, SignatureMeaning

# Why an electronic signature binds its signer (21 CFR 11.50, 11.70, 11.100, 11.200), said once per
# meaning in the file's ``SignatureDef``.
LEGAL_REASON = (
    "Electronic signature of the site's investigator under 21 CFR Part 11, given with the signer's "
    "password and a one-time code, and bound to a keyed digest of the records signed."
)


def _translated(parent, text: str):
    t = etree.SubElement(parent, "TranslatedText")
    t.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
    t.text = text


def _description(parent, text: str):
    _translated(etree.SubElement(parent, "Description"), text)


def code_list(parent, oid: str, name: str, pairs: Iterable[tuple[str, str]]):
    """A text ``CodeList`` of ``(code, decode)`` pairs, in their order."""
    cl = etree.SubElement(parent, "CodeList", OID=oid, Name=name, DataType="text")
    for n, (code, decode) in enumerate(pairs, start=1):
        item = etree.SubElement(cl, "CodeListItem", CodedValue=code, OrderNumber=str(n))
        _translated(etree.SubElement(item, "Decode"), decode)
    return cl


def write_study(w: RecordWriter, scope, protocol, mdv: str, version):
    """The ``Study``: the study events (each scheduled visit, ``ENROLMENT``, ``UNSCHEDULED`` and
    ``ONGOING``), their forms, item groups and items as the scope shows them, a code list per
    factor the export carries (with ``ARM`` when it carries every factor), and the code lists of
    the annotations (a data query's state, the annotation's type, the null flavours of the
    reasons an item is empty)."""
    trial = scope.trial
    study = etree.Element("Study", OID=trial.code)
    gv = etree.SubElement(study, "GlobalVariables")
    etree.SubElement(gv, "StudyName").text = trial.code
    etree.SubElement(gv, "StudyDescription").text = trial.title
    etree.SubElement(gv, "ProtocolName").text = f"{trial.code} {version.label}"
    meta = etree.SubElement(study, "MetaDataVersion", OID=mdv, Name=f"Protocol version {version.label}")
    events = [("ENROLMENT", "Enrolment", "Common", "No", ("ENROLMENT",))]
    events += [(e.code, e.title, "Scheduled", "No", ("VISIT",)) for e in protocol.schedule]
    events += [("UNSCHEDULED", "Unscheduled visit", "Unscheduled", "Yes", ("VISIT",))]
    events += [("ONGOING", "Data collected throughout", "Common", "No", ONGOING_FORMS)]
    proto = etree.SubElement(meta, "Protocol")
    for n, (code, *_rest) in enumerate(events, start=1):
        etree.SubElement(proto, "StudyEventRef", StudyEventOID=f"SE.{code}", OrderNumber=str(n), Mandatory="No")
    for code, name, kind, repeating, forms in events:
        sed = etree.SubElement(meta, "StudyEventDef", OID=f"SE.{code}", Name=name, Repeating=repeating, Type=kind)
        for n, form in enumerate(forms, start=1):
            etree.SubElement(sed, "FormRef", FormOID=f"F.{form}", OrderNumber=str(n), Mandatory="No")
    for code, (name, groups) in FORMS.items():
        fd = etree.SubElement(meta, "FormDef", OID=f"F.{code}", Name=name, Repeating="No")
        for n, g in enumerate(groups, start=1):
            etree.SubElement(fd, "ItemGroupRef", ItemGroupOID=f"IG.{g.code}", OrderNumber=str(n), Mandatory="No")
    factor_items = [(f"FACTOR_{code.upper()}", protocol.factor(code)) for code in scope.factors]
    all_items: list[Item] = []
    for _name, groups in FORMS.values():
        for g in groups:
            igd = etree.SubElement(
                meta, "ItemGroupDef", OID=f"IG.{g.code}", Name=g.label, Repeating="Yes" if g.repeating else "No"
            )
            items = list(group_items(g, w.hidden))
            for n, item in enumerate(items, start=1):
                etree.SubElement(igd, "ItemRef", ItemOID=f"IT.{item.code}", OrderNumber=str(n), Mandatory="No")
            if g is RANDOMISATION:
                extra = [code for code, _ in factor_items] + (["ARM"] if scope.unblinded else [])
                for n, code in enumerate(extra, start=len(items) + 1):
                    etree.SubElement(igd, "ItemRef", ItemOID=f"IT.{code}", OrderNumber=str(n), Mandatory="No")
            all_items += items
    for item in all_items:
        idef = etree.SubElement(meta, "ItemDef", OID=f"IT.{item.code}", Name=item.code, DataType=item.type)
        _description(idef, item.label)
    for code, spec in factor_items:
        idef = etree.SubElement(meta, "ItemDef", OID=f"IT.{code}", Name=code, DataType="text")
        _description(idef, spec.title)
        etree.SubElement(idef, "CodeListRef", CodeListOID=f"CL.{spec.code}")
    if scope.unblinded:
        idef = etree.SubElement(meta, "ItemDef", OID="IT.ARM", Name="ARM", DataType="text")
        _description(idef, "Arm")
    for _code, spec in factor_items:
        code_list(meta, f"CL.{spec.code}", spec.title, [(level.code, level.title) for level in spec.levels])
    for oid, name, pairs in CODE_LISTS:
        code_list(meta, oid, name, pairs)
    w.xf.write(study)


def write_admin(w: RecordWriter, scope, mdv: str, version):
    """The ``AdminData``: ``SYSTEM``, ``PARTICIPANT`` and the trial's staff and superusers by login
    name only (the only users an audit record names), a signer with the name printed on their
    signature too, the trial's sites as locations, and a ``SignatureDef`` per meaning a signature
    may have."""
    trial = scope.trial
    admin = etree.Element("AdminData", StudyOID=trial.code)
    system = etree.SubElement(admin, "User", OID=SYSTEM_USER, UserType="Other")
    etree.SubElement(system, "LoginName").text = "system"
    # No login: the participant's own entries (the diary page of a reminder's link) name no one else.
    participant = etree.SubElement(admin, "User", OID=PARTICIPANT_USER, UserType="Other")
    etree.SubElement(participant, "DisplayName").text = "The participant (self-report)"
    printed = dict(
        Signature.objects.filter(trial=trial).order_by("signed_at", "pk").values_list("signer_id", "printed_name")
    )
    staff = (
        get_user_model()
        .objects.filter(Q(memberships__site__trial=trial) | Q(is_superuser=True) | Q(pk__in=list(printed)))
        .distinct()
        .order_by("pk")
    )
    listed = set()
    for pk, username in staff.values_list("pk", "username"):
        user = etree.SubElement(admin, "User", OID=f"USR.{pk}")
        etree.SubElement(user, "LoginName").text = username
        if pk in printed:
            etree.SubElement(user, "FullName").text = printed[pk]
        listed.add(pk)
    w.users = listed
    for site in trial.sites.order_by("code"):
        loc = etree.SubElement(admin, "Location", OID=f"LOC.{site.code}", Name=site.name, LocationType="Site")
        etree.SubElement(
            loc,
            "MetaDataVersionRef",
            StudyOID=trial.code,
            MetaDataVersionOID=mdv,
            EffectiveDate=str(version.effective_date),
        )
    for meaning in SignatureMeaning:
        definition = etree.SubElement(admin, "SignatureDef", OID=f"SD.{meaning.value}", Methodology="Electronic")
        etree.SubElement(definition, "Meaning").text = f"{meaning.label}: {MEANING_TEXT[meaning]}"
        etree.SubElement(definition, "LegalReason").text = LEGAL_REASON
    w.xf.write(admin)
