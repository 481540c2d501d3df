"""``manage.py dmc_report``: who gets which report, the export log, and a non-zero exit with a message
when it cannot write one."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from outcomes.models import ExportLog
from tests.conftest import password_in


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        execute_from_command_line(["manage.py", "dmc_report", *args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _closed_as(user, out, cutoff):
    return call_command(
        "dmc_report",
        trial="KARE",
        closed=True,
        out=str(out),
        cutoff=cutoff.isoformat(),
        actor=user.username,
        stdin=password_in(),
    )


def test_the_system_writes_the_open_report_and_the_log_records_it(small, tmp_path):
    out = io.StringIO()
    call_command(
        "dmc_report",
        trial="KARE",
        open=True,
        cutoff=small.cutoff.isoformat(),
        out=str(tmp_path),
        system=True,
        stdout=out,
        stderr=io.StringIO(),
    )
    assert f"open report at the cut-off {small.cutoff.isoformat()}" in out.getvalue()
    log = ExportLog.objects.get(dataset="dmc-open")
    assert (log.user, log.format, log.factors, log.rows) == (None, "html", [], 3)
    assert log.filters == {"cutoff": small.cutoff.isoformat(), "closed": False}


def test_a_blinded_monitor_gets_the_open_report(small, make_user, tmp_path):
    monitor = make_user("monitor", small.trial)
    call_command("dmc_report", trial="KARE", open=True, out=str(tmp_path), actor=monitor.username, stdin=password_in())
    assert (tmp_path / "dmc-open.html").exists()
    assert ExportLog.objects.get(dataset="dmc-open").user == monitor


def test_the_closed_report_is_refused_to_the_system(small, tmp_path):
    with pytest.raises(CommandError, match="open report only"):
        call_command("dmc_report", trial="KARE", closed=True, out=str(tmp_path / "r"), system=True)
    assert not (tmp_path / "r").exists()


def test_the_closed_report_is_refused_to_a_blinded_coordinator(small, tmp_path):
    with pytest.raises(CommandError, match="your roles in this trial do not include"):
        _closed_as(small.coordinator, tmp_path / "r", small.cutoff)
    assert not (tmp_path / "r").exists()
    assert not ExportLog.objects.exists()


def test_the_closed_report_is_refused_to_an_investigator_before_unblinding(small, make_user, tmp_path):
    investigator = make_user("investigator", small.trial)
    with pytest.raises(CommandError, match="may not see every factor"):
        _closed_as(investigator, tmp_path / "r", small.cutoff)
    assert not (tmp_path / "r").exists()


def test_the_unblinded_statistician_gets_the_closed_report_and_its_pdf(small, tmp_path):
    _closed_as(small.statistician, tmp_path / "closed", small.cutoff)
    assert (tmp_path / "closed" / "dmc-closed.html").stat().st_mode & 0o777 == 0o600
    log = ExportLog.objects.get(dataset="dmc-closed")
    assert (log.user, log.format, log.factors) == (small.statistician, "html", ["drug", "therapy"])


@pytest.mark.weasyprint
def test_the_pdf_is_logged_beside_the_html(small, tmp_path):
    call_command("dmc_report", trial="KARE", open=True, pdf=True, out=str(tmp_path), system=True)
    assert sorted(ExportLog.objects.filter(dataset="dmc-open").values_list("format", flat=True)) == ["html", "pdf"]
    assert (tmp_path / "dmc-open.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("cutoff", "message"),
    [
        ("30/06/2026", "is not a date: write it as YYYY-MM-DD"),
        ((dt.date.today() + dt.timedelta(days=3)).isoformat(), "cannot be in the future"),
        ("2001-01-01", "before the trial's first randomisation"),
    ],
    ids=["bad date", "future", "before the first randomisation"],
)
def test_a_bad_cutoff_exits_non_zero_with_a_message(small, tmp_path, capsys, cutoff, message):
    code, _, err = _run(
        capsys, "--trial", "KARE", "--open", "--cutoff", cutoff, "--out", str(tmp_path / "r"), "--system"
    )
    assert code != 0
    assert message in err
    assert not (tmp_path / "r").exists()


def test_an_unknown_trial_exits_non_zero_with_a_message(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "NOPE", "--open", "--out", str(tmp_path), "--system")
    assert code != 0
    assert "no trial 'NOPE'" in err


def test_a_trial_nobody_was_randomised_in_exits_non_zero(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "KARE", "--open", "--out", str(tmp_path / "r"), "--system")
    assert code != 0
    assert "no randomised participants" in err
