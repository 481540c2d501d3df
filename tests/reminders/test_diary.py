"""The diary page of a reminder's link: a report becomes diary drinking records through the
outcomes service, all or nothing with the answer and the link, and what the endpoints count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from core import history
from core.errors import Conflict, Invalid
from outcomes import endpoints
from outcomes.models import DrinkingRecord, Source
from outcomes.services import DayEntry, drinking_days_record
from participants.enrolment import services as enrolment
from participants.locks.services import data_lock
from reminders import services as reminder_services
from reminders.models import Kind, Notification, ParticipantResponse, ResponseKind
from tests.reminders.conftest import MARCH_20, MARCH_21, MARCH_22, diary_answers, link_path

pytestmark = pytest.mark.django_db


def _nothing_written(link: Notification) -> None:
    assert not DrinkingRecord.objects.exists()
    assert not ParticipantResponse.objects.filter(kind=ResponseKind.DIARY).exists()
    link.refresh_from_db()
    assert link.link_used_at is None


def test_a_report_becomes_diary_records_that_the_endpoints_count(client, diarist, link, staff):
    # A TLFB interview says the 21st was dry; MORE-KARE's source priority puts the diary first.
    drinking_days_record(
        actor=staff, participant=diarist, days=[DayEntry(day=MARCH_21, amount=Decimal(0), unit="g")], source="tlfb"
    )
    page = client.post(link_path(link), diary_answers(d20="0", d21="4.5", d22="8"))
    assert page.status_code == 200, page.content
    diary = DrinkingRecord.objects.filter(participant=diarist, source=Source.DIARY).order_by("day")
    assert [(r.day, r.amount, r.unit, r.grams) for r in diary] == [
        (MARCH_20, Decimal("0.00"), "uk_unit", Decimal("0.00")),
        (MARCH_21, Decimal("4.50"), "uk_unit", Decimal("36.00")),
        (MARCH_22, Decimal("8.00"), "uk_unit", Decimal("64.00")),
    ]
    assert {(r.entered_by_id, r.entered_by_participant) for r in diary} == {(None, True)}
    report = ParticipantResponse.objects.get(kind=ResponseKind.DIARY)
    assert report.payload["stored_as_drinking_records"] is True
    assert sorted(report.payload["drinking_records"]) == sorted(r.pk for r in diary)
    [first] = [r for r in endpoints.compute(trial=diarist.trial, participant_ids=[diarist.pk]) if r.window == "1-91"]
    assert (first.assessed_days, first.abstinent_days, first.heavy_days) == (3, 1, 1)
    assert first.total_grams == Decimal("100.00")  # the diary's 36 g on the 21st, not the interview's 0 g
    assert first.first_heavy_day == 3


def test_a_refused_report_writes_nothing_and_the_link_still_works(client, diarist, link):
    refused = client.post(link_path(link), diary_answers(d20="0", d21="126", d22="2"))  # 126 units = 1008 g
    assert refused.status_code == 400
    assert b"more than we can record for one day" in refused.content
    _nothing_written(link)
    ok = client.post(link_path(link), diary_answers(d20="0", d21="12", d22="2"))
    assert ok.status_code == 200
    assert sorted(DrinkingRecord.objects.values_list("grams", flat=True)) == [
        Decimal("0.00"),
        Decimal("16.00"),
        Decimal("96.00"),
    ]


def test_a_locked_participant_gets_a_clear_page_and_nothing_is_written(client, diarist, link, more_kare, make_user):
    data_lock(actor=make_user("data_manager", more_kare), trial=more_kare, participant=diarist, reason="month closed")
    for page in (client.get(link_path(link)), client.post(link_path(link), diary_answers(d20="0", d21="1", d22="2"))):
        assert page.status_code == 409
        assert b"cannot take your answers" in page.content
        assert b"month closed" not in page.content
    # Locked between showing the form and saving it: refused inside the transaction that used the link.
    with pytest.raises(Conflict, match="this participant's data are locked"):
        reminder_services.diary_report(
            notification=link, amounts={MARCH_20: "0", MARCH_21: "1", MARCH_22: "2"}, today=dt.date(2025, 3, 23)
        )
    _nothing_written(link)


def test_a_participant_who_withdrew_consent_for_data_use_cannot_report(client, diarist, link, staff):
    enrolment.withdrawal_record(
        actor=staff, participant=diarist, scope="data_use", withdrawn_on=dt.date(2025, 3, 23), reason="asked"
    )
    page = client.post(link_path(link), diary_answers(d20="0", d21="1", d22="2"))
    assert page.status_code == 409
    assert b"cannot take your answers" in page.content
    _nothing_written(link)


def test_a_day_is_reported_once(client, diarist, link):
    assert client.post(link_path(link), diary_answers(d20="0", d21="1", d22="2")).status_code == 200
    earlier = Notification.objects.get(participant=diarist, kind=Kind.DIARY, subject_date=MARCH_22, channel="sms")
    assert b"nothing to fill in" in client.get(link_path(earlier)).content
    with pytest.raises(Invalid) as refused:
        reminder_services.diary_report(notification=earlier, amounts={MARCH_21: "5"}, today=dt.date(2025, 3, 23))
    assert "day_2025-03-21" in refused.value.fields
    assert DrinkingRecord.objects.get(day=MARCH_21).grams == Decimal("8.00")


def test_diary_days_entered_by_staff_are_not_asked_for_again(client, diarist, link, staff):
    drinking_days_record(
        actor=staff,
        participant=diarist,
        days=[DayEntry(day=MARCH_21, amount=Decimal(1), unit="uk_unit")],
        source="diary",
    )
    page = client.get(link_path(link))
    assert b'name="day_2025-03-20"' in page.content
    assert b'name="day_2025-03-21"' not in page.content
    assert b'name="day_2025-03-22"' in page.content
    assert client.post(link_path(link), diary_answers(d20="0", d22="2")).status_code == 200
    assert sorted(DrinkingRecord.objects.values_list("day", "entered_by_participant")) == [
        (MARCH_20, True),
        (MARCH_21, False),
        (MARCH_22, True),
    ]


def test_days_of_a_report_kept_only_as_an_answer_are_not_asked_for_again(diarist, link, staff):
    """Reports from before they were stored as drinking records still count as reported."""
    legacy = {"unit": "uk_unit", "days": ["2025-03-20"], "amounts": {"2025-03-20": "0"}}
    ParticipantResponse.objects.create(
        participant=diarist, kind=ResponseKind.DIARY, payload={**legacy, "stored_as_drinking_records": False}
    )
    drinking_days_record(
        actor=staff, participant=diarist, days=[DayEntry(day=MARCH_22, amount=Decimal(0), unit="g")], source="diary"
    )
    assert reminder_services.diary_days_due(diarist, dt.date(2025, 3, 23)) == [MARCH_21]


@pytest.mark.postgres
def test_the_records_are_audited_as_reported_by_the_participant(client, diarist, link):
    assert client.post(link_path(link), diary_answers(d20="0", d21="1", d22="2")).status_code == 200
    ids = DrinkingRecord.objects.filter(participant=diarist).values_list("pk", flat=True)
    events = history.events_for([(DrinkingRecord, Q(pgh_obj_id__in=list(ids)))])
    assert [e["label"] for e in events] == ["insert"] * 3
    assert {e["reason"] for e in events} == {"diary reported by the participant"}
    assert {e["actor"] for e in events} == {None}


def test_planning_the_diary_alone_at_an_earlier_time_leaves_the_other_reminders_as_they_are(clock, diarist, staff):
    """A diary-only run at an earlier moment (the simulation's daily runs of the recent past) makes
    the prompts due after it and nothing else: not the reminders of a visit missed since."""
    from participants.models import Appointment
    from participants.schedule import services as schedule
    from reminders.planning import reminders_plan
    from tests.reminders.conftest import london

    clock.go(london(2025, 4, 10, 12))
    v2 = Appointment.objects.get(participant=diarist, event_code="V2")
    schedule.visit_record(
        actor=staff, appointment=v2, actual_date=dt.date(2025, 3, 27), attended=False, missed_reason="did not come"
    )
    others = set(Notification.objects.exclude(kind=Kind.DIARY).values_list("pk", "state", "due_at"))
    earlier = london(2025, 3, 27, 12)
    everything = reminders_plan(participant=diarist, now=earlier, dry_run=True)
    assert Kind.MISSED_VISIT in {c.kind for c in everything.changes}  # what a run of every kind would add
    diary_only = reminders_plan(participant=diarist, now=earlier, kinds={Kind.DIARY})
    assert [(c.action, c.kind) for c in diary_only.changes] == [("create", Kind.DIARY)] * 3
    prompts = Notification.objects.filter(participant=diarist, kind=Kind.DIARY, state="pending")
    assert {dt.date(2025, 3, d) for d in (27, 28, 29)} <= set(prompts.values_list("subject_date", flat=True))
    assert set(Notification.objects.exclude(kind=Kind.DIARY).values_list("pk", "state", "due_at")) == others
