"""Every write about outcomes: drinking days, biomarker samples, questionnaires, data queries.

Each service checks the actor's role at the participant's site (403), refuses locked data (409,
:func:`participants.guards.ensure_unlocked`), validates against the
protocol in force (400 naming every bad field, e.g. ``days.3.amount``), and writes all or nothing
inside one transaction with the audit context. The one write without a staff actor is the
participant's own diary report (:func:`diary_days_record`): the same checks of the days, the
participant's own conditions instead of a role.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from core import audit
from core.clock import study_day, today_at
from core.errors import Conflict, Invalid
from core.roles import ENTER_DATA, IMPORT_DATA
from outcomes import instruments
from outcomes.models import (
    BiomarkerKind,
    BiomarkerSample,
    DataQuery,
    DrinkingRecord,
    QueryStatus,
    QuestionnaireResponse,
    Source,
    Unit,
)
from participants.guards import anchor_date, ensure_may_enter_data, ensure_unlocked, require_role
from participants.models import Participant, WithdrawalScope

UNIT_GRAMS = {Unit.GRAMS: Decimal(1), Unit.UK_UNIT: Decimal(8), Unit.US_DRINK: Decimal(14)}
SELF_REPORT = (Source.TLFB, Source.DIARY)
CENT = Decimal("0.01")
DIARY_REASON = "diary reported by the participant"

# check_day's wording of a bad amount, for a caller that words it again for participants.
NOT_A_NUMBER = "Give a number."
NEGATIVE = "The amount cannot be negative."
TOO_PRECISE = "Give at most 2 decimals."


def unit_grams(unit: str, protocol) -> Decimal | None:
    """Grams of ethanol in one ``unit``: the protocol's own unit by its factor, else the standard."""
    if unit == protocol.outcomes.unit.code:
        return protocol.outcomes.unit.grams
    return UNIT_GRAMS.get(unit)


@dataclass(frozen=True)
class DayEntry:
    """One day of drinking as entered."""

    day: dt.date
    amount: Decimal
    unit: str
    reason: str = ""


def _anchor(participant: Participant) -> dt.date:
    anchor = anchor_date(participant)
    if anchor is None:
        raise Conflict(
            "the participant is not randomised: drinking days are counted from randomisation", code="no_anchor"
        )
    return anchor


def check_day(
    *, participant: Participant, protocol, anchor: dt.date, today: dt.date, day, amount, unit, source: str
) -> tuple[Decimal | None, dict[str, list[str]]]:
    """Grams for one day as entered, and its problems by field (``day``, ``amount``, ``unit``,
    ``source``; ``date`` for the day). Refused: a future day, a day before the protocol's look-back, an amount that is
    negative or not a number, a unit the protocol does not know, more than the plausible maximum."""
    outcomes = protocol.outcomes
    problems: dict[str, list[str]] = {}
    if source not in Source.values:
        problems["source"] = [f"Choose one of: {', '.join(Source.values)}."]
    if not isinstance(day, dt.date):
        problems["date"] = ["Give a date as YYYY-MM-DD."]
    elif day > today:
        problems["date"] = ["The date cannot be in the future."]
    elif study_day(anchor, day) < -outcomes.baseline_lookback_days:
        first = anchor - dt.timedelta(days=outcomes.baseline_lookback_days)
        problems["date"] = [
            f"The protocol looks back {outcomes.baseline_lookback_days} days before randomisation: "
            f"the first day is {first}."
        ]
    if unit not in outcomes.units_known or unit_grams(unit, protocol) is None:
        problems["unit"] = [f"Choose one of: {', '.join(outcomes.units_known)}."]
    try:
        value = Decimal(str(amount).strip())
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        problems["amount"] = [NOT_A_NUMBER]
        return None, problems
    if value < 0:
        problems["amount"] = [NEGATIVE]
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        problems.setdefault("amount", []).append(TOO_PRECISE)
    if "unit" in problems or "amount" in problems:
        return None, problems
    grams = (value * unit_grams(unit, protocol)).quantize(CENT, rounding=ROUND_HALF_UP)
    if grams > outcomes.max_grams_per_day:
        limit = outcomes.max_grams_per_day
        problems["amount"] = [f"{grams} g is more than the protocol's plausible maximum ({limit} g)."]
        return None, problems
    return grams, problems


