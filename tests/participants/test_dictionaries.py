"""Loading a licensed dictionary release: MedDRA's ASCII files or the CTCAE list, all or nothing.

The files under ``dictionaries/`` are made up in the exact layouts (no licensed content)."""

from __future__ import annotations

import hashlib
import io
import shutil
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from participants.models import DictionaryRelease, DictionaryTerm
from participants.safety import dictionaries
from tests.conftest import password_in

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "dictionaries"
MEDDRA = FILES / "meddra"


@pytest.fixture
def data_manager(kare, make_user):
    return make_user("data_manager", kare)


def load(user, *args) -> str:
    out = io.StringIO()
    call_command("load_dictionary", *args, "--as", user.username, stdin=password_in(), stdout=out)
    return out.getvalue()


def meddra_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(MEDDRA, tmp_path / "MedAscii"))


def test_a_meddra_release_is_loaded_with_each_llts_pt_and_primary_soc(data_manager):
    out = load(data_manager, "--meddra", str(MEDDRA), "--version", "27.1")
    assert "MedDRA 27.1: loaded 8 terms" in out
    release = DictionaryRelease.objects.get()
    assert (release.kind, release.version, release.loaded_by, release.terms_loaded) == (
        "meddra",
        "27.1",
        data_manager,
        8,
    )
    assert release.sha256 == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in MEDDRA.iterdir()}
    fit = DictionaryTerm.objects.get(llt_name="Fit")
    # Seizure sits under two SOCs; the primary one (mdhier.asc's Y row) is kept
    assert (fit.llt_code, fit.pt_code, fit.pt_name, fit.soc_code, fit.soc_name, fit.current) == (
        "90010005",
        "90001002",
        "Seizure",
        "90000002",
        "Nerve disorders",
        True,
    )
    assert DictionaryTerm.objects.get(llt_name="Sickish").current is False


def test_a_ctcae_list_is_loaded_with_its_grades(kare, make_user):
    admin = make_user("administrator", kare)
    assert "CTCAE 5.0: loaded 3 terms" in load(admin, "--ctcae", str(FILES / "ctcae.csv"), "--version", "5.0")
    seizure = DictionaryTerm.objects.get(llt_name="Seizure")
    assert (seizure.pt_code, seizure.soc_code, seizure.soc_name) == ("90020002", "", "Nerve disorders")
    assert seizure.grades == {
        "1": "Brief partial",
        "2": "Brief generalised",
        "3": "Multiple",
        "4": "Life-threatening",
        "5": "Death",
    }
    assert DictionaryTerm.objects.get(llt_name="Nausea").grades["4"] == ""


@pytest.mark.parametrize(
    ("file", "line", "bad", "where", "message"),
    [
        ("llt.asc", 3, "90010003$Sickish$9000", "llt.asc line 3", "a record ends with $"),
        ("llt.asc", 5, "9001000X$Fit$90001002$$$$$$$Y$$", "llt.asc line 5", "code '9001000X' is not 8 digits"),
        ("llt.asc", 8, "90010008$Palpitations$90009999$$$$$$$Y$$", "llt.asc line 8", "PT '90009999' is not in pt"),
        ("llt.asc", 2, "90010002$Feeling queasy$90001001$$$$$$$maybe$$", "llt.asc line 2", "not Y or N"),
        ("llt.asc", 2, "90010001$Queasy$90001001$$$$$$$Y$$", "llt.asc line 2", "LLT 90010001 is listed twice"),
        ("pt.asc", 4, "90001004$Palpitations$$90000002$$$$$$$$", "pt.asc line 4", "differs from mdhier.asc's 90000003"),
        ("soc.asc", 1, "90000001$$Gut$$$$$$$$", "soc.asc line 1", "the SOC has no name"),
        ("mdhier.asc", 2, "90001002$90100002$90200002$90000002$Seizure$$", "mdhier.asc line 2", "at least 12 expected"),
    ],
)  # fmt: skip
def test_a_malformed_file_is_refused_naming_its_line_and_nothing_is_written(
    data_manager, tmp_path, file, line, bad, where, message
):
    directory = meddra_copy(tmp_path)
    lines = (directory / file).read_text().splitlines()
    lines[line - 1] = bad
    (directory / file).write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as refused:
        load(data_manager, "--meddra", str(directory), "--version", "27.1")
    assert f"{where}: " in str(refused.value)
    assert message in str(refused.value).split(f"{where}: ", 1)[1].splitlines()[0]
    assert (DictionaryRelease.objects.count(), DictionaryTerm.objects.count()) == (0, 0)


def test_a_ctcae_list_without_its_columns_is_refused(data_manager, tmp_path):
    bad = tmp_path / "ctcae.csv"
    bad.write_text("Code,Term\n90020001,Nausea\n")
    with pytest.raises(CommandError, match="line 1: missing column"):
        load(data_manager, "--ctcae", str(bad), "--version", "5.0")
    assert DictionaryRelease.objects.count() == 0


def test_a_directory_without_the_meddra_files_is_refused(data_manager, tmp_path):
    with pytest.raises(CommandError, match=r"missing: soc\.asc, pt\.asc, llt\.asc, mdhier\.asc"):
        load(data_manager, "--meddra", str(tmp_path), "--version", "27.1")


def test_a_version_is_loaded_once(data_manager):
    load(data_manager, "--meddra", str(MEDDRA), "--version", "27.1")
    with pytest.raises(CommandError, match=r"MedDRA 27\.1 is already loaded"):
        load(data_manager, "--meddra", str(MEDDRA), "--version", "27.1")
    assert (DictionaryRelease.objects.count(), DictionaryTerm.objects.count()) == (1, 8)
    load(data_manager, "--meddra", str(MEDDRA), "--version", "28.0")  # the next release is another matter
    assert DictionaryRelease.objects.count() == 2


def test_only_an_administrator_or_a_data_manager_loads_a_dictionary(kare, make_user):
    coordinator = make_user("coordinator", kare)
    with pytest.raises(CommandError, match="only an administrator or a data manager"):
        load(coordinator, "--meddra", str(MEDDRA), "--version", "27.1")
    assert DictionaryRelease.objects.count() == 0


def test_a_failure_while_writing_leaves_nothing_half_written(data_manager, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(DictionaryTerm.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        dictionaries.dictionary_load(actor=data_manager, kind="meddra", version="27.1", source=MEDDRA)
    assert DictionaryRelease.objects.count() == 0


def test_eighty_thousand_llts_load_in_seconds_with_progress(data_manager, tmp_path):
    directory = meddra_copy(tmp_path)
    with (directory / "llt.asc").open("a") as llt:
        for n in range(80_000):
            llt.write(f"{91000000 + n}$Made-up term {n}${90001001 + n % 4}$$$$$$$Y$$\n")
    started = time.monotonic()
    out = load(data_manager, "--meddra", str(directory), "--version", "27.1")
    elapsed = time.monotonic() - started
    assert "llt.asc: 80,000 lines read" in out
    assert DictionaryTerm.objects.count() == 80_008
    assert elapsed < 60, f"{elapsed:.1f} s"  # a few seconds alone; generous for a busy machine
