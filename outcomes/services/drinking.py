"""Daily drinking records entered by staff: a period of days from one source, and the import of
days collected before the trial used the tracker.

A day is checked as :mod:`outcomes.services.days` says and stored in grams beside the amount and
unit as entered. A day already recorded from the same source changes only with a reason, and is
cleared back to missing only with one (its row deleted, the deletion audited with the reason: a day
without a record is missing, never abstinent); an imported day never replaces one. Abstinent days
covered by a positive biomarker open a data query (:func:`outcomes.services.biomarkers.data_queries_open`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core import audit
from core.clock import today_at
from core.errors import Invalid
from core.roles import ENTER_DATA, IMPORT_DATA
from outcomes.models import DrinkingRecord, Source
from outcomes.services.biomarkers import data_queries_open
from outcomes.services.days import SELF_REPORT, DayEntry, check_day, check_days, randomisation_anchor
from participants.guards import ensure_may_enter_data, ensure_unlocked, require_blinded, require_role
from participants.models import Participant
from review import changes as review_changes

# What changing a day saves: ``updated_at`` (auto_now) is only set when it is named here.
_CHANGED_FIELDS = [
    "amount",
    "unit",
    "grams",
    "missing",
    "change_reason",
    "entered_by",
    "entered_by_participant",
    "visit_code",
    "updated_at",
]


# What a day cleared back to missing loses, as the review names it: a query on it is answered.
CLEARED_ITEMS = ("amount", "unit", "grams")


def _amount(entry: DayEntry) -> Decimal | None:
    return None if entry.missing else Decimal(str(entry.amount))


def drinking_days_record(
    *,
    actor,
    participant: Participant,
    days: list[DayEntry],
    source: str = Source.TLFB,
    visit_code: str = "",
    reason: str = "",
    clear: list[dt.date] | tuple[dt.date, ...] = (),
) -> list[DrinkingRecord]:
    """Record a period of days from one source (a TLFB interview, a diary), all or nothing.

    ``clear`` names recorded days of ``source`` to empty back to missing, with ``reason`` (400 at
    ``reason`` without one; ``clear.<i>`` for a day also in ``days``); a day not recorded is
    missing already, so a replayed clear changes nothing.

    A day given with ``missing`` (``unknown``: the participant cannot remember it) is recorded
    without an amount, with that reason and its note: missing to the endpoints, never abstinent.

    A day already recorded from the same source with another amount is changed only with a reason
    (the day's own, or ``reason`` for the whole request); the same amount again changes nothing.
    This holds for a diary day the participant reported themselves too: staff may correct it with
    a reason, and the record then carries the staff member as ``entered_by``.
    Every refusal names the day (``days.<i>.<field>``). Abstinent days covered by a positive
    biomarker open a data query.
    """
    require_role(actor, ENTER_DATA, site=participant.site, doing="enter outcome data at this site")
    require_blinded(actor, trial=participant.trial, site=participant.site, doing="enter outcome data")
    ensure_may_enter_data(participant)  # the data lock among its checks
    protocol = participant.trial.version_on().protocol
    checked = _valid_days(participant=participant, protocol=protocol, days=days, source=source, visit_code=visit_code)
    _check_clear(clear=clear, days=days, reason=reason)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip() or "drinking days recorded"):
        Participant.objects.select_for_update(of=("self",)).filter(pk=participant.pk).first()
        if clear:
            cleared = DrinkingRecord.objects.filter(participant=participant, source=source, day__in=list(clear))
            for record in cleared:
                review_changes.corrected(obj=record, items=CLEARED_ITEMS, actor=actor, reason=reason.strip())
            cleared.delete()
        saved, new = _merge_days(
            actor=actor, participant=participant, checked=checked, source=source, visit_code=visit_code, reason=reason
        )
        # New days in one INSERT (a 90-day recall is one statement, not 90); the audit trigger still
        # records each row on PostgreSQL.
        DrinkingRecord.objects.bulk_create(new)
        if source in SELF_REPORT:
            data_queries_open(participant=participant, protocol=protocol, days=[r.day for r in saved if r.grams == 0])
    return saved


def _check_clear(*, clear, days: list[DayEntry], reason: str) -> None:
    """Refuse (400) days to clear without a reason, or also given an amount, or nothing at all."""
    problems: dict[str, list[str]] = {}
    if not days and not clear:
        problems["days"] = ["Give at least one day."]
    if clear and not (reason or "").strip():
        problems["reason"] = ["Say why the recorded days are cleared."]
    typed = {entry.day for entry in days}
    for i, day in enumerate(clear):
        if day in typed:
            problems[f"clear.{i}"] = [f"{day} is given an amount as well."]
    if problems:
        raise Invalid("the days to clear are not valid; nothing was recorded", fields=problems)


def _valid_days(
    *, participant: Participant, protocol, days: list[DayEntry], source: str, visit_code: str
) -> list[tuple[int, DayEntry, Decimal]]:
    """The days as :func:`~outcomes.services.days.check_days` returns them (index, entry, grams),
    counted from the participant's randomisation (409 ``no_anchor`` before it) up to their site's
    today. Raises :class:`Invalid` naming every bad day, and a ``visit_code`` that is not an event
    of the protocol's schedule; nothing is read from the records yet."""
    anchor = randomisation_anchor(participant)
    today = today_at(participant.site)
    checked, problems = check_days(
        participant=participant, protocol=protocol, anchor=anchor, today=today, days=days, source=source
    )
    if not days:
        problems.pop("days", None)  # a request that only clears days; _check_clear refuses an empty one
    if visit_code and visit_code not in {e.code for e in protocol.schedule}:
        problems["visit_code"] = [f"Not an event of the schedule: {', '.join(e.code for e in protocol.schedule)}."]
    if problems:
        raise Invalid("the drinking days are not valid; nothing was recorded", fields=problems)
    return checked


def _merge_days(
    *,
    actor,
    participant: Participant,
    checked: list[tuple[int, DayEntry, Decimal | None]],
    source: str,
    visit_code: str,
    reason: str,
) -> tuple[list[DrinkingRecord], list[DrinkingRecord]]:
    """Set the checked days against the records of ``source`` already there, locked: a new day
    becomes an unsaved record, the same amount again keeps the record, another amount changes it
    (saved here) with the day's reason or ``reason``. Returns every day's record in the order
    given and the new ones, which the caller inserts. Raises :class:`Invalid` naming each changed
    day without a reason; the caller's transaction then undoes the changes already saved."""
    existing = {
        r.day: r
        for r in DrinkingRecord.objects.select_for_update().filter(
            participant=participant, source=source, day__in=[e.day for _, e, _ in checked]
        )
    }
    problems: dict[str, list[str]] = {}
    saved, new = [], []
    for i, entry, grams in checked:
        old = existing.get(entry.day)
        if old is None:
            record = DrinkingRecord(
                participant=participant,
                day=entry.day,
                source=source,
                amount=_amount(entry),
                unit=entry.unit,
                grams=grams,
                missing=entry.missing_entry(),
                visit_code=visit_code,
                entered_by=actor,
            )
            new.append(record)
            saved.append(record)
            continue
        if (old.grams, old.unit, old.amount, old.missing) == (grams, entry.unit, _amount(entry), entry.missing_entry()):
            saved.append(old)
            continue
        why = (entry.reason or reason or "").strip()
        if not why:
            was = f"{old.amount} {old.unit}" if old.grams is not None else "not known"
            problems[f"days.{i}.reason"] = [f"{entry.day} is already recorded ({was}): say why it changes."]
            continue
        _change_day(old, entry=entry, grams=grams, why=why, actor=actor, visit_code=visit_code)
        saved.append(old)
    if problems:
        raise Invalid("a change to a recorded day needs a reason; nothing was recorded", fields=problems)
    return saved, new


def _change_day(
    record: DrinkingRecord, *, entry: DayEntry, grams: Decimal | None, why: str, actor, visit_code: str
) -> None:
    """Save the day's new amount, unit and grams (or none, with the reason why) with the reason for
    the change, now entered by ``actor`` (a diary day the participant reported becomes staff's),
    and ``visit_code`` when one is given."""
    amount = _amount(entry)
    missing = entry.missing_entry()
    changed = [
        name
        for name, value in (("amount", amount), ("unit", entry.unit), ("grams", grams), ("missing", missing))
        if getattr(record, name) != value
    ]
    if visit_code and record.visit_code != visit_code:
        changed.append("visit_code")
    record.amount, record.unit, record.grams, record.missing = amount, entry.unit, grams, missing
    record.change_reason = why
    record.entered_by, record.entered_by_participant = actor, False
    if visit_code:
        record.visit_code = visit_code
    record.save(update_fields=_CHANGED_FIELDS)
    review_changes.corrected(obj=record, items=changed, actor=actor, reason=why)


def drinking_days_import(*, actor, trial, rows: list[dict]) -> list[DrinkingRecord]:
    """Bring in drinking days collected before the trial used the tracker (administrators only).

    ``rows`` are ``{"line", "study_id", "date", "amount", "unit", "source"}`` with ``date`` a date
    or text; a day without an amount gives ``missing`` (a :class:`core.missing.MissingCode`) and
    may give a ``note``. Every bad row is reported as ``line <n>.<field>``; nothing is written if any row is
    bad. A day already recorded from the same source is refused.
    """
    require_role(actor, IMPORT_DATA, trial=trial, doing="import drinking days")
    require_blinded(actor, trial=trial, doing="import drinking days")
    ensure_unlocked(trial=trial)
    protocol = trial.version_on().protocol
    participants = {p.study_id: p for p in Participant.objects.filter(trial=trial).select_related("site", "allocation")}
    problems: dict[str, list[str]] = {}
    lines: list = []
    records: list[DrinkingRecord] = []
    seen: dict[tuple, int] = {}
    for row in rows:
        record = _import_row(
            row, actor=actor, trial=trial, protocol=protocol, participants=participants, seen=seen, problems=problems
        )
        if record is not None:
            lines.append(row.get("line", "?"))
            records.append(record)
    if not problems and records:
        _refuse_recorded(trial=trial, lines=lines, records=records, problems=problems)
    if problems:
        raise Invalid(f"{len(problems)} problem(s); nothing was imported", fields=problems)
    by_pk = {p.pk: p for p in participants.values()}
    with transaction.atomic(), audit.context(actor=actor, reason="imported"):
        created = DrinkingRecord.objects.bulk_create(records, batch_size=2000)
        for participant_id in {r.participant_id for r in records}:
            data_queries_open(
                participant=by_pk[participant_id],
                protocol=protocol,
                days=[r.day for r in records if r.participant_id == participant_id and r.grams == 0],
            )
    return created


def _import_row(
    row: dict, *, actor, trial, protocol, participants: dict[str, Participant], seen: dict[tuple, int], problems: dict
) -> DrinkingRecord | None:
    """The unsaved record of one import row, or None with its problems added to ``problems`` as
    ``line <n>.<field>``: an unknown or unrandomised participant, a date that is not one, a source
    other than TLFB or diary, what :func:`~outcomes.services.days.check_day` refuses (counted
    from the allocation date up to the site's today), the same participant, day and source on an
    earlier line (``seen`` remembers each row's line)."""
    line = row.get("line", "?")
    where = f"line {line}"
    participant = participants.get((row.get("study_id") or "").strip())
    if participant is None:
        problems[f"{where}.study_id"] = [f"Unknown study id {row.get('study_id')!r} in {trial.code}."]
        return None
    allocation = getattr(participant, "allocation", None)
    if allocation is None:
        problems[f"{where}.study_id"] = ["The participant is not randomised."]
        return None
    day = row.get("date")
    if isinstance(day, str):
        try:
            day = dt.date.fromisoformat(day.strip())
        except ValueError:
            problems[f"{where}.date"] = [f"{day!r} is not a date (YYYY-MM-DD)."]
            return None
    source = (row.get("source") or "").strip()
    if source not in SELF_REPORT:
        problems[f"{where}.source"] = ["Use tlfb or diary."]
        return None
    grams, day_problems = check_day(
        participant=participant,
        protocol=protocol,
        anchor=allocation.allocated_on,
        today=today_at(participant.site),
        day=day,
        amount=row.get("amount"),
        unit=(row.get("unit") or "").strip(),
        source=source,
        missing=(row.get("missing") or "").strip(),
        note=(row.get("note") or "").strip(),
    )
    key = (participant.pk, day, source)
    if key in seen:
        day_problems.setdefault("date", []).append(f"the same day and source is on line {seen[key]}.")
    seen.setdefault(key, line)
    for name, messages in day_problems.items():
        problems[f"{where}.{name}"] = messages
    if day_problems:
        return None
    entry = DayEntry(
        day=day,
        amount=row.get("amount"),
        unit=row["unit"].strip(),
        missing=(row.get("missing") or "").strip(),
        note=(row.get("note") or "").strip(),
    )
    return DrinkingRecord(
        participant=participant,
        day=day,
        source=source,
        amount=_amount(entry),
        unit=entry.unit,
        grams=grams,
        missing=entry.missing_entry(),
        entered_by=actor,
    )


def _refuse_recorded(*, trial, lines: list, records: list[DrinkingRecord], problems: dict) -> None:
    """Add ``line <n>.date`` to ``problems`` for each record whose participant, day and source is
    already in the database (``lines`` holds each record's line)."""
    taken = set(
        DrinkingRecord.objects.filter(participant__trial=trial, day__in={r.day for r in records}).values_list(
            "participant_id", "day", "source"
        )
    )
    for line, record in zip(lines, records, strict=True):
        if (record.participant_id, record.day, record.source) in taken:
            problems[f"line {line}.date"] = ["This day is already recorded from this source."]
