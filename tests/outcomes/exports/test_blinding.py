"""A blinded export never carries a hidden factor, in any format: each file is read back and searched
for the factors' codes and titles, their levels' codes and titles, and the arm codes and titles."""

from __future__ import annotations

import pytest

from outcomes.exports import DATASETS, FORMATS
from tests.outcomes.exports.conftest import export, hidden_words, secrets_in

pytestmark = pytest.mark.django_db
TABULAR = [d for d in DATASETS if d != "clinical"]


def _datasets(fmt: str) -> list[str]:
    return ["clinical"] if fmt == "odm" else TABULAR


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_monitors_files_carry_no_factor(imported, make_user, tmp_path, fmt):
    monitor = make_user("monitor", imported)
    out = export(tmp_path, fmt, user=monitor, datasets=_datasets(fmt))
    words = hidden_words(imported, ["drug", "therapy"])
    files = sorted(out.iterdir())
    assert len(files) == len(_datasets(fmt))
    for path in files:
        assert secrets_in(path, words) == set(), path.name


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_investigators_files_carry_no_factor_before_analysis_unblinding(imported, make_user, tmp_path, fmt):
    investigator = make_user("investigator", imported)
    out = export(tmp_path, fmt, user=investigator, datasets=_datasets(fmt))
    words = hidden_words(imported, ["drug", "therapy"])
    for path in sorted(out.iterdir()):
        assert secrets_in(path, words) == set(), path.name


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_search_finds_the_factors_in_an_unblinded_export(imported, make_user, tmp_path, fmt):
    """The control: the same search on the unblinded statistician's files finds every level."""
    statistician = make_user("unblinded_statistician", imported)
    out = export(tmp_path, fmt, user=statistician, datasets=["clinical"] if fmt == "odm" else ["endpoints"])
    (path,) = out.iterdir()
    assert {"ketamine", "placebo", "therapy", "education"} <= secrets_in(
        path, hidden_words(imported, ["drug", "therapy"])
    )


def test_a_statistician_asking_for_a_blinded_file_gets_no_factor(imported, make_user, tmp_path):
    statistician = make_user("unblinded_statistician", imported)
    out = export(tmp_path, "csv", user=statistician, datasets=TABULAR, blinded=True)
    for path in sorted(out.iterdir()):
        assert secrets_in(path, hidden_words(imported, ["drug", "therapy"])) == set(), path.name


def test_after_analysis_unblinding_the_investigator_sees_the_factors(imported, make_user, tmp_path, unblind):
    investigator = make_user("investigator", imported)
    unblind()
    out = export(tmp_path, "csv", user=investigator, datasets=["endpoints"])
    header = (out / "KARE_endpoints.csv").read_text().splitlines()[0]
    assert header.endswith(",drug,therapy")
