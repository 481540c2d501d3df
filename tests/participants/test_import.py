"""Participants brought in from before the tracker: kept as given, consented, able to take data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.errors import Forbidden, Invalid
from outcomes import services as outcome_services
from participants.models import Appointment, Participant
from participants.randomisation import services as randomisation
from tests.participants.conftest import days_ago


@pytest.fixture
def administrator(kare, make_user):
    return make_user("administrator", kare)


def _import(kare, administrator, study_id="K99001", **levels):
    return randomisation.participant_import(
        actor=administrator,
        trial=kare,
        study_id=study_id,
        site_code="exeter",
        sex="F",
        randomised_on=days_ago(40),
        levels=levels or {"drug": "placebo", "therapy": "education"},
    )


def test_imported_participant_keeps_the_study_id_and_arm(kare, administrator):
    participant = _import(kare, administrator)
    assert participant.study_id == "K99001"
    assert participant.allocation.arm.code == "PE"
    assert Appointment.objects.filter(participant=participant).count() == len(kare.version_on().protocol.schedule)


def test_imported_participant_can_have_drinking_days_entered(kare, administrator, make_user):
    participant = _import(kare, administrator)
    coordinator = make_user("coordinator", kare, sites=["exeter"])
    day = outcome_services.DayEntry(day=days_ago(3), amount=Decimal(0), unit="g")
    records = outcome_services.drinking_days_record(actor=coordinator, participant=participant, days=[day])
    assert len(records) == 1


def test_import_refuses_an_unknown_level_and_writes_nothing(kare, administrator):
    with pytest.raises(Invalid) as refused:
        _import(kare, administrator, drug="aspirin", therapy="education")
    assert "drug" in refused.value.fields
    assert not Participant.objects.exists()


def test_only_administrators_import(kare, make_user):
    coordinator = make_user("coordinator", kare)
    with pytest.raises(Forbidden, match="do not allow you to import participants"):
        _import(kare, coordinator)
    assert not Participant.objects.exists()
