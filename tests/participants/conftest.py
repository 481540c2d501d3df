"""Helpers for the participant tests: people taken through the services, never written directly.

``people`` makes screened, enrolled, consented, baseline-complete and randomised participants of
KARE step by step, each step through the service a coordinator would use. Every identity uses
the same distinctive name and contact details, so a test can search any response for them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from core.services import membership_grant
from participants.enrolment import services as enrolment
from participants.models import Participant, Screening
from participants.randomisation import services as randomisation
from trials.protocol import CriterionKind

FIRST_NAME = "Zebedee"
LAST_NAME = "Quillfeather"
EMAIL = "zebedee.quillfeather@example.org"
PHONE = "+447700900123"
IDENTITY_VALUES = (FIRST_NAME, LAST_NAME, EMAIL, PHONE)

LIST_SEED = "0123456789abcdef0123456789abcdef"
PASSWORD = "correct-horse-battery-staple"  # what make_user gives everyone

ALL_ROLES = (
    "coordinator",
    "investigator",
    "outcome_assessor",
    "therapist",
    "pharmacist",
    "unblinded_statistician",
    "data_manager",
    "monitor",
    "administrator",
)


def days_ago(n: int) -> dt.date:
    # UTC's date is never later than London's, so any n >= 1 is in the past at every KARE site.
    return timezone.now().date() - dt.timedelta(days=n)


def eligible_answers(trial) -> dict[str, bool]:
    criteria = trial.version_on().protocol.eligibility.criteria
    return {c.code: c.kind == CriterionKind.INCLUSION for c in criteria}


def strings_in(data: Any) -> Iterator[str]:
    """Every string value (and every dict key) anywhere in decoded JSON."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from strings_in(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from strings_in(item)
    elif isinstance(data, str):
        yield data


def values_in(data: Any) -> Iterator[str]:
    """Every string value anywhere in decoded JSON, leaving out dict keys (field and factor names)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from values_in(value)
    elif isinstance(data, (list, tuple)):
        for item in data:
            yield from values_in(item)
    elif isinstance(data, str):
        yield data


def mentions(text: str, code: str) -> bool:
    """True when ``code`` appears in ``text`` as a whole word (so ``KT`` is not found in ``AKT3``)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(code)}(?![A-Za-z0-9_])", text) is not None


def two_site_person(make_user, trial, exeter: str, london: str):
    """Someone holding ``exeter`` at exeter and ``london`` at london, the second role granted
    later, as it is for staff who come to cover a second hospital."""
    person = make_user(exeter, trial, sites=["exeter"])
    membership_grant(user=person, role=london, sites=[trial.sites.get(code="london")], reason="covers London too")
    return person


class People:
    """Takes people of one trial through screening, enrolment, baseline and randomisation."""

    def __init__(self, trial, coordinator):
        self.trial = trial
        self.coordinator = coordinator

    def site(self, code: str):
        return self.trial.sites.get(code=code)

    def screen(self, *, site: str = "exeter", on: dt.date | None = None, failing: tuple[str, ...] = ()) -> Screening:
        answers = eligible_answers(self.trial)
        for code in failing:
            answers[code] = not answers[code]
        return enrolment.screening_record(
            actor=self.coordinator, site=self.site(site), screened_on=on or days_ago(30), answers=answers
        )

    def enrol(
        self, *, site: str = "exeter", sex: str = "M", screening: Screening | None = None, **values
    ) -> Participant:
        screening = screening or self.screen(site=site)
        fields = {
            "sex": sex,
            "consent_form_version": "1.0",
            "consented_on": screening.screened_on,
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "age_at_consent": 40,
            "email": EMAIL,
            "phone": PHONE,
        }
        fields.update(values)
        return enrolment.participant_enrol(actor=self.coordinator, screening=screening, **fields)

    def ready(self, *, site: str = "exeter", sex: str = "M") -> Participant:
        """Enrolled, consented to the current form and baseline complete: randomisable."""
        participant = self.enrol(site=site, sex=sex)
        return enrolment.baseline_complete(
            actor=self.coordinator, participant=participant, completed_on=days_ago(20), weight_kg=Decimal("75.0")
        )

    def randomised(self, *, site: str = "exeter", sex: str = "M") -> Participant:
        participant = self.ready(site=site, sex=sex)
        randomisation.participant_randomise(actor=self.coordinator, participant=participant)
        return Participant.objects.select_related("allocation__arm").get(pk=participant.pk)


@pytest.fixture
def coordinator(kare, make_user):
    return make_user("coordinator", kare)


@pytest.fixture
def statistician(kare, make_user):
    return make_user("unblinded_statistician", kare)


@pytest.fixture
def lists(kare, statistician):
    """KARE's allocation lists, drawn from a fixed seed so every run allocates alike."""
    return randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=10, seed=LIST_SEED)


@pytest.fixture
def people(kare, coordinator) -> People:
    return People(kare, coordinator)


@pytest.fixture
def ready_participant(people) -> Participant:
    return people.ready()
