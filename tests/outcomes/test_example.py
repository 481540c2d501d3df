"""The shared worked example: import it as a running trial and export the endpoints unchanged.

The export carries the example's columns, then ``unknown_days`` (days recorded as not remembered:
none in the example), then the further derived columns, the participant's site and sex, and the
factors the user may see."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command

from tests.conftest import password_in
from tests.outcomes.conftest import DATA

# After the example's columns and unknown_days, before the factors.
MORE = [
    "total_grams",
    "last_assessed_day",
    "first_positive_marker_day",
    "psnhdd_responder",
    "who_level_baseline",
    "who_level",
    "who_level_drop",
    "site",
    "sex",
]


def _read(path) -> list[list[str]]:
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def _example(rows: list[list[str]]) -> list[list[str]]:
    """The example's columns of ``rows``, after checking the column that follows them: unknown days,
    none in the example."""
    width = len(_read(DATA / "expected_endpoints.csv")[0])
    assert rows[0][width] == "unknown_days"
    assert {r[width] for r in rows[1:]} == {"0"}
    return [r[:width] for r in rows]


def test_export_reproduces_the_expected_endpoints(imported, make_user, tmp_path):
    assessor = make_user("outcome_assessor", imported, username="assessor")  # blinded to every factor
    out = tmp_path / "endpoints.csv"
    call_command("export_endpoints", trial="KARE", out=str(out), actor=assessor.username, stdin=password_in())
    rows = _read(out)
    assert rows[0] == [*_read(DATA / "expected_endpoints.csv")[0], "unknown_days", *MORE]
    assert _example(rows) == _read(DATA / "expected_endpoints.csv")


def test_every_row_has_the_participants_site_and_sex(imported, tmp_path):
    out = tmp_path / "endpoints.csv"
    call_command("export_endpoints", trial="KARE", out=str(out), system=True)
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(DATA / "participants.csv", newline="") as handle:
        people = {p["study_id"]: (p["site"], p["sex"]) for p in csv.DictReader(handle)}
    assert len(rows) == 3 * len(people)
    assert [(r["site"], r["sex"]) for r in rows] == [people[r["study_id"]] for r in rows]


def test_the_system_exports_every_participant_and_no_factor(imported, tmp_path):
    """A command once exported as "the system" with every factor when no one was named."""
    out = tmp_path / "endpoints.csv"
    call_command("export_endpoints", trial="KARE", out=str(out), system=True)
    rows = _read(out)
    assert rows[0] == [*_read(DATA / "expected_endpoints.csv")[0], "unknown_days", *MORE]
    assert _example(rows) == _read(DATA / "expected_endpoints.csv")


def test_the_unblinded_statistician_exports_every_factor(imported, make_user, tmp_path):
    statistician = make_user("unblinded_statistician", imported)
    out = tmp_path / "endpoints.csv"
    call_command("export_endpoints", trial="KARE", out=str(out), actor=statistician.username, stdin=password_in())
    rows = _read(out)
    expected = _read(DATA / "expected_endpoints.csv")
    assert rows[0] == [*expected[0], "unknown_days", *MORE, "drug", "therapy"]
    assert _example([r[:-2] for r in rows]) == expected
    assert rows[1][-2:] == ["ketamine", "therapy"]


@pytest.mark.parametrize(
    ("role", "factors"), [("therapist", ["therapy"]), ("unblinded_statistician", ["drug", "therapy"])]
)
def test_export_shows_only_the_factors_the_user_may_see(imported, make_user, tmp_path, role, factors):
    user = make_user(role, imported)
    out = tmp_path / "endpoints.csv"
    call_command("export_endpoints", trial="KARE", out=str(out), actor=user.username, stdin=password_in())
    header = _read(out)[0]
    assert header[header.index("sex") + 1 :] == factors
