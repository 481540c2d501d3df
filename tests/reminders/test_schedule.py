"""A whole KARE schedule in Europe/London, walked day by day with the clock moved to each due
time: every reminder goes out at the right local time on either side of the October
daylight-saving change, quiet hours move reminders, and nothing goes out after withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from participants.enrolment import services as enrolment
from participants.models import Appointment, AppointmentStatus
from participants.schedule import services as schedule
from reminders.models import Kind, Notification, State
from reminders.preferences import at_local, in_quiet_hours, out_of_quiet_hours
from tests.reminders.conftest import LONDON, london, pending

pytestmark = pytest.mark.django_db
UTC = dt.UTC

# Randomised on Monday 28 July 2025: V9 (day 91) falls on Monday 27 October, the day after British
# Summer Time ends (Sunday 26 October, 02:00 BST -> 01:00 GMT); V10 (day 182) on 26 January 2026.
R = dt.date(2025, 7, 28)


def walk(clock, dispatch, coordinator, *, until: dt.date, miss: set[str] = frozenset(), withdraw_on=None):
    """Move the clock through every due time up to ``until``, attending visits on their booked day
    (missing those in ``miss``) and recording a withdrawal on ``withdraw_on``. Returns the sent rows."""
    day = R
    while day <= until:
        for n in list(pending().filter(due_at__lt=at_local(day + dt.timedelta(days=1), dt.time(0), LONDON))):
            n.refresh_from_db()
            if n.state != State.PENDING:
                continue
            clock.go(n.due_at - dt.timedelta(minutes=1))
            dispatch()
            n.refresh_from_db()
            assert n.state == State.PENDING, f"{n} went out before it was due"
            clock.go(n.due_at)
            dispatch()
            n.refresh_from_db()
            assert n.state in (State.SENT, State.CANCELLED), n
        clock.go(at_local(day, dt.time(15, 0), LONDON))
        if withdraw_on == day:
            participant = Notification.objects.first().participant
            enrolment.withdrawal_record(
                actor=coordinator, participant=participant, scope="follow_up", withdrawn_on=day, reason="moved away"
            )
        for appointment in Appointment.objects.filter(status=AppointmentStatus.SCHEDULED, booked_date=day):
            attended = appointment.event_code not in miss
            schedule.visit_record(
                actor=coordinator,
                appointment=appointment,
                actual_date=day,
                attended=attended,
                missed_reason="" if attended else "did not come",
            )
        day += dt.timedelta(days=1)
    return list(Notification.objects.filter(state=State.SENT).select_related("appointment").order_by("sent_at"))


def test_a_whole_kare_schedule_goes_out_at_local_times_across_the_october_change(
    clock, contacts, coordinator, dispatch, sms_outbox, email_outbox
):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    assert participant.allocation.allocated_on == R
    sent = walk(
        clock, dispatch, coordinator, until=dt.date(2025, 12, 31), miss={"V9"}, withdraw_on=dt.date(2025, 12, 1)
    )
    by = {(n.appointment.event_code, n.kind, n.offset_days, n.channel): n for n in sent}

    # Every reminder went out when it was due, at the policy's local time (09:00; 10:00 after a miss).
    for n in sent:
        local = n.sent_at.astimezone(LONDON)
        assert n.sent_at == n.due_at
        assert local.time() == (dt.time(10) if n.kind == Kind.MISSED_VISIT else dt.time(9)), n
    # Infusion and therapy visits V2..V8: the day before, by SMS only.
    assert {k[0] for k in by if k[1] == Kind.APPOINTMENT} == {"V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9"}
    assert all(k[3] == "sms" for k in by if k[0] in {"V2", "V3", "V4", "V5", "V6", "V7", "V8"})
    # V9 on Monday 27 October: 7 days before in summer time, the day before (the change) and the day in GMT.
    assert by[("V9", Kind.APPOINTMENT, -7, "sms")].sent_at == dt.datetime(2025, 10, 20, 8, 0, tzinfo=UTC)
    assert by[("V9", Kind.APPOINTMENT, -1, "email")].sent_at == dt.datetime(2025, 10, 26, 9, 0, tzinfo=UTC)
    assert by[("V9", Kind.APPOINTMENT, 0, "sms")].sent_at == dt.datetime(2025, 10, 27, 9, 0, tzinfo=UTC)
    # V9 was missed: reminders the next day and 3 days later, at 10:00 GMT.
    assert by[("V9", Kind.MISSED_VISIT, 1, "email")].sent_at == dt.datetime(2025, 10, 28, 10, 0, tzinfo=UTC)
    assert by[("V9", Kind.MISSED_VISIT, 3, "sms")].sent_at == dt.datetime(2025, 10, 30, 10, 0, tzinfo=UTC)
    # Withdrawn from follow-up on 1 December: V10's reminders were cancelled, nothing went out after.
    assert all(n.sent_at.date() < dt.date(2025, 12, 1) for n in sent)
    v10 = Notification.objects.filter(appointment__event_code="V10")
    assert v10.exists()
    assert all(n.state == State.CANCELLED for n in v10)
    assert len(sms_outbox) == sum(1 for n in sent if n.channel == "sms")
    assert len(email_outbox) == sum(1 for n in sent if n.channel == "email")


def test_quiet_hours_move_a_reminder_to_their_end(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised(prefs={"quiet_start": dt.time(8, 30), "quiet_end": dt.time(9, 45)})
    rows = Notification.objects.filter(participant=participant, kind=Kind.APPOINTMENT)
    assert rows.exists()
    assert {n.due_at.astimezone(LONDON).time() for n in rows} == {dt.time(9, 45)}


def test_a_reminder_due_in_new_quiet_hours_waits_until_they_end(clock, contacts, dispatch, sms_outbox):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    first = pending(participant).first()
    contacts.prefer(participant, quiet_start=dt.time(22, 0), quiet_end=dt.time(7, 0))
    first.refresh_from_db()
    day = first.due_at.astimezone(LONDON).date()
    first.due_at = at_local(day, dt.time(23, 30), LONDON)
    first.save()  # as if planned before the quiet hours were set
    clock.go(first.due_at)
    dispatch()
    first.refresh_from_db()
    assert first.state == State.PENDING
    assert sms_outbox == []
    assert first.due_at == at_local(day + dt.timedelta(days=1), dt.time(7), LONDON)


@pytest.mark.parametrize(
    ("day", "clock_time", "utc"),
    [
        (dt.date(2026, 3, 29), dt.time(9, 0), dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),  # BST from 01:00 GMT
        (dt.date(2026, 3, 28), dt.time(9, 0), dt.datetime(2026, 3, 28, 9, 0, tzinfo=UTC)),
        (dt.date(2026, 3, 29), dt.time(1, 30), dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # skipped: 02:30 BST
        (dt.date(2025, 10, 26), dt.time(1, 30), dt.datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),  # twice: the first
        (dt.date(2025, 10, 26), dt.time(9, 0), dt.datetime(2025, 10, 26, 9, 0, tzinfo=UTC)),
    ],
)
def test_local_times_across_daylight_saving_changes(day, clock_time, utc):
    assert at_local(day, clock_time, LONDON).astimezone(UTC) == utc


def test_quiet_hours_overnight_and_by_day():
    late, early = dt.time(22, 0), dt.time(7, 0)
    assert in_quiet_hours(dt.time(23, 0), late, early)
    assert in_quiet_hours(dt.time(6, 59), late, early)
    assert not in_quiet_hours(dt.time(7, 0), late, early)
    assert not in_quiet_hours(dt.time(21, 59), late, early)
    evening = at_local(dt.date(2025, 10, 25), dt.time(23, 15), LONDON)
    assert out_of_quiet_hours(evening, late, early) == at_local(dt.date(2025, 10, 26), early, LONDON)
    assert in_quiet_hours(dt.time(12, 30), dt.time(12, 0), dt.time(14, 0))
    assert not in_quiet_hours(dt.time(12, 30), None, None)


def test_rescheduling_moves_pending_reminders_and_cancelling_drops_them(clock, contacts, coordinator):

    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    v9 = Appointment.objects.get(participant=participant, event_code="V9")
    before = set(pending(participant).filter(appointment=v9).values_list("pk", flat=True))
    assert len(before) == 6  # -7, -1 and 0 days, by email and SMS
    schedule.appointment_reschedule(actor=coordinator, appointment=v9, booked_date=v9.booked_date + dt.timedelta(3))
    assert not pending(participant).filter(pk__in=before).exists()
    moved = pending(participant).filter(appointment=v9)
    assert {n.subject_date for n in moved} == {v9.booked_date + dt.timedelta(3)}
    assert moved.count() == 6
    schedule.appointment_cancel(actor=coordinator, appointment=v9, reason="participant moved abroad")
    assert not pending(participant).filter(appointment=v9).exists()
