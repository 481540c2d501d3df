"""The edit checks (outcomes.checks): each raises its data query on its condition and not otherwise,
never twice while the first is unfinished, and answers (as the system) what it no longer finds.
Values the services would refuse are written as imported or legacy data could hold them."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from core.clock import today_at
from outcomes.checks import edit_checks_run, findings
from outcomes.models import DrinkingRecord
from participants.models import Appointment, InfusionSession, Participant, Visit
from participants.schedule import services as schedule
from review.models import Query

pytestmark = pytest.mark.django_db


def _checks(participant) -> set[tuple[str, str, str]]:
    return {(f.record.kind.code, f.item, f.check) for f in findings(participant)}


def _queries(participant, check: str) -> list[Query]:
    return list(Query.objects.filter(participant=participant, check_code=check))


def _fill_gaps(participant) -> None:
    """Record the days the simulation left out, so that nothing but the condition under test fires."""
    days = set(DrinkingRecord.objects.filter(participant=participant).values_list("day", flat=True))
    first, last = min(days), max(days)
    missing = [
        first + dt.timedelta(days=n) for n in range((last - first).days) if first + dt.timedelta(days=n) not in days
    ]
    DrinkingRecord.objects.bulk_create(
        DrinkingRecord(participant=participant, day=d, source="tlfb", amount=0, unit="g", grams=0, visit_code="V9")
        for d in missing
    )


@pytest.fixture
def clean(trial):
    _fill_gaps(trial.participant)
    assert _checks(trial.participant) == set()
    return trial.participant


def test_a_weight_outside_the_protocols_range_is_queried_once(clean):
    Participant.objects.filter(pk=clean.pk).update(baseline_weight_kg=Decimal("320.0"))
    assert edit_checks_run(participant=clean).raised == 1
    assert edit_checks_run(participant=clean).raised == 0
    [query] = _queries(clean, "out_of_range")
    assert (query.kind, query.item, query.raised_by) == ("baseline", "baseline_weight_kg", None)
    assert "30–250 kg" in query.messages.get().text


def test_breath_alcohol_above_the_cutoff_at_an_infusion_is_queried(clean):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=clean).first()
    InfusionSession.objects.filter(pk=infusion.pk).update(breath_alcohol=Decimal("0.05"))
    assert _checks(clean) == {("infusion", "breath_alcohol", "out_of_range")}


def test_a_day_above_the_protocols_maximum_is_queried(clean):
    day = DrinkingRecord.objects.filter(participant=clean).first()
    DrinkingRecord.objects.filter(pk=day.pk).update(grams=Decimal("1200"))
    assert _checks(clean) == {("drinking_day", "grams", "out_of_range")}


def test_a_visit_outside_its_window_is_queried_and_answered_when_corrected(clean, trial):
    visit = Visit.objects.filter(appointment__participant=clean, appointment__event_code="V9").get()
    inside = visit.actual_date
    Visit.objects.filter(pk=visit.pk).update(actual_date=visit.appointment.window_end + dt.timedelta(days=1))
    edit_checks_run(participant=clean)
    [query] = _queries(clean, "out_of_window")
    assert (query.kind, query.record_id, query.item) == ("visit", visit.pk, "actual_date")
    schedule.visit_update(
        actor=trial.coordinator, visit=Visit.objects.get(pk=visit.pk), actual_date=inside, reason="typo"
    )
    query.refresh_from_db()
    assert query.state == "answered"
    assert query.messages.last().text == "typo"


def test_an_attended_infusion_visit_without_an_infusion_is_queried(clean, trial):
    appointment = Appointment.objects.get(participant=clean, event_code="V10")
    Appointment.objects.filter(pk=appointment.pk).update(kind="infusion")  # as if the schedule had an infusion here
    visit = Visit.objects.create(
        appointment=appointment, actual_date=appointment.window_start, attended=True, recorded_by=trial.coordinator
    )
    assert ("visit", "", "infusion_missing") in _checks(clean)
    edit_checks_run(participant=clean)
    assert [q.record_id for q in _queries(clean, "infusion_missing")] == [visit.pk]


def test_a_follow_up_without_a_recall_is_queried(clean):
    DrinkingRecord.objects.filter(participant=clean, visit_code="V9").update(visit_code="V1")
    assert ("visit", "", "recall_missing") in _checks(clean)


def test_a_gap_inside_a_recall_is_queried_and_answered_by_the_system_once_filled(trial):
    participant = trial.participant
    edit_checks_run(participant=participant)
    [query] = _queries(participant, "recall_gap")
    assert "missing inside the recall" in query.messages.get().text
    _fill_gaps(participant)
    result = edit_checks_run(participant=participant)
    assert result.answered == 1
    query.refresh_from_db()
    assert query.state == "answered"
    assert query.messages.last().author is None
    assert edit_checks_run(participant=participant).answered == 0


def test_the_command_runs_every_participant_of_the_trial_with_progress(trial):
    out = io.StringIO()
    call_command("run_edit_checks", "--trial", "KARE", stdout=out)
    assert "2/2 participants checked" in out.getvalue()
    assert Query.objects.filter(check_code="recall_gap").count() == 2
    call_command("run_edit_checks", "--trial", "KARE", stdout=out)
    assert Query.objects.filter(check_code="recall_gap").count() == 2


def test_a_visit_recorded_runs_the_checks_once_committed(clean, trial, django_capture_on_commit_callbacks):
    Participant.objects.filter(pk=clean.pk).update(baseline_weight_kg=Decimal("20.0"))
    appointment = Appointment.objects.get(participant=clean, event_code="V10")
    # The simulated follow-up left runs waiting for a commit the test's transaction never makes.
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        schedule.visit_record(
            actor=trial.coordinator,
            appointment=appointment,
            actual_date=today_at(clean.site),
            attended=False,
            missed_reason="unwell",
        )
    assert len(callbacks) == 1
    assert [q.item for q in _queries(clean, "out_of_range")] == ["baseline_weight_kg"]
