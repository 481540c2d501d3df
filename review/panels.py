"""What the review adds to other apps' pages, as context entries: the signature block of a casebook
or of a visit (shown wherever the record is), and the dashboard's panels for monitors and
investigators. Cheap by design: a casebook without signatures costs one query."""

from __future__ import annotations

from core import permissions
from core.roles import SIGN_RECORDS, VERIFY_SOURCE
from review import display, signing
from review.models import Signature, SignatureScope


def _may(user, site) -> dict[str, bool]:
    return {
        "sign": permissions.has_role(user, SIGN_RECORDS, site=site),
        "monitor": permissions.has_role(user, VERIFY_SOURCE | SIGN_RECORDS, site=site),
    }


def casebook_signatures(*, user, participant) -> dict:
    """``signatures`` (every signature of the participant, valid or not) and ``review_may`` (links
    to the signing and verification pages, for those whose roles use them)."""
    rows = [display.signature_row(s) for s in signing.signatures_of(participant=participant)]
    return {"signatures": rows, "review_may": _may(user, participant.site)}


def visit_signatures(*, user, appointment) -> dict:
    """The signatures of one visit, for its page."""
    participant = appointment.participant
    rows = [
        display.signature_row(s)
        for s in signing.signatures_of(participant=participant)
        if s.signature.appointment_id == appointment.pk
    ]
    return {"signatures": rows, "review_may": {"sign": _may(user, participant.site)["sign"], "monitor": False}}


def dashboard(*, user) -> dict:
    """The dashboard's review panel: for a monitor, a link to the progress; for an investigator, how
    many casebooks at their sites were never signed (one query) and a link to the full list."""
    monitor = bool(permissions.site_ids(user, roles=VERIFY_SOURCE))
    investigator_sites = permissions.site_ids(user, roles=SIGN_RECORDS)
    never_signed = None
    if investigator_sites:
        signed = Signature.objects.filter(scope=SignatureScope.CASEBOOK).values("participant_id")
        never_signed = signing.signable_participants(user=user).exclude(pk__in=signed).count()
    return {
        "review_panel": {"monitor": monitor, "investigator": bool(investigator_sites), "never_signed": never_signed}
    }
