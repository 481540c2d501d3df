"""Coding an adverse event's verbatim term to a dictionary term, and the expectedness that follows.

A data manager of the event's site codes it to a current lowest level term of a loaded release
(MedDRA, or CTCAE); the event keeps the LLT, its PT and the PT's primary SOC (codes and names) and
the release, beside the verbatim ``term``, which coding never changes. Coding asks the reference
safety information of the protocol version in force on the event's onset date whether the PT is
expected, and keeps the answer and the RSI's version: an unlisted PT makes a serious event related
to the study drug a SUSAR, and starts the regulator's clock (counted, like every clock, from when
the site became aware). Recoding needs a reason; coding again to the same term changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core import audit
from core.errors import Invalid
from core.roles import CODE_ADVERSE_EVENTS
from participants.guards import ensure_unlocked, require_blinded, require_role
from participants.models import AdverseEvent, DictionaryTerm

CODED_FIELDS = (
    "dictionary",
    "llt_code",
    "llt_name",
    "pt_code",
    "pt_name",
    "soc_code",
    "soc_name",
    "coded_by",
    "coded_at",
    "rsi_expected",
    "rsi_version",
)


def rsi_expectedness(ae: AdverseEvent, *, pt_code: str, pt_name: str) -> tuple[bool | None, str]:
    """Whether the RSI in force on the event's onset lists the PT (None when the protocol has no
    RSI), and the RSI's version."""
    rsi = ae.participant.trial.version_on(ae.onset_date).protocol.reference_safety_information
    if rsi is None:
        return None, ""
    return rsi.lists(pt_code=pt_code, pt_name=pt_name), rsi.version


def adverse_event_code(*, actor, adverse_event: AdverseEvent, term: DictionaryTerm, reason: str = "") -> AdverseEvent:
    """Code the event's verbatim term to ``term`` (a current LLT); audited with ``reason``.

    Only a data manager of the event's site, blind to the allocation, codes; the data must not be
    locked. A first coding needs no reason; changing a coding does (400 otherwise); the same term
    again (a repeated submit) returns the event unchanged.
    """
    participant = adverse_event.participant
    require_role(actor, CODE_ADVERSE_EVENTS, site=participant.site, doing="code adverse events at this site")
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="code adverse events")
    ensure_unlocked(trial=participant.trial, participant=participant)
    if not term.current:
        raise Invalid(
            "the term is not current", fields={"term": ["This LLT is no longer current: choose a current one."]}
        )
    reason = (reason or "").strip()
    with transaction.atomic(), audit.context(actor=actor, reason=reason or "adverse event coded"):
        locked = AdverseEvent.objects.select_for_update().select_related("participant__trial").get(pk=adverse_event.pk)
        if locked.coded_at is not None:
            if (locked.dictionary_id, locked.llt_code) == (term.release_id, term.llt_code):
                return locked
            if not reason:
                raise Invalid("recoding needs a reason", fields={"reason": ["Say why the coding changes."]})
        rsi_expected, rsi_version = rsi_expectedness(locked, pt_code=term.pt_code, pt_name=term.pt_name)
        locked.dictionary_id = term.release_id
        for name in ("llt_code", "llt_name", "pt_code", "pt_name", "soc_code", "soc_name"):
            setattr(locked, name, getattr(term, name))
        locked.coded_by = actor
        locked.coded_at = timezone.now()
        locked.rsi_expected, locked.rsi_version = rsi_expected, rsi_version
        locked.save(update_fields=[*CODED_FIELDS, "updated_at"])
        return locked