def _check_days(
    *, participant: Participant, protocol, anchor: dt.date, today: dt.date, days: list[DayEntry], source: str
) -> tuple[list[tuple[int, DayEntry, Decimal]], dict[str, list[str]]]:
    """Each day through :func:`check_day`, plus: at least one day, no date twice. Returns the good
    days (their index, the entry, its grams) and the problems by ``days.<i>.<field>``."""
    problems: dict[str, list[str]] = {}
    if not days:
        problems["days"] = ["Give at least one day."]
    checked: list[tuple[int, DayEntry, Decimal]] = []
    seen: dict[dt.date, int] = {}
    for i, entry in enumerate(days):
        grams, day_problems = check_day(
            participant=participant,
            protocol=protocol,
            anchor=anchor,
            today=today,
            day=entry.day,
            amount=entry.amount,
            unit=entry.unit,
            source=source,
        )
        if "source" in day_problems:
            problems["source"] = day_problems.pop("source")
        if entry.day in seen:
            day_problems.setdefault("date", []).append(f"{entry.day} is also given as day {seen[entry.day]}.")
        seen.setdefault(entry.day, i)
        for name, messages in day_problems.items():
            problems[f"days.{i}.{name}"] = messages
        if grams is not None:
            checked.append((i, entry, grams))
    return checked, problems


def drinking_days_record(
    *,
    actor,
    participant: Participant,
    days: list[DayEntry],
    source: str = Source.TLFB,
    visit_code: str = "",
    reason: str = "",
) -> list[DrinkingRecord]:
    """Record a period of days from one source (a TLFB interview, a diary), all or nothing.

    A day already recorded from the same source with another amount is changed only with a reason
    (the day's own, or ``reason`` for the whole request); the same amount again changes nothing.
    This holds for a diary day the participant reported themselves too: staff may correct it with
    a reason, and the record then carries the staff member as ``entered_by``.
    Every refusal names the day (``days.<i>.<field>``). Abstinent days covered by a positive
    biomarker open a data query.
    """
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    ensure_may_enter_data(participant)  # the data lock among its checks
    protocol = participant.trial.version_on().protocol
    anchor = _anchor(participant)
    today = today_at(participant.site)
    checked, problems = _check_days(
        participant=participant, protocol=protocol, anchor=anchor, today=today, days=days, source=source
    )
    if visit_code and visit_code not in {e.code for e in protocol.schedule}:
        problems["visit_code"] = [f"Not an event of the schedule: {', '.join(e.code for e in protocol.schedule)}."]
    if problems:
        raise Invalid("the drinking days are not valid; nothing was recorded", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip() or "drinking days recorded"):
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        existing = {
            r.day: r
            for r in DrinkingRecord.objects.select_for_update().filter(
                participant=participant, source=source, day__in=[e.day for _, e, _ in checked]
            )
        }
        saved, new = [], []
        for i, entry, grams in checked:
            old = existing.get(entry.day)
            if old is None:
                record = DrinkingRecord(
                    participant=participant,
                    day=entry.day,
                    source=source,
                    amount=Decimal(str(entry.amount)),
                    unit=entry.unit,
                    grams=grams,
                    visit_code=visit_code,
                    entered_by=actor,
                )
                new.append(record)
                saved.append(record)
                continue
            if old.grams == grams and old.unit == entry.unit and old.amount == Decimal(str(entry.amount)):
                saved.append(old)
                continue
            why = (entry.reason or reason or "").strip()
            if not why:
                problems[f"days.{i}.reason"] = [
                    f"{entry.day} is already recorded ({old.amount} {old.unit}): say why it changes."
                ]
                continue
            old.amount, old.unit, old.grams, old.change_reason = Decimal(str(entry.amount)), entry.unit, grams, why
            old.entered_by, old.entered_by_participant = actor, False
            if visit_code:
                old.visit_code = visit_code
            old.save(
                update_fields=[
                    "amount",
                    "unit",
                    "grams",
                    "change_reason",
                    "entered_by",
                    "entered_by_participant",
                    "visit_code",
                    "updated_at",
                ]
            )
            saved.append(old)
        if problems:
            raise Invalid("a change to a recorded day needs a reason; nothing was recorded", fields=problems)
        # New days in one INSERT (a 90-day recall is one statement, not 90); the audit trigger still
        # records each row on PostgreSQL.
        DrinkingRecord.objects.bulk_create(new)
        if source in SELF_REPORT:
            _open_queries(participant=participant, protocol=protocol, days=[r.day for r in saved if r.grams == 0])
    return saved


