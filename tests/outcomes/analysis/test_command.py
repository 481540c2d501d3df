"""``manage.py analysis_report``: files written, and a non-zero exit with a message when it cannot."""

from __future__ import annotations

import hashlib
import io
import stat

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from outcomes.analysis import NothingToAnalyse, factorial_estimates
from outcomes.models import ExportLog
from tests.conftest import password_in
from trials.models import Trial


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        execute_from_command_line(["manage.py", "analysis_report", *args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_writes_the_report(synthetic, tmp_path, capsys):
    synthetic(per_arm=4, seed=2)
    code, out, _ = _run(capsys, "--trial", "KARE", "--out", str(tmp_path / "dmc"), "--blinded", "--system")
    assert code == 0
    assert "blinded report written" in out
    assert {p.name for p in (tmp_path / "dmc").iterdir()} >= {"report.html", "consort.png", "consort.svg"}


def test_an_unknown_trial_exits_non_zero_with_a_message(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "NOPE", "--out", str(tmp_path))
    assert code != 0
    assert "no trial 'NOPE'" in err
    assert "KARE" in err  # the trials that do exist


def test_a_trial_without_randomised_participants_exits_non_zero(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "KARE", "--out", str(tmp_path / "empty"), "--system", "--blinded")
    assert code != 0
    assert "no randomised participants" in err
    assert not (tmp_path / "empty").exists()


def test_estimates_of_an_empty_trial_are_refused(kare):
    with pytest.raises(NothingToAnalyse):
        factorial_estimates(kare)


def test_call_command_raises_for_an_unknown_trial(db, tmp_path):
    with pytest.raises(CommandError, match="no trial"):
        call_command("analysis_report", trial="NOPE", out=str(tmp_path), system=True)


def test_the_system_writes_no_unblinded_report(synthetic, tmp_path):
    """A command once wrote the unblinded report for whoever ran it."""
    synthetic(per_arm=4, seed=2)
    with pytest.raises(CommandError, match="blinded report only"):
        call_command("analysis_report", trial="KARE", out=str(tmp_path / "r"), system=True)
    assert not (tmp_path / "r").exists()


def test_a_blinded_person_gets_no_unblinded_report(synthetic, make_user, tmp_path):
    synthetic(per_arm=4, seed=2)
    monitor = make_user("monitor", Trial.objects.get(code="KARE"))
    with pytest.raises(CommandError, match="may not see every factor"):
        call_command(
            "analysis_report", trial="KARE", out=str(tmp_path / "r"), actor=monitor.username, stdin=password_in()
        )
    assert not (tmp_path / "r").exists()


def test_the_unblinded_statistician_gets_the_unblinded_report_readable_by_its_owner_only(
    synthetic, make_user, tmp_path
):
    synthetic(per_arm=4, seed=2)
    statistician = make_user("unblinded_statistician", Trial.objects.get(code="KARE"))
    out = tmp_path / "r"
    call_command(
        "analysis_report", trial="KARE", out=str(out), actor=statistician.username, stdin=password_in(),
        stdout=io.StringIO(),
    )  # fmt: skip
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}
    log = ExportLog.objects.get(dataset="report")  # who was given the unblinded report, and which
    assert (log.user, log.via, log.filters, log.factors) == (
        statistician,
        "command",
        {"blinded": False},
        ["drug", "therapy"],
    )
    assert log.sha256 == hashlib.sha256((out / "report.html").read_bytes()).hexdigest()


def test_a_statistician_of_one_site_gets_no_unblinded_report_of_them_all(synthetic, make_user, tmp_path):
    synthetic(per_arm=4, seed=2)
    statistician = make_user("unblinded_statistician", Trial.objects.get(code="KARE"), sites=["exeter"])
    with pytest.raises(CommandError, match="covers every site"):
        call_command(
            "analysis_report", trial="KARE", out=str(tmp_path / "r"), actor=statistician.username, stdin=password_in()
        )
    assert not (tmp_path / "r").exists()
