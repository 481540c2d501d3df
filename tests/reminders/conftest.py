"""Helpers for the reminder tests: participants with contact preferences, clocks, and sends.

Sends go to in-memory backends (Django's locmem email outbox and
:class:`reminders.sms.InMemorySmsBackend`). Celery runs sends in-process here even when the
environment names a broker, so these tests never leave work in a queue; the worker tests in
``test_worker.py`` start real processes instead.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from participants.enrolment import services as enrolment
from participants.models import Participant
from participants.randomisation import services as randomisation
from reminders import links
from reminders import services as reminder_services
from reminders.dispatch import notifications_dispatch
from reminders.models import Kind, Notification, State
from reminders.sms import InMemorySmsBackend
from reminders.tasks import enqueue_sends
from tests.participants.conftest import LIST_SEED, People

LONDON = zoneinfo.ZoneInfo("Europe/London")
MOBILE = "+447911123456"  # a valid UK mobile number (not in a drama range, which phonenumbers refuses)


def london(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _in_process_sends(settings):
    """Sends run in this process, to the in-memory SMS backend and Django's locmem outbox."""
    from trialtracker.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.REMINDERS_SMS_BACKEND = "reminders.sms.InMemorySmsBackend"
    settings.REMINDERS_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://trials.example.org"
    InMemorySmsBackend.outbox = []
    yield
    app.conf.task_always_eager = eager
    InMemorySmsBackend.outbox = []


@pytest.fixture
def sms_outbox():
    return InMemorySmsBackend.outbox


@pytest.fixture
def email_outbox():
    return mail.outbox


@pytest.fixture
def clock():
    """``clock.go(aware datetime)`` moves the clock there and holds it (no ticking)."""

    class Clock:
        traveller = None

        def go(self, when: dt.datetime) -> dt.datetime:
            if self.traveller is not None:
                self.traveller.stop()
            self.traveller = time_machine.travel(when, tick=False)
            self.traveller.start()
            return when

    c = Clock()
    yield c
    if c.traveller is not None:
        c.traveller.stop()


@pytest.fixture
def dispatch(django_capture_on_commit_callbacks):
    """Run one dispatch as the beat task would; the sends (after commit) run in-process."""

    def run(now: dt.datetime | None = None):
        with django_capture_on_commit_callbacks(execute=True):
            return notifications_dispatch(enqueue=enqueue_sends, now=now)

    return run


class Contacts:
    """People of one trial, enrolled with a valid mobile number, with contact preferences, randomised."""

    def __init__(self, people: People, coordinator):
        self.people = people
        self.coordinator = coordinator

    def enrolled(self, *, site="exeter", sex="M", phone=MOBILE, email="zebedee.quillfeather@example.org", **v):
        participant = self.people.enrol(site=site, sex=sex, phone=phone, email=email, **v)
        return enrolment.baseline_complete(
            actor=self.coordinator,
            participant=participant,
            completed_on=participant.enrolled_on + dt.timedelta(days=10),
            weight_kg=Decimal("75.0"),
        )

    def prefer(self, participant, **values):
        values = {"email_consent": True, "sms_consent": True, **values}
        return reminder_services.contact_preferences_set(actor=self.coordinator, participant=participant, **values)

    def randomised(self, *, prefs: dict | None = None, **values) -> Participant:
        participant = self.enrolled(**values)
        self.prefer(participant, **(prefs or {}))
        randomisation.participant_randomise(actor=self.coordinator, participant=participant)
        return Participant.objects.select_related("allocation", "site", "trial").get(pk=participant.pk)


@pytest.fixture
def contacts(kare, make_user) -> Contacts:
    """KARE with its allocation lists and a coordinator at every site."""
    coordinator = make_user("coordinator", kare, email="coordinator@example.org")
    statistician = make_user("unblinded_statistician", kare)
    randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=10, seed=LIST_SEED)
    return Contacts(People(kare, coordinator), coordinator)


@pytest.fixture
def coordinator(contacts):
    return contacts.coordinator


def pending(participant=None):
    rows = Notification.objects.filter(state=State.PENDING)
    if participant is not None:
        rows = rows.filter(participant=participant)
    return rows.order_by("due_at", "pk")


# --- the diary page ----------------------------------------------------------------------------------

MARCH_20, MARCH_21, MARCH_22 = dt.date(2025, 3, 20), dt.date(2025, 3, 21), dt.date(2025, 3, 22)


@pytest.fixture
def staff(more_kare, make_user):
    return make_user("coordinator", more_kare)


@pytest.fixture
def diarist(clock, more_kare, staff):
    """A MORE-KARE participant (diary first in the source priority, UK units of 8 g, heavy from 60 g
    for men) randomised on Thursday 20 March 2025, with daily diary prompts by SMS."""
    clock.go(london(2025, 3, 20, 11))
    contacts = Contacts(People(more_kare, staff), staff)
    participant = contacts.enrolled(sex="M")
    contacts.prefer(participant, preferred_time=dt.time(20, 30), email_consent=False)
    randomisation.participant_randomise(actor=staff, participant=participant)
    return participant


@pytest.fixture
def link(diarist, clock):
    """The diary prompt of Sunday 23 March, opened that evening: it asks for 20, 21 and 22 March."""
    clock.go(london(2025, 3, 23, 12))
    call_command("replan_reminders", "--trial", "MORE-KARE", "--system", stdout=StringIO())
    clock.go(london(2025, 3, 23, 21))
    return pending(diarist).get(kind=Kind.DIARY, subject_date=dt.date(2025, 3, 23))


def link_path(n: Notification) -> str:
    return f"/r/{links.token_for(n.pk)}/"


def diary_answers(**by_day: str) -> dict[str, str]:
    """The diary form's fields: ``d20="2"`` is 2 on 20 March 2025."""
    return {f"day_2025-03-{day[1:]}": amount for day, amount in by_day.items()}
