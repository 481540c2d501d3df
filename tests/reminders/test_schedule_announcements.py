"""Every service that changes what is due for a participant announces it once, and reminders, which
subscribes when the app starts, re-plans the outbox in the same transaction: after each of them the
outbox is already what a full re-plan would make. participants imports nothing of reminders
(the layers contract checks it), so an announcement left out would leave reminders stale; these
tests name each service."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from participants import events
from participants.enrolment import services as enrolment
from participants.models import Appointment, AppointmentStatus
from participants.randomisation import services as randomisation
from participants.schedule import services as schedule
from reminders.planning import reminders_plan
from tests.reminders.conftest import london, pending
from trials.protocol import load_file
from trials.services import protocol_load

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def announced():
    """Every announcement made while the test runs: ``(participant id, reason)``."""
    heard: list[tuple[int, str]] = []

    def listen(*, participant, reason):
        heard.append((participant.pk, reason))

    events.subscribe(listen)
    yield heard
    events.unsubscribe(listen)


@pytest.fixture
def participant(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    return contacts.randomised()


def in_line(participant) -> bool:
    """True when re-planning the participant's reminders would change nothing."""
    return reminders_plan(participant=participant, dry_run=True).changes == []


def _open(participant, code: str) -> Appointment:
    return Appointment.objects.select_related("participant__site", "participant__trial", "protocol_version").get(
        participant=participant, event_code=code
    )


def test_randomising_announces_and_plans_the_reminders(clock, contacts, announced):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    assert announced == [(participant.pk, "randomisation")]
    assert pending(participant).exists()
    assert in_line(participant)


def test_recording_an_attended_visit_announces_and_cancels_its_reminders(participant, clock, coordinator, announced):
    v2 = _open(participant, "V2")
    clock.go(london(2025, 7, 29, 15))
    schedule.visit_record(actor=coordinator, appointment=v2, actual_date=dt.date(2025, 7, 29), attended=True)
    assert announced == [(participant.pk, "visit recorded")]
    assert not pending(participant).filter(appointment=v2).exists()
    assert in_line(participant)


def test_a_missed_visit_announces_and_plans_its_missed_visit_reminders(participant, clock, coordinator, announced):
    v9 = _open(participant, "V9")
    day = v9.booked_date
    clock.go(london(day.year, day.month, day.day, 15))
    schedule.visit_record(
        actor=coordinator, appointment=v9, actual_date=day, attended=False, missed_reason="did not come"
    )
    assert announced == [(participant.pk, "visit recorded")]
    assert pending(participant).filter(appointment=v9, kind="missed_visit").exists()
    assert in_line(participant)


def test_correcting_a_visit_date_announces_and_moves_the_chained_reminders(participant, clock, coordinator, announced):
    v2 = _open(participant, "V2")
    clock.go(london(2025, 7, 30, 15))
    visit = schedule.visit_record(actor=coordinator, appointment=v2, actual_date=dt.date(2025, 7, 29), attended=True)
    v4_due = {n.due_at for n in pending(participant).filter(appointment__event_code="V4")}
    schedule.visit_update(actor=coordinator, visit=visit, actual_date=dt.date(2025, 7, 30), reason="typo")
    assert announced[-1] == (participant.pk, "visit date corrected")
    assert {n.due_at for n in pending(participant).filter(appointment__event_code="V4")} != v4_due
    assert in_line(participant)


def test_rescheduling_announces_and_moves_the_reminders(participant, coordinator, announced):
    v9 = _open(participant, "V9")
    before = {n.due_at for n in pending(participant).filter(appointment=v9)}
    later = v9.booked_date + dt.timedelta(days=2)
    schedule.appointment_reschedule(actor=coordinator, appointment=v9, booked_date=later)
    assert announced == [(participant.pk, "appointment rescheduled")]
    assert {n.due_at for n in pending(participant).filter(appointment=v9)} != before
    assert in_line(participant)


def test_cancelling_announces_and_cancels_the_reminders(participant, coordinator, announced):
    v9 = _open(participant, "V9")
    schedule.appointment_cancel(actor=coordinator, appointment=v9, reason="the site is closed that week")
    assert announced == [(participant.pk, "appointment cancelled")]
    assert not pending(participant).filter(appointment=v9).exists()
    assert in_line(participant)


def test_an_unscheduled_visit_announces(participant, coordinator, announced):
    schedule.appointment_add_unscheduled(
        actor=coordinator, participant=participant, booked_date=dt.date(2025, 8, 5), title="review", reason="rash"
    )
    assert announced == [(participant.pk, "unscheduled visit added")]
    assert in_line(participant)


def test_a_withdrawal_announces_and_cancels_what_no_longer_applies(participant, clock, coordinator, announced):
    clock.go(london(2025, 8, 1, 12))
    enrolment.withdrawal_record(
        actor=coordinator, participant=participant, scope="follow_up", withdrawn_on=dt.date(2025, 8, 1), reason="moved"
    )
    assert announced == [(participant.pk, "withdrawal (follow_up)")]
    assert not pending(participant).exists()
    assert in_line(participant)


def test_an_import_announces(kare, make_user, announced):
    admin = make_user("administrator", kare)
    imported = randomisation.participant_import(
        actor=admin,
        trial=kare,
        study_id="IMP001",
        site_code="exeter",
        sex="F",
        randomised_on=dt.date(2024, 1, 10),
        levels={"drug": "placebo", "therapy": "education"},
    )
    assert announced == [(imported.pk, "imported")]


def test_an_amendment_announces_for_each_participant_whose_appointments_moved(
    participant, coordinator, announced, tmp_path
):
    text = (ROOT / "protocols" / "kare.yaml").read_text()
    amended = text.replace('label: "1.0"', 'label: "1.1"').replace("day: 182, window", "day: 189, window")
    assert amended.count("day: 189, window") == 1, "the shipped KARE file no longer has the line this test amends"
    path = tmp_path / "kare-1.1.yaml"
    path.write_text(amended)
    result = protocol_load(protocol=load_file(path), actor=coordinator, amend=True, reason="V10 a week later")
    schedule.appointments_apply_amendment(trial=result.version.trial, actor=coordinator, reason="V10 a week later")
    assert announced == [(participant.pk, "V10 a week later")]
    assert Appointment.objects.get(participant=participant, event_code="V10").status == AppointmentStatus.SCHEDULED
    assert in_line(participant)
