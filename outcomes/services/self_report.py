"""What participants report themselves: the days of their diary, with no staff actor.

The diary page behind a reminder's link (:mod:`reminders.views`) asks
:func:`ensure_may_self_report` whether the participant may report at all, and
:func:`reminders.services.diary_report` records the answer through :func:`diary_days_record` in
its own transaction. A participant only adds days; staff correct them, with a reason, through
:func:`outcomes.services.drinking_days_record`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from core import audit
from core.errors import Conflict, Invalid
from outcomes.models import DrinkingRecord, Source
from outcomes.services.biomarkers import data_queries_open
from outcomes.services.days import DayEntry, check_days, randomisation_anchor
from participants.guards import ensure_may_enter_data
from participants.models import Participant, WithdrawalScope

DIARY_REASON = "diary reported by the participant"


def ensure_may_self_report(participant: Participant) -> dt.date:
    """Refuse (409) a report by the participant themselves: their data are locked (``locked``),
    they withdrew consent for data use or from follow-up (``withdrawn``), they must re-consent
    (``reconsent_required``), or they are not randomised (``no_anchor``). Returns the anchor date."""
    ensure_may_enter_data(participant)
    if participant.withdrawals.filter(scope=WithdrawalScope.FOLLOW_UP).exists():
        raise Conflict("the participant withdrew from follow-up", code="withdrawn")
    return randomisation_anchor(participant)


def diary_days_record(*, participant: Participant, days: list[DayEntry], today: dt.date) -> list[DrinkingRecord]:
    """Record the days a participant reported themselves in their diary, all or nothing.

    There is no staff actor: the records have source ``diary``, no ``entered_by`` and
    ``entered_by_participant`` set, and the audit reason is :data:`DIARY_REASON`. ``today`` is
    the participant's own date (their time zone). The days pass
    :func:`~outcomes.services.days.check_day` as staff entry does (the future, the look-back, the
    unit and its grams, the plausible maximum) and, besides, a day must be over (before ``today``)
    and not yet recorded from the diary source, by the participant or by staff: a participant
    never changes a recorded day (staff do, with a reason, through
    :func:`outcomes.services.drinking_days_record`). Refused (409) as
    :func:`ensure_may_self_report` says. A day the participant does not remember is given with
    ``missing="unknown"`` and no amount. Abstinent days covered by a positive biomarker open a
    data query. Joins the caller's transaction when there is one, so a caller's own writes stand
    or fall with the records.
    """
    anchor = ensure_may_self_report(participant)
    protocol = participant.trial.version_on(today).protocol
    checked, problems = check_days(
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
                amount=None if entry.missing else Decimal(str(entry.amount).strip()),
                unit=entry.unit,
                grams=grams,
                missing=entry.missing_entry(),
                entered_by=None,
                entered_by_participant=True,
            )
            for _, entry, grams in checked
        ]
        data_queries_open(participant=participant, protocol=protocol, days=[r.day for r in saved if r.grams == 0])
    return saved
