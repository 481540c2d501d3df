"""``manage.py analysis_report``: files written, and a non-zero exit with a message when it cannot."""

from __future__ import annotations

import pytest
from django.core.management import call_command, execute_from_command_line

from outcomes.analysis import NothingToAnalyse, factorial_estimates


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
    code, out, _ = _run(capsys, "--trial", "KARE", "--out", str(tmp_path / "dmc"), "--blinded")
    assert code == 0
    assert "blinded report written" in out
    assert {p.name for p in (tmp_path / "dmc").iterdir()} >= {"report.html", "consort.png", "consort.svg"}


def test_an_unknown_trial_exits_non_zero_with_a_message(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "NOPE", "--out", str(tmp_path))
    assert code != 0
    assert "no trial 'NOPE'" in err
    assert "KARE" in err  # the trials that do exist


def test_a_trial_without_randomised_participants_exits_non_zero(kare, tmp_path, capsys):
    code, _, err = _run(capsys, "--trial", "KARE", "--out", str(tmp_path / "empty"))
    assert code != 0
    assert "no randomised participants" in err
    assert not (tmp_path / "empty").exists()


def test_estimates_of_an_empty_trial_are_refused(kare):
    with pytest.raises(NothingToAnalyse):
        factorial_estimates(kare)


def test_call_command_raises_for_an_unknown_trial(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no trial"):
        call_command("analysis_report", trial="NOPE", out=str(tmp_path))
