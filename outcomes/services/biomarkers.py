"""Biomarker samples and the data queries they open.

A sample's positivity follows the protocol's cutoffs when it is recorded. A positive marker never
changes what was self-reported: for each day reported abstinent (by TLFB or diary) that it covers
(its sample day, or the marker's detection days before) it raises a data query on that day's grams
(:mod:`review.queries`), which the site answers and a data manager closes. Recording days raises
the queries the samples already on file call for, and recording a sample those the days already
on file call for.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core import audit
from core.clock import today_at
from core.errors import Invalid
from core.roles import ENTER_DATA
from outcomes.models import BIOMARKER_CHECK, BiomarkerKind, BiomarkerSample, DrinkingRecord, detection_days
from outcomes.services.days import SELF_REPORT
from participants.guards import (
    earliest_record,
    ensure_may_enter_data,
    ensure_unlocked,
    require_blinded,
    require_role,
)
from participants.models import Participant
from review.queries.services import query_raise_automatic
from review.records import record_of


def is_positive(kind: str, value: Decimal | None, protocol) -> bool:
    """EtG at or above the cutoff, breath alcohol above the cutoff, any transdermal event."""
    markers = protocol.outcomes.biomarkers
    if kind == BiomarkerKind.ETG:
        return value >= markers.etg_cutoff_ng_ml
    if kind == BiomarkerKind.BREATH:
        return value > markers.breath_alcohol_cutoff
    return True


def data_queries_open(*, participant: Participant, protocol, days: list[dt.date] | None = None, sample=None) -> int:
    """Raise a data query (:mod:`review.queries`, edit check ``biomarker_contradiction``) on the
    grams of each day reported abstinent (by TLFB or diary) that a positive marker covers (its
    sample day or the marker's detection days before): the one ``sample``, or the positive samples
    on file that cover any of ``days``; with ``days``, only those days are queried. Never changes a
    record, never raises a query still open or answered on that day again; returns how many it
    raised. Runs in the caller's transaction and audit context."""
    samples = [sample] if sample is not None else []
    if sample is None and days:
        longest = max(detection_days(k, protocol) for k in BiomarkerKind.values)
        samples = list(
            BiomarkerSample.objects.filter(
                participant=participant,
                positive=True,
                taken_on__gte=min(days),
                taken_on__lte=max(days) + dt.timedelta(days=longest),
            )
        )
    opened = 0
    for s in samples:
        if not s.positive:
            continue
        first = s.taken_on - dt.timedelta(days=detection_days(s.kind, protocol))
        abstinent = DrinkingRecord.objects.filter(
            participant=participant, source__in=SELF_REPORT, grams=0, day__gte=first, day__lte=s.taken_on
        ).select_related("participant__site", "participant__trial")
        if days is not None:
            abstinent = abstinent.filter(day__in=days)
        for record in abstinent.order_by("day", "source"):
            text = (
                f"{s.get_kind_display()} positive on {s.taken_on}"
                f"{f' ({s.value})' if s.value is not None else ''} but {record.day} is reported abstinent."
            )
            raised = query_raise_automatic(record=record_of(record), item="grams", check=BIOMARKER_CHECK, text=text)
            opened += raised is not None
    return opened


def biomarker_record(
    *, actor, participant: Participant, kind: str, taken_on: dt.date, value: Decimal | None = None, visit_code: str = ""
) -> BiomarkerSample:
    """Record a urine EtG (ng/mL), breath alcohol or transdermal event. Positivity follows the
    protocol's cutoffs; a positive marker covering a day reported abstinent opens a data query
    and never changes the self-report."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="enter outcome data")
    ensure_unlocked(trial=participant.trial, participant=participant)
    ensure_may_enter_data(participant)
    protocol = participant.trial.version_on(taken_on).protocol
    problems: dict[str, list[str]] = {}
    if kind not in BiomarkerKind.values:
        problems["kind"] = [f"Choose one of: {', '.join(BiomarkerKind.values)}."]
    if taken_on > today_at(participant.site):
        problems["taken_on"] = ["The date cannot be in the future."]
    elif taken_on < (earliest := earliest_record(participant)):
        problems["taken_on"] = [f"Give a date from {earliest} on."]
    if kind in (BiomarkerKind.ETG, BiomarkerKind.BREATH):
        if value is None:
            problems["value"] = ["Give the measured value."]
        elif value < 0:
            problems["value"] = ["The value cannot be negative."]
    elif kind == BiomarkerKind.TRANSDERMAL and value is not None and value < 0:
        problems["value"] = ["The value cannot be negative."]
    if problems:
        raise Invalid("the sample is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="biomarker recorded"):
        sample = BiomarkerSample.objects.create(
            participant=participant,
            kind=kind,
            taken_on=taken_on,
            value=value,
            positive=is_positive(kind, value, protocol),
            visit_code=visit_code,
            entered_by=actor,
        )
        data_queries_open(participant=participant, protocol=protocol, sample=sample)
    return sample