def ensure_may_self_report(participant: Participant) -> dt.date:
    """Refuse (409) a report by the participant themselves: their data are locked (``locked``),
    they withdrew consent for data use or from follow-up (``withdrawn``), they must re-consent
    (``reconsent_required``), or they are not randomised (``no_anchor``). Returns the anchor date."""
    ensure_may_enter_data(participant)
    if participant.withdrawals.filter(scope=WithdrawalScope.FOLLOW_UP).exists():
        raise Conflict("the participant withdrew from follow-up", code="withdrawn")
    return _anchor(participant)


def diary_days_record(*, participant: Participant, days: list[DayEntry], today: dt.date) -> list[DrinkingRecord]:
    """Record the days a participant reported themselves in their diary, all or nothing.

    There is no staff actor: the records have source ``diary``, no ``entered_by`` and
    ``entered_by_participant`` set, and the audit reason is :data:`DIARY_REASON`. ``today`` is
    the participant's own date (their time zone). The days pass :func:`check_day` as staff entry
    does (the future, the look-back, the unit and its grams, the plausible maximum) and, besides,
    a day must be over (before ``today``) and not yet recorded from the diary source, by the
    participant or by staff: a participant never changes a recorded day (staff do, with a reason,
    through :func:`drinking_days_record`). Refused (409) as :func:`ensure_may_self_report` says.
    Abstinent days covered by a positive biomarker open a data query. Joins the caller's
    transaction when there is one, so a caller's own writes stand or fall with the records.
    """
    anchor = ensure_may_self_report(participant)
    protocol = participant.trial.version_on(today).protocol
    checked, problems = _check_days(
        participant=participant,
        protocol=protocol,
        anchor=anchor,
        today=today,
        days=days,
        source=Source.DIARY,
    )
    for i, entry in enumerate(days):
        if isinstance(entry.day, dt.date) and entry.day == today and f"days.{i}.date" not in problems:
            problems[f"days.{i}.date"] = ["The day is not over yet."]
    if problems:
        raise Invalid("the diary report is not valid; nothing was recorded", fields=problems)
    with transaction.atomic(), audit.context(reason=DIARY_REASON):
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        taken = set(
            DrinkingRecord.objects.filter(
                participant=participant, source=Source.DIARY, day__in=[e.day for _, e, _ in checked]
            ).values_list("day", flat=True)
        )
        for i, entry, _ in checked:
            if entry.day in taken:
                problems[f"days.{i}.date"] = [f"{entry.day} is already reported."]
        if problems:
            raise Invalid("a day of the diary report is already reported; nothing was recorded", fields=problems)
        saved = [
            DrinkingRecord.objects.create(
                participant=participant,
                day=entry.day,
                source=Source.DIARY,
                amount=Decimal(str(entry.amount).strip()),
                unit=entry.unit,
                grams=grams,
                entered_by=None,
                entered_by_participant=True,
            )
            for _, entry, grams in checked
        ]
        _open_queries(participant=participant, protocol=protocol, days=[r.day for r in saved if r.grams == 0])
    return saved


