"""``simulate_trial``: a whole trial through the services, its summary and its report.

One run of 40 participants (about half a minute) is checked in one test, inside the test's
transaction, rather than shared across tests: data committed for a module would have to be
flushed, and a flush disturbs the serialized-rollback tests that follow.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.clock import today_at
from outcomes.analysis import factorial_estimates
from outcomes.models import DrinkingRecord
from participants.models import Allocation, Identity, InfusionSession, Screening, TherapySession, Visit
from reminders.models import ContactPreference, Kind, Notification, ParticipantResponse, ResponseKind, State
from reminders.preferences import phone_problem
from trials.models import Trial
from trialtracker.simulation_diary import RESERVED_MOBILES

ROOT = Path(__file__).resolve().parents[2]
NAN = re.compile(r"(?<![A-Za-z])nan(?![A-Za-z])", re.IGNORECASE)
KARE = str(ROOT / "protocols" / "kare.yaml")

pytestmark = pytest.mark.django_db


def test_the_main_job_runs_a_whole_trial_through_the_services_and_writes_its_report(tmp_path):
    stdout = io.StringIO()
    call_command("simulate_trial", protocol=KARE, participants=40, seed=1, out=str(tmp_path), stdout=stdout)
    output = stdout.getvalue()

    trial = Trial.objects.get(code="KARE")
    assert Allocation.objects.filter(participant__trial=trial).count() == 40
    screened = Screening.objects.filter(trial=trial)
    assert screened.count() > 40
    assert screened.filter(outcome="not_eligible").exists()  # excluded for the protocol's reasons
    assert Visit.objects.filter(attended=False).exists()  # some missed visits
    assert InfusionSession.objects.count() >= 40
    assert TherapySession.objects.exists()
    assert DrinkingRecord.objects.filter(source="tlfb").count() > 40 * 90  # the baseline recall alone
    # The latest participants still have their 6-month follow-up ahead, with its reminders.
    assert Notification.objects.filter(state=State.PENDING, kind="appointment").exists()
    for step in range(1, 8):
        assert f"[{step}/7]" in output
    assert "screening flow of KARE" in output
    assert not NAN.search(output)
    assert not NAN.search((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert (
        "primary endpoint of the analysis plan version 1: Percentage of days abstinent (pda) over days 1-182" in output
    )

    # The drug's effect put in: +10.75 points of PDA for ketamine (about +10 at the margins).
    drug = factorial_estimates(trial)["estimates"]["main:drug"]
    assert 0 < drug["estimate"] < 25

    for name in ("report.html", "consort.png", "consort.svg", "primary.png", "time_to_relapse.svg"):
        assert (tmp_path / name).stat().st_size > 0
    # The committee's reports at today's cut-off: the open one pooled, naming no arm or level.
    committee = tmp_path / "committee"
    assert f"data monitoring committee, data cut-off today: {committee / 'dmc-open.html'}" in output
    pooled = (committee / "dmc-open.html").read_text(encoding="utf-8").lower()
    for word in ("ketamine", "placebo", "therapy +", "education"):
        assert word not in pooled
    assert "ketamine + therapy" in (committee / "dmc-closed.html").read_text(encoding="utf-8").lower()

    # KARE's diary is not asked for: nobody gets a phone, consents to SMS or is prompted.
    assert not [i.phone for i in Identity.objects.filter(participant__trial=trial) if i.phone]
    assert not ContactPreference.objects.filter(sms_consent=True).exists()
    assert not Notification.objects.filter(kind=Kind.DIARY).exists()
    assert not DrinkingRecord.objects.filter(source="diary").exists()
    assert "diary" not in output

    with pytest.raises(CommandError, match="already has participants"):
        call_command("simulate_trial", protocol=KARE, participants=2, seed=2, out=str(tmp_path), stdout=io.StringIO())


def test_fewer_than_one_participant_is_refused(tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("simulate_trial", protocol=KARE, participants=0, out=str(tmp_path), stdout=io.StringIO())


def test_the_phase_iii_protocol_simulates_too(tmp_path):
    """MORE-KARE: minimisation, weekly infusions kept at the minimum interval, its own schedule."""
    more_kare = str(ROOT / "protocols" / "more-kare.yaml")
    stdout = io.StringIO()
    call_command("simulate_trial", protocol=more_kare, participants=6, seed=1, out=str(tmp_path), stdout=stdout)
    output = stdout.getvalue()
    # Its plan's primary endpoint over twelve months, which nobody has finished: a warning, never nan.
    assert "Heavy drinking days (heavy_days) over days 1-365, multiple imputation, adjusted for site, sex" in output
    assert "WARNING: Completeness of window 1-365 is " in output
    assert not NAN.search(output)
    assert not NAN.search((tmp_path / "report.html").read_text(encoding="utf-8"))
    trial = Trial.objects.get(code="MORE-KARE")
    assert Allocation.objects.filter(participant__trial=trial).count() == 6
    assert InfusionSession.objects.filter(visit__appointment__participant__trial=trial).count() >= 6
    assert (tmp_path / "report.html").exists()
    _the_diary_ran_by_sms(trial, output)


DIARY_LINE = re.compile(
    r"diary by SMS over the last (\d+) days: (\d+) prompts planned, (\d+) answered, (\d+) days reported, "
    r"of which (\d+) not remembered"
)


def _the_diary_ran_by_sms(trial, output: str) -> None:
    """Every MORE-KARE participant has a reserved mobile number the reminders accept; most consent to
    SMS; their diary prompts of the recent past are planned and answered through the link's service,
    never sent, and the printed line counts what the database holds."""
    phones = [i.phone for i in Identity.objects.filter(participant__trial=trial)]
    assert len(phones) == 6
    assert set(phones) <= set(RESERVED_MOBILES)
    assert [phone_problem(p) for p in phones] == [None] * len(phones)
    assert ContactPreference.objects.filter(participant__trial=trial, sms_consent=True).exists()
    [(days, prompts, answered, reported, unknown)] = [tuple(map(int, m)) for m in DIARY_LINE.findall(output)]
    diary = DrinkingRecord.objects.filter(participant__trial=trial, source="diary")
    assert reported == diary.count() > 0
    assert set(diary.values_list("entered_by_participant", flat=True)) == {True}
    assert not diary.exclude(entered_by=None).exists()
    # A day not remembered is stored without an amount, as unknown: missing to the endpoints.
    forgotten = diary.filter(grams__isnull=True)
    assert unknown == forgotten.count() > 0
    assert {r.missing["amount"]["code"] for r in forgotten} == {"unknown"}
    assert answered == ParticipantResponse.objects.filter(participant__trial=trial, kind=ResponseKind.DIARY).count()
    prompted = Notification.objects.filter(participant__trial=trial, kind=Kind.DIARY)
    today = today_at(trial.sites.first())
    assert (
        prompts
        == prompted.filter(subject_date__range=(today - dt.timedelta(days=days), today - dt.timedelta(days=1))).count()
    )
    assert answered == prompted.exclude(link_used_at=None).count() < prompts  # some are left unanswered
    assert set(prompted.values_list("state", flat=True)) <= {State.PENDING, State.CANCELLED}  # none was sent


def test_a_trial_in_progress_has_the_coming_weeks_appointments_booked_with_a_time_and_place(kare):
    import datetime as dt

    from core.clock import today_at
    from participants.models import Appointment
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=3)
    simulation.add_staff()
    simulation.follow(simulation.recruit(12, over_last_days=21))
    today = today_at(kare.sites.first())
    week = Appointment.objects.filter(
        participant__trial=kare, status="scheduled", booked_date__range=(today, today + dt.timedelta(days=7))
    )
    assert week.exists()
    assert not week.filter(booked_time__isnull=True).exists()
    assert set(week.values_list("place", flat=True)) <= {"Exeter", "London"} | {
        f"{site}, outpatients room {n}" for site in ("Exeter", "London") for n in range(1, 7)
    }
    # later appointments are left for the site to book
    later = Appointment.objects.filter(participant__trial=kare, booked_date__gt=today + dt.timedelta(days=7))
    assert not later.exclude(booked_time__isnull=True).exists()


def test_a_diary_day_also_recalled_at_a_visit_has_the_recalled_amount_and_counts_once(more_kare):
    """A participant randomised 100 days ago had their 3-month follow-up (and its Timeline Follow-Back)
    within the diary's fortnight: the days both sources give agree, and the endpoints count each
    day once, whichever source the protocol's priority chooses."""
    from outcomes import endpoints
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=more_kare, seed=1)
    simulation.add_staff()
    [participant] = simulation.recruit(1, over_last_days=100)
    simulation.follow([participant])
    records = DrinkingRecord.objects.filter(participant=participant, grams__isnull=False)
    by_source = {
        source: dict(records.filter(source=source).values_list("day", "grams")) for source in ("diary", "tlfb")
    }
    both = set(by_source["diary"]) & set(by_source["tlfb"])
    assert both  # the seed gives an overlap
    for day in both:
        assert abs(by_source["diary"][day] - by_source["tlfb"][day]) <= Decimal("0.04")
    anchor = Allocation.objects.get(participant=participant).allocated_on
    window = {anchor + dt.timedelta(days=n) for n in range(182)}
    [row] = [r for r in endpoints.compute(trial=more_kare, participant_ids=[participant.pk]) if r.window == "1-182"]
    assert row.assessed_days == len((set(by_source["diary"]) | set(by_source["tlfb"])) & window)
