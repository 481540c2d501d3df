"""How verification states and signatures are shown, the same to the API and the pages: a record
with the items its reader may see (a hidden item is left out, value, mark and all), and a signature
with its printed name, time, meaning and whether it holds."""

from __future__ import annotations

from review.signing import Signed
from review.verification import NOT_SELECTED, STATE_LABELS, RecordState

PLAN_LABELS = {"full": "Verified in full", "sampled": "Sampled", None: "Not selected"}


def record_row(state: RecordState, user) -> dict:
    """One record under verification for ``user``: never an item hidden from them."""
    record = state.record
    hidden = record.hidden(user)
    mark = state.mark
    return {
        "kind": record.kind.code,
        "kind_label": record.kind.label,
        "record_id": record.pk,
        "study_id": record.participant.study_id,
        "description": record.describe(),
        "plan": state.plan or NOT_SELECTED,
        "plan_label": PLAN_LABELS[state.plan],
        "state": state.state,
        "state_label": STATE_LABELS[state.state],
        "verified_by": mark.verified_by.get_username() if mark else None,
        "verified_at": mark.verified_at if mark else None,
        "items": [
            {
                "name": item.name,
                "label": item.label,
                "value": record.shown_value(item.name, user),
                "state": state.items.get(item.name, ""),
                "state_label": STATE_LABELS.get(state.items.get(item.name, ""), ""),
            }
            for item in record.kind.items
            if item.name not in hidden
        ],
    }


def signature_row(signed: Signed) -> dict:
    """A signature as it is shown wherever its records are: who (the printed name), when, what it
    means, what it covers and whether it still holds."""
    s = signed.signature
    return {
        "id": s.pk,
        "study_id": s.participant.study_id,
        "scope": s.scope,
        "visit": s.appointment.event_code if s.appointment_id else None,
        "appointment": s.appointment_id,
        "meaning": s.meaning,
        "meaning_label": s.get_meaning_display(),
        "meaning_text": s.meaning_text,
        "printed_name": s.printed_name,
        "signer": s.signer.get_username(),
        "signed_at": s.signed_at,
        "record_count": s.record_count,
        "valid": signed.valid,
        "status": signed.status,
    }