def drinking_days_import(*, actor, trial, rows: list[dict]) -> list[DrinkingRecord]:
    """Bring in drinking days collected before the trial used the tracker (administrators only).

    ``rows`` are ``{"line", "study_id", "date", "amount", "unit", "source"}`` with ``date`` a date
    or text. Every bad row is reported as ``line <n>.<field>``; nothing is written if any row is
    bad. A day already recorded from the same source is refused.
    """
    require_role(actor, IMPORT_DATA, trial=trial, doing="import drinking days")
    ensure_unlocked(trial=trial)
    protocol = trial.version_on().protocol
    participants = {p.study_id: p for p in Participant.objects.filter(trial=trial).select_related("site", "allocation")}
    problems: dict[str, list[str]] = {}
    records: list[DrinkingRecord] = []
    lines: list = []
    seen: dict[tuple, int] = {}
    for row in rows:
        line = row.get("line", "?")
        where = f"line {line}"
        participant = participants.get((row.get("study_id") or "").strip())
        if participant is None:
            problems[f"{where}.study_id"] = [f"Unknown study id {row.get('study_id')!r} in {trial.code}."]
            continue
        allocation = getattr(participant, "allocation", None) if hasattr(participant, "allocation") else None
        if allocation is None:
            problems[f"{where}.study_id"] = ["The participant is not randomised."]
            continue
        day = row.get("date")
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day.strip())
            except ValueError:
                problems[f"{where}.date"] = [f"{day!r} is not a date (YYYY-MM-DD)."]
                continue
        source = (row.get("source") or "").strip()
        if source not in SELF_REPORT:
            problems[f"{where}.source"] = ["Use tlfb or diary."]
            continue
        grams, day_problems = check_day(
            participant=participant,
            protocol=protocol,
            anchor=allocation.allocated_on,
            today=today_at(participant.site),
            day=day,
            amount=row.get("amount"),
            unit=(row.get("unit") or "").strip(),
            source=source,
        )
        key = (participant.pk, day, source)
        if key in seen:
            day_problems.setdefault("date", []).append(f"the same day and source is on line {seen[key]}.")
        seen.setdefault(key, line)
        for name, messages in day_problems.items():
            problems[f"{where}.{name}"] = messages
        if grams is not None and not day_problems:
            lines.append(line)
            records.append(
                DrinkingRecord(
                    participant=participant,
                    day=day,
                    source=source,
                    amount=Decimal(str(row["amount"]).strip()),
                    unit=row["unit"].strip(),
                    grams=grams,
                    entered_by=actor,
                )
            )
    if not problems and records:
        taken = set(
            DrinkingRecord.objects.filter(participant__trial=trial, day__in={r.day for r in records}).values_list(
                "participant_id", "day", "source"
            )
        )
        for line, record in zip(lines, records, strict=True):
            if (record.participant_id, record.day, record.source) in taken:
                problems[f"line {line}.date"] = ["This day is already recorded from this source."]
    if problems:
        raise Invalid(f"{len(problems)} problem(s); nothing was imported", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="imported"):
        created = DrinkingRecord.objects.bulk_create(records, batch_size=2000)
        for participant_id in {r.participant_id for r in records}:
            participant = next(p for p in participants.values() if p.pk == participant_id)
            _open_queries(
                participant=participant,
                protocol=protocol,
                days=[r.day for r in records if r.participant_id == participant_id and r.grams == 0],
            )
    return created


# --- biomarkers and data queries ----------------------------------------------------------------


def _detection_days(kind: str, protocol) -> int:
    markers = protocol.outcomes.biomarkers
    return {
        BiomarkerKind.ETG: markers.etg_detection_days,
        BiomarkerKind.BREATH: 0,
        BiomarkerKind.TRANSDERMAL: markers.transdermal_detection_days,
    }[kind]


def is_positive(kind: str, value: Decimal | None, protocol) -> bool:
    """EtG at or above the cutoff, breath alcohol above the cutoff, any transdermal event."""
    markers = protocol.outcomes.biomarkers
    if kind == BiomarkerKind.ETG:
        return value >= markers.etg_cutoff_ng_ml
    if kind == BiomarkerKind.BREATH:
        return value > markers.breath_alcohol_cutoff
    return True


