"""The clinical data as CDISC ODM 1.3.2 XML, written incrementally (memory stays flat).

One transactional ODM file (``FileType="Transactional"``):

* ``Study``: the trial's name and the metadata version of the protocol in force: a study event
  per scheduled visit (plus ``ENROLMENT``, ``UNSCHEDULED`` and ``ONGOING`` for data not tied to a
  visit), their forms, item groups and items, code lists for the factor levels the export
  carries, and the annotations' code lists;
* ``AdminData``: the trial's staff (login name only; a signer's name as printed on their
  signature too), ``SYSTEM`` and ``PARTICIPANT`` (a record the participant entered themselves),
  the sites as locations, and a ``SignatureDef`` per meaning of an investigator's signature;
* ``ClinicalData``: per participant of the export's sites, enrolment (subject, consents,
  randomisation, withdrawals), each appointment with its visit, infusion (with its vital signs)
  and session, and the daily drinking records, biomarker samples, questionnaires, adverse events
  and protocol deviations. The latest signature of a casebook is the ``Signature`` of its
  ``SubjectData``, that of a visit the ``Signature`` of its ``StudyEventData`` (who, where, which
  meaning, when); whether it still holds is in the tabular exports' signatures dataset, since ODM
  has no word for it (a reader sees it from audit records later than the signature). Each data
  query on a record is an ``Annotation`` of the record's last ``ItemGroupData``: its thread as a
  ``Comment``, its state as a ``Flag`` (code lists ``CL.QUERY_STATE`` and ``CL.ANNOTATION_TYPE``
  in the metadata version). An item left empty with a reason (:mod:`core.missing`) is
  ``IsNull="Yes"`` with the reason as the item's ``Annotation`` (its note as a ``Comment``, its
  null flavour as a ``Flag`` of ``CL.NULLFLAVOR``).

Each record is one ``ItemGroupData`` per audit event of its row (``Insert``, then one ``Update``
per change, carrying the items that changed), each with its ``AuditRecord`` (who, where, when,
why), as read from the audit trail through :func:`core.history.events_for`. Where the
database keeps no audit trail (SQLite, or rows older than it) the record is one ``Insert`` with
the row's own author and time (a vital sign's are its infusion's).

Blinding, as :mod:`participants.blinding.presenter` decides it: factor items (and the arm)
appear only for the factors the export carries; the infusion's dose fields only when it carries
the dosing factor; no free text that staff write on a record (notes, reasons for withdrawal,
missed-visit reasons, deviation descriptions and reviews) and no identity is exported, only the
threads of the data queries, which are the review's own record, and the notes saying why an item
is empty, which are the item's own. A deviation's
description is exported only when a service wrote it from the record alone
(:func:`~participants.blinding.presenter.deviation_text_shown`): the duration one quotes the
infusion length of the participant's drug level, so it too needs the dosing factor. A data query
on an item the file leaves out for blinding (a dose, the arm) is left out whole.

Database queries: a fixed number per batch of participants (one per group, one per group's
audit events, two for the data queries with their threads, the drinking records through one
server-side cursor with their audit events a chunk at a time), never one per participant or row.

The package, one module per part: :mod:`~outcomes.exports.odm.items` (the item groups and
forms), :mod:`~outcomes.exports.odm.records` (a row as its audit events, with the audit
records), :mod:`~outcomes.exports.odm.metadata` (``Study`` and ``AdminData``),
:mod:`~outcomes.exports.odm.annotations` (the data queries),
:mod:`~outcomes.exports.odm.reasons` (items left empty with a reason),
:mod:`~outcomes.exports.odm.clinical` (``ClinicalData``) and :mod:`~outcomes.exports.odm.document`
(the file, :func:`write`).
"""

from outcomes.exports.odm.document import write

__all__ = ["write"]
