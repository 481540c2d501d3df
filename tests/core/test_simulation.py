"""``simulate_trial``: a whole trial through the services, its summary and its report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from outcomes.analysis import factorial_estimates
from outcomes.models import DrinkingRecord
from participants.models import Allocation, InfusionSession, Screening, TherapySession, Visit
from reminders.models import Notification, State
from trials.models import Trial

ROOT = Path(__file__).resolve().parents[2]
KARE = str(ROOT / "protocols" / "kare.yaml")

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def simulated(django_db_setup, django_db_blocker, tmp_path_factory):
    """One simulated KARE trial of 40 participants (seed 1), shared by the tests of this module."""
    out_dir = tmp_path_factory.mktemp("report")
    stdout = io.StringIO()
    with django_db_blocker.unblock():
        call_command("simulate_trial", protocol=KARE, participants=40, seed=1, out=str(out_dir), stdout=stdout)
        yield stdout.getvalue(), out_dir
        call_command("flush", interactive=False, verbosity=0)


def test_it_runs_the_trial_through_the_services(simulated):
    output, _ = simulated
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
    assert "factorial model of PDA" in output


def test_the_drug_raises_the_days_abstinent_as_simulated(simulated):
    drug = factorial_estimates(Trial.objects.get(code="KARE"))["estimates"]["main:drug"]
    assert 0 < drug["estimate"] < 25  # put in: +10.75 points for ketamine (about +10 at the margins)


def test_it_writes_the_report_and_its_blinded_version(simulated):
    _, out_dir = simulated
    for name in ("report.html", "consort.png", "consort.svg", "pda.png", "time_to_relapse.svg"):
        assert (out_dir / name).stat().st_size > 0
    blinded = (out_dir / "blinded" / "report.html").read_text(encoding="utf-8")
    assert "ketamine" not in blinded.lower()
    assert "placebo" not in blinded.lower()


def test_a_database_already_holding_the_trial_is_refused(simulated, tmp_path):
    with pytest.raises(CommandError, match="already has participants"):
        call_command("simulate_trial", protocol=KARE, participants=2, seed=2, out=str(tmp_path), stdout=io.StringIO())


def test_fewer_than_one_participant_is_refused(tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("simulate_trial", protocol=KARE, participants=0, out=str(tmp_path), stdout=io.StringIO())
