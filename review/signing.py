"""Investigators' electronic signatures (21 CFR 11.50, 11.70, 11.100, 11.200).

The investigator of a participant's site signs the participant's casebook, or one visit, by a
deliberate act of its own (:func:`signature_sign`, never a side effect of saving), giving their
password and a one-time code of their second factor every time (stricter than 11.200's "first
signing of a session"), and choosing what the signature means (review, approval, responsibility).

A signature holds the signer's printed name, the time, the meaning and the keyed digest of the
records signed (:func:`review.records.fingerprint_of_many` over every record of the casebook, or of
the visit): it is valid while the records' digest is the same, and a later change of any of them,
however made, makes it invalid and puts the casebook or visit back on the investigator's list
(:func:`unsigned`). Signatures are never edited or deleted (the database refuses it); signing again
adds one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from core import audit, login, permissions, second_factor
from core.errors import Conflict, Forbidden, Invalid
from core.roles import SIGN_RECORDS
from review.models import Signature, SignatureMeaning, SignatureScope
from review.records import Record, fingerprint_of_many, records_of
from review.selectors import appointment_model, participant_model
from review.verification import records_by_participant


def _check_credentials(actor, password: str, otp_code: str, request=None) -> None:
    """Refuse (400 on the field) a wrong password, then a wrong one-time code; both count towards
    the sign-in lockout, and a locked account is refused (403) whatever is typed."""
    if not login.password_confirm(user=actor, password=password or "", request=request):
        raise Invalid("signing needs your password", fields={"password": ["The password is not right."]})
    if second_factor.device_of(actor) is None:
        raise Conflict("set up your authenticator app before signing: a signature takes its code", code="no_device")
    if second_factor.totp_verify(user=actor, code=otp_code or "") is None:
        login.sign_in_failed(request, username=actor.get_username())
        raise Invalid("signing needs a one-time code", fields={"otp_code": ["The code is not right."]})


def signature_sign(
    *,
    actor,
    participant,
    meaning: str,
    password: str,
    otp_code: str,
    appointment=None,
    request=None,
) -> Signature:
    """Sign the participant's casebook (or the visit of ``appointment``) as ``actor`` with
    ``meaning``.

    Refused: anyone but an investigator at the participant's site (403), an unknown meaning (400),
    a wrong password or code (400, counted towards the lockout; nothing written), a visit with
    nothing recorded (409). The records are read and digested inside the transaction, with the
    participant's row locked, so what is signed is what the digest says.
    """
    if not permissions.has_role(actor, SIGN_RECORDS, site=participant.site):
        raise Forbidden("only an investigator at the participant's site signs its records")
    if meaning not in SignatureMeaning.values:
        raise Invalid(
            "choose what the signature means", fields={"meaning": ["Choose review, approval or responsibility."]}
        )
    if appointment is not None and appointment.participant_id != participant.pk:
        raise Invalid("the visit is not this participant's", fields={"appointment": ["Not this participant's visit."]})
    _check_credentials(actor, password, otp_code, request)
    scope = SignatureScope.VISIT if appointment is not None else SignatureScope.CASEBOOK
    with transaction.atomic(), audit.context(actor=actor, reason=f"signed ({meaning})"):
        participant_model().objects.select_for_update().filter(pk=participant.pk).first()
        records = records_of(participant=participant, appointment=appointment)
        if not records:
            raise Conflict("nothing is recorded here to sign", code="nothing_to_sign")
        return Signature.objects.create(
            trial_id=participant.trial_id,
            site_id=participant.site_id,
            participant=participant,
            scope=scope,
            appointment=appointment,
            meaning=meaning,
            signer=actor,
            printed_name=actor.get_full_name().strip() or actor.get_username(),
            signed_at=timezone.now(),
            fingerprint=fingerprint_of_many(records),
            record_count=len(records),
        )


# --- reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """A signature with whether it still holds."""

    signature: Signature
    valid: bool

    @property
    def status(self) -> str:
        return "Valid" if self.valid else "Invalid: changed since signed"


def _appointment_id(kind, obj) -> int | None:
    if kind.appointment is None:
        return None
    *parts, last = kind.appointment.split("__")
    for part in parts:
        obj = getattr(obj, part)
    return getattr(obj, f"{last}_id")


def digests(records: list[Record]) -> dict[int | None, tuple[str, int]]:
    """The digest and count of one participant's records: of all (key None, the casebook) and of
    each visit's (keyed by appointment id)."""
    by_visit: dict[int, list[Record]] = {}
    for record in records:
        key = _appointment_id(record.kind, record.obj)
        if key is not None:
            by_visit.setdefault(key, []).append(record)
    out: dict[int | None, tuple[str, int]] = {None: (fingerprint_of_many(records), len(records))}
    out.update({key: (fingerprint_of_many(rows), len(rows)) for key, rows in by_visit.items()})
    return out


def signatures_of(*, participant, records: list[Record] | None = None) -> list[Signed]:
    """The participant's signatures, oldest first, each valid or not (scoped by the caller, who read
    the participant through a selector)."""
    found = list(Signature.objects.filter(participant=participant).select_related("appointment", "signer"))
    if not found:
        return []
    now = digests(records if records is not None else records_of(participant=participant))
    return [Signed(s, now.get(s.appointment_id, ("", 0))[0] == s.fingerprint) for s in found]


def signable_participants(*, user):
    """The participants at the sites where ``user`` is the investigator, by study id."""
    sites = permissions.site_ids(user, roles=SIGN_RECORDS)
    return participant_model().objects.select_related("site", "trial").filter(site_id__in=sites).order_by("study_id")


@dataclass(frozen=True)
class ToSign:
    """A casebook or visit on the investigator's list: never signed, or its signature went invalid."""

    participant: object
    appointment: object | None
    state: str  # "never_signed" or "invalid"
    record_count: int


def unsigned(*, user, participants) -> list[ToSign]:
    """The casebooks (and the visits with something recorded) of ``participants`` (scoped by the
    caller) that were never signed or whose latest signature no longer holds."""
    people = {p.pk: p for p in participants}
    records = records_by_participant(people)
    latest: dict[tuple[int, int | None], Signature] = {}
    for s in Signature.objects.filter(participant_id__in=list(people)).order_by("signed_at", "pk"):
        latest[(s.participant_id, s.appointment_id)] = s
    appointments = appointment_model().objects.in_bulk([a for rows in records.values() for a in _visit_ids(rows)])
    out: list[ToSign] = []
    for pid, rows in records.items():
        if not rows:
            continue
        for key, (digest, count) in digests(rows).items():
            signed = latest.get((pid, key))
            if signed is None or signed.fingerprint != digest:
                state = "never_signed" if signed is None else "invalid"
                out.append(ToSign(people[pid], appointments.get(key) if key else None, state, count))
    return out


def _visit_ids(rows: list[Record]) -> set[int]:
    return {a for a in (_appointment_id(r.kind, r.obj) for r in rows) if a is not None}