def _open_queries(*, participant: Participant, protocol, days: list[dt.date] | None = None, sample=None) -> int:
    """Open a query for each day reported abstinent (by TLFB or diary) that a positive marker
    covers (its sample day or the marker's detection days before). Never changes a record."""
    samples = [sample] if sample is not None else []
    if sample is None and days:
        longest = max(_detection_days(k, protocol) for k in BiomarkerKind.values)
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
        first = s.taken_on - dt.timedelta(days=_detection_days(s.kind, protocol))
        abstinent = DrinkingRecord.objects.filter(
            participant=participant, source__in=SELF_REPORT, grams=0, day__gte=first, day__lte=s.taken_on
        )
        if days is not None:
            abstinent = abstinent.filter(day__in=days)
        for day in sorted(set(abstinent.values_list("day", flat=True))):
            _, created = DataQuery.objects.get_or_create(
                sample=s,
                day=day,
                defaults={
                    "participant": participant,
                    "text": (
                        f"{s.get_kind_display()} positive on {s.taken_on}"
                        f"{f' ({s.value})' if s.value is not None else ''} but {day} is reported abstinent."
                    ),
                },
            )
            opened += created
    return opened


def biomarker_record(
    *, actor, participant: Participant, kind: str, taken_on: dt.date, value: Decimal | None = None, visit_code: str = ""
) -> BiomarkerSample:
    """Record a urine EtG (ng/mL), breath alcohol or transdermal event. Positivity follows the
    protocol's cutoffs; a positive marker covering a day reported abstinent opens a data query
    and never changes the self-report."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    ensure_may_enter_data(participant)
    protocol = participant.trial.version_on(taken_on).protocol
    problems: dict[str, list[str]] = {}
    if kind not in BiomarkerKind.values:
        problems["kind"] = [f"Choose one of: {', '.join(BiomarkerKind.values)}."]
    if taken_on > today_at(participant.site):
        problems["taken_on"] = ["The date cannot be in the future."]
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
        _open_queries(participant=participant, protocol=protocol, sample=sample)
    return sample


def data_query_close(*, actor, query: DataQuery, resolution: str) -> DataQuery:
    """Close an open query with the reviewer's resolution."""
    require_role(actor, ENTER_DATA, site=query.participant.site, doing="review data queries at this site")
    ensure_unlocked(trial=query.participant.trial, participant=query.participant)
    if not (resolution or "").strip():
        raise Invalid("say how the query was resolved", fields={"resolution": ["This field is required."]})
    with transaction.atomic(), audit.context(actor=actor, reason=resolution.strip()):
        locked = DataQuery.objects.select_for_update().get(pk=query.pk)
        if locked.status != QueryStatus.OPEN:
            raise Conflict("the query is already closed", code="closed")
        locked.status = QueryStatus.CLOSED
        locked.resolution = resolution.strip()
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    return locked


# --- questionnaires -----------------------------------------------------------------------------


def questionnaire_record(
    *, actor, participant: Participant, instrument: str, administered_on: dt.date, items: dict, visit_code: str = ""
) -> QuestionnaireResponse:
    """Record one administration item by item; the total is derived (prorated with at most 2
    missing items, none with more). Refused: an unknown instrument, an item out of range, an
    unknown item, a future date."""
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    ensure_may_enter_data(participant)
    spec = instruments.INSTRUMENTS.get(instrument)
    if spec is None:
        raise Invalid(
            "unknown instrument", fields={"instrument": [f"Choose one of: {', '.join(instruments.INSTRUMENTS)}."]}
        )
    clean, problems = instruments.check_items(spec, items)
    if administered_on > today_at(participant.site):
        problems["administered_on"] = ["The date cannot be in the future."]
    if problems:
        raise Invalid("the questionnaire is not valid", fields=problems)
    value, missing, prorated = instruments.total(spec, clean)
    with transaction.atomic(), audit.context(actor=actor, reason="questionnaire recorded"):
        return QuestionnaireResponse.objects.create(
            participant=participant,
            instrument=instrument,
            administered_on=administered_on,
            visit_code=visit_code,
            items=clean,
            missing_items=missing,
            total=value,
            prorated=prorated,
            entered_by=actor,
        )
