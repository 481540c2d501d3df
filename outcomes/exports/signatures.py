"""The investigators' signatures as a tabular dataset (``signatures``): one row per signature of
the export's sites, with what it covers, its meaning, the name printed on it, its time in the
site's zone and whether it still holds (the records it signed are unchanged). Nothing in it is
blinded: a signature names no level, arm or dose."""

from __future__ import annotations

from collections.abc import Iterator

from outcomes.exports.tables import BOOLEAN, INTEGER, STRING, YES_NO, Column, Table, participants_in, site_column
from review.models import Signature, SignatureMeaning, SignatureScope
from review.records import records_of
from review.signing import digests


def _columns(scope) -> list[Column]:
    return [
        Column("study_id", "SUBJID", "Study id", STRING),
        site_column(scope),
        Column("scope", "SIGSCOPE", "What was signed", STRING, values=dict(SignatureScope.choices), coded=True),
        Column("visit", "VISIT", "Visit signed (event code)", STRING),
        Column(
            "meaning", "SIGMEAN", "Meaning of the signature", STRING, values=dict(SignatureMeaning.choices), coded=True
        ),
        Column("printed_name", "SIGNAME", "Signer's name as printed", STRING),
        Column("signer", "SIGNER", "Signer's login name", STRING),
        Column("signed_at", "SIGDTC", "Date and time signed (site's zone)", STRING),
        Column("record_count", "SIGRECS", "Records signed", INTEGER),
        Column("valid", "SIGVALID", "Still valid (records unchanged)", BOOLEAN, values=YES_NO),
    ]


def signatures_table(scope) -> Table:
    """The signatures of the scope's participants, by study id and time."""

    def rows() -> Iterator[tuple]:
        found = (
            Signature.objects.filter(participant__in=participants_in(scope))
            .select_related("participant__site", "appointment", "signer")
            .order_by("participant__study_id", "signed_at", "pk")
        )
        now: dict[int, dict] = {}
        for s in found:
            person = s.participant
            if person.pk not in now:
                now[person.pk] = digests(records_of(participant=person))
            yield (
                person.study_id,
                person.site.code,
                s.scope,
                s.appointment.event_code if s.appointment_id else None,
                s.meaning,
                s.printed_name,
                s.signer.get_username(),
                s.signed_at.astimezone(person.site.zone).replace(microsecond=0).isoformat(),
                s.record_count,
                now[person.pk].get(s.appointment_id, ("", 0))[0] == s.fingerprint,
            )

    return Table(
        name="signatures",
        member="SIGNS",
        label="Investigators' signatures",
        columns=_columns(scope),
        rows=rows,
        keys=("study_id", "signed_at"),
    )
