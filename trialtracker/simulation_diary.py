"""The daily diary of a simulated trial, for a protocol whose diary goes by SMS (MORE-KARE).

At enrolment each participant gets a mobile number from a list reserved for fiction
(:data:`RESERVED_MOBILES`) and a share of them consent to SMS, drawn from the simulation's contact
generator, so the trial's course for a seed is the same with or without phones. After their
follow-up has run up to today, the diary prompts of the last :data:`DIARY_DAYS` days are planned
through the real planner (:func:`reminders.planning.reminders_plan`, diary only, as the daily
planning run would have planned them then: every ``REMINDERS_DIARY_HORIZON_DAYS`` days) and a
share of them are answered through the service behind the prompt's link
(:func:`reminders.services.diary_report`), on the prompt's own day, for every day it asks for.
Nothing is sent: the prompts stay pending in the outbox, their links used when answered.

The answers follow the participant's drinking pattern (their chance of an abstinent day, the same
draw as their Timeline Follow-Back). A day already recalled at a follow-up visit is reported with
the amount recalled, so the diary and the interview agree and the protocol's ``source_priority``
(diary first) changes no endpoint; a day the participant does not remember is stored as
``unknown`` (missing, never abstinent), and the interview's amount, if any, then counts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from outcomes.models import DrinkingRecord, Source
from participants.models import Participant
from reminders import services as reminder_services
from reminders.models import Channel, Kind, Notification, State
from reminders.planning import reminders_plan

# Mobile numbers the Australian Communications and Media Authority reserves for use in films,
# television and other fiction ("Phone numbers for use in TV shows, films and creative works",
# acma.gov.au): allocated to no one, so a message sent to them reaches nobody. They are written in
# E.164 and phonenumbers takes each as a valid mobile number, as the reminders' own check
# (reminders.preferences.phone_problem) requires; the UK's drama range (+447700900xxx) is refused
# there as invalid. With more participants than numbers, some share one.
RESERVED_MOBILES = (
    "+61491570006",
    "+61491570156",
    "+61491570157",
    "+61491570158",
    "+61491570159",
    "+61491570110",
    "+61491570313",
    "+61491570737",
    "+61491571266",
    "+61491571491",
    "+61491571804",
    "+61491572549",
    "+61491572665",
    "+61491572983",
    "+61491573770",
    "+61491573087",
    "+61491574118",
    "+61491574632",
    "+61491575254",
    "+61491575789",
    "+61491576398",
    "+61491576801",
    "+61491577426",
    "+61491577644",
    "+61491578957",
    "+61491578148",
    "+61491578269",
    "+61491578888",
    "+61491579212",
    "+61491579760",
    "+61491579455",
)
SMS_CONSENT_RATE = 0.8  # of those with a mobile number
DIARY_DAYS = 14  # the recent past whose prompts are planned and answered: enough to show it, cheap to run
ANSWER_RATE = 0.75  # of the prompts; a report covers every day not yet reported, up to a week back
NOT_REMEMBERED_RATE = 0.05  # of the days reported


def diary_by_sms(protocol) -> bool:
    """Whether the protocol asks for a daily diary and prompts it by SMS."""
    diary = protocol.reminders.daily_diary
    return bool(protocol.outcomes.daily_self_report and diary is not None and Channel.SMS in diary.channels)


@dataclass
class DiaryTally:
    prompts: int = 0
    answered: int = 0
    days: int = 0
    not_remembered: int = 0

    def line(self) -> str:
        return (
            f"  diary by SMS over the last {DIARY_DAYS} days: {self.prompts} prompts planned, "
            f"{self.answered} answered, {self.days} days reported, of which {self.not_remembered} not remembered"
        )


class Diary:
    """Phones at enrolment and the diary of the recent past, for :class:`trialtracker.simulation.Simulation`.

    ``drink`` draws one day's grams from an abstinence chance and a heavy-day threshold with a
    generator given to it (the simulation's own pattern).
    """

    def __init__(self, *, protocol, seed: int, drink):
        self.by_sms = diary_by_sms(protocol)
        self.unit_grams = Decimal(protocol.outcomes.unit.grams)
        self.rng = random.Random(f"diary:{seed}")
        self.drink = drink
        self.tally = DiaryTally()

    def phone(self, contact_rng: random.Random) -> str:
        """A reserved mobile number for a new participant, or "" when the diary goes by no SMS (no draw then)."""
        return contact_rng.choice(RESERVED_MOBILES) if self.by_sms else ""

    def sms_consent(self, contact_rng: random.Random, phone: str) -> bool:
        return bool(phone) and contact_rng.random() < SMS_CONSENT_RATE

    def keep(self, participant: Participant, *, today: dt.date, p_abstinent: float, heavy: Decimal) -> None:
        """Plan the participant's diary prompts of the last :data:`DIARY_DAYS` days and answer some."""
        if not self.by_sms:
            return
        first = today - dt.timedelta(days=DIARY_DAYS)
        step = dt.timedelta(days=max(1, settings.REMINDERS_DIARY_HORIZON_DAYS))
        day = first
        while day < today:
            at = dt.datetime.combine(day, dt.time(0), tzinfo=participant.site.zone)
            reminders_plan(participant=participant, now=at, kinds={Kind.DIARY}, reason="daily planning (simulated)")
            day += step
        prompts = Notification.objects.filter(
            participant=participant,
            kind=Kind.DIARY,
            state=State.PENDING,
            link_used_at__isnull=True,
            subject_date__range=(first, today - dt.timedelta(days=1)),
        )
        for prompt in prompts.order_by("subject_date"):
            self.tally.prompts += 1
            if self.rng.random() < ANSWER_RATE:
                self._answer(participant, prompt, p_abstinent, heavy)

    def _answer(self, participant, prompt: Notification, p_abstinent: float, heavy: Decimal) -> None:
        """Answer a prompt on its day, for every day it asks for (none on the day of randomisation)."""
        due = reminder_services.diary_days_due(participant, prompt.subject_date)
        if not due:
            return
        recalled = dict(
            DrinkingRecord.objects.filter(
                participant=participant, source=Source.TLFB, day__in=due, grams__isnull=False
            ).values_list("day", "grams")
        )
        amounts, not_remembered = {}, set()
        for day in due:
            if self.rng.random() < NOT_REMEMBERED_RATE:
                not_remembered.add(day)
                continue
            grams = recalled.get(day)
            if grams is None:
                grams = self.drink(self.rng, p_abstinent, heavy)
            # In the protocol's unit to two decimals, as the page takes it: half a hundredth of a unit at most
            # from the grams.
            amounts[day] = str((grams / self.unit_grams).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        reminder_services.diary_report(
            notification=prompt, amounts=amounts, not_remembered=not_remembered, today=prompt.subject_date
        )
        self.tally.answered += 1
        self.tally.days += len(due)
        self.tally.not_remembered += len(not_remembered)
