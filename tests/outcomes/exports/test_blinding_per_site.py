"""Exports by people who hold different roles at the two KARE sites, in every format.

A file holds the participants of every site where the person holds a role that may export, and
carries a factor column only when the person may see that factor at every one of those sites. So
an unblinded statistician at exeter who monitors london gets a file of both sites without any
factor; one who is also london's pharmacist gets the drug (seen at both sites) and not the therapy
(seen at exeter only). An emergency unblinding opens nothing in a file, and a site where the person
holds no exporting role is left out of it.

What each file should hold comes from the example's own participant file (sites and levels) and
the protocol, never from the code that writes the file. Each file is read back: the study ids of
the sites it should hold are all there, and each participant's levels are exactly those expected.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import etree

from outcomes.exports import DATASETS, FORMATS
from tests.conftest import password_in
from tests.outcomes.conftest import DATA
from tests.outcomes.exports.conftest import PASSWORD, export, found, hidden_words, read_stat, secrets_in
from tests.participants.conftest import two_site_person

pytestmark = pytest.mark.django_db

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
TABULAR = [d for d in DATASETS if d != "clinical"]
BY_SUBJECT = {"odm": "clinical"}  # the dataset with one row (or subject) per participant, per format


def _datasets(fmt: str) -> list[str]:
    return ["clinical"] if fmt == "odm" else TABULAR


def example() -> dict[str, dict[str, str]]:
    """The example's participants ``{study_id: {"site", "drug", "therapy"}}``, from its import file."""
    with open(DATA / "participants.csv", newline="") as handle:
        return {row["study_id"]: row for row in csv.DictReader(handle)}


def at(*sites: str) -> set[str]:
    return {sid for sid, row in example().items() if row["site"] in sites}


def _table(path: Path) -> list[dict[str, str]]:
    """The rows of a tabular file, column names in lower case, values as text."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(handle)]
    if path.suffix == ".json":
        document = json.loads(path.read_text(encoding="utf-8"))
        names = [c["name"].lower() for c in document["columns"]]
        return [dict(zip(names, ("" if v is None else str(v) for v in row), strict=True)) for row in document["rows"]]
    frame, _ = read_stat(path)
    frame.columns = [c.lower() for c in frame.columns]
    return frame.astype(str).to_dict("records")


def subject_levels(path: Path) -> dict[str, dict[str, str]]:
    """``{study_id: {factor: level}}`` as a participant-level file carries them (ADSL, or ODM's
    subjects with their factor items)."""
    if path.suffix == ".xml":
        root = etree.parse(str(path)).getroot()
        out = {}
        for subject in root.iter(f"{ODM}SubjectData"):
            items = subject.iter(f"{ODM}ItemData")
            out[subject.get("SubjectKey")] = {
                i.get("ItemOID").removeprefix("IT.FACTOR_").lower(): i.get("Value")
                for i in items
                if i.get("ItemOID").startswith("IT.FACTOR_")
            }
        return out
    factors = {"drug", "therapy"}
    return {row["subjid"]: {f: row[f] for f in factors if f in row} for row in _table(path)}


def _file(out: Path, fmt: str) -> Path:
    [path] = [p for p in out.iterdir() if BY_SUBJECT.get(fmt, "adsl") in p.name]
    return path


# --- a file spanning a site where the person is blinded --------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_spanning_a_site_where_the_exporter_is_blinded_carries_no_factor(imported, make_user, tmp_path, fmt):
    person = two_site_person(make_user, imported, "unblinded_statistician", "monitor")
    out = export(tmp_path, fmt, user=person, datasets=_datasets(fmt))
    words = hidden_words(imported, ["drug", "therapy"])
    files = sorted(out.iterdir())
    assert len(files) == len(_datasets(fmt))
    for path in files:
        assert secrets_in(path, words) == set(), path.name
    # Both sites' participants are in it: the file is blinded, not empty.
    assert subject_levels(_file(out, fmt)) == {sid: {} for sid in at("exeter", "london")}


def test_the_api_gives_a_file_spanning_a_site_where_the_caller_is_blinded_no_factor(
    imported, make_user, as_user, tmp_path
):
    client = as_user(two_site_person(make_user, imported, "unblinded_statistician", "monitor"))
    for fmt in FORMATS:  # one set-up for every format: each file is checked on its own
        dataset = BY_SUBJECT.get(fmt, "adsl")
        response = client.get(f"/api/trials/KARE/exports/{fmt}/?dataset={dataset}")
        assert response.status_code == 200, (fmt, response.content[:500])
        path = tmp_path / response["Content-Disposition"].split('filename="')[1].rstrip('"')
        path.write_bytes(b"".join(response.streaming_content))
        assert secrets_in(path, hidden_words(imported, ["drug", "therapy"])) == set(), fmt
        assert subject_levels(path) == {sid: {} for sid in at("exeter", "london")}, fmt


# --- a factor seen at both sites through different roles -------------------------------------------


@pytest.fixture
def drug_at_both_sites(imported, make_user):
    """Unblinded statistician at exeter; pharmacist and monitor at london: the drug is visible at
    both sites (through different roles), the therapy at exeter only, and both sites may be exported."""
    from core.services import membership_grant

    person = two_site_person(make_user, imported, "unblinded_statistician", "pharmacist")
    membership_grant(user=person, role="monitor", sites=[imported.sites.get(code="london")], reason="monitors too")
    return person


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_carries_the_factor_visible_at_every_site_it_holds_and_no_other(
    imported, drug_at_both_sites, tmp_path, fmt
):
    out = export(tmp_path, fmt, user=drug_at_both_sites, datasets=_datasets(fmt))
    for path in sorted(out.iterdir()):
        assert secrets_in(path, hidden_words(imported, ["therapy"])) == set(), path.name
    expected = {sid: {"drug": row["drug"]} for sid, row in example().items()}
    assert subject_levels(_file(out, fmt)) == expected


# --- the sites a file holds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "exported"),
    [
        pytest.param(("unblinded_statistician", "pharmacist"), "exeter", id="pharmacist-at-london-may-not-export"),
        pytest.param(("administrator", "monitor"), "london", id="administrator-at-exeter-may-not-export"),
    ],
)
def test_a_file_holds_only_the_sites_where_the_person_may_export(imported, make_user, tmp_path, roles, exported):
    person = two_site_person(make_user, imported, *roles)
    for fmt in ("csv", "odm"):
        path = _file(export(tmp_path, fmt, user=person, datasets=[BY_SUBJECT.get(fmt, "adsl")]), fmt)
        assert set(subject_levels(path)) == at(exported), fmt
        others = at("exeter", "london") - at(exported)
        assert found(path.read_text(encoding="utf-8"), others) == set(), fmt


# --- emergency unblinding --------------------------------------------------------------------------


def test_an_emergency_unblinding_opens_nothing_in_the_files_of_the_person_who_asked(
    imported, make_user, as_user, tmp_path
):
    person = two_site_person(make_user, imported, "investigator", "data_manager")
    [unblinded] = sorted(at("exeter"))[:1]
    response = as_user(person).post(
        f"/api/participants/{unblinded}/unblind/", {"reason": "anaphylaxis", "password": PASSWORD}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["arm"] != "blinded"  # the person does see the allocation on screen
    for fmt in FORMATS:
        out = export(tmp_path, fmt, user=person, datasets=_datasets(fmt))
        for path in sorted(out.iterdir()):
            assert secrets_in(path, hidden_words(imported, ["drug", "therapy"])) == set(), path.name
        assert subject_levels(_file(out, fmt))[unblinded] == {}, fmt


# --- export_endpoints ------------------------------------------------------------------------------


def _export_endpoints(tmp_path, user) -> list[dict[str, str]]:
    out = tmp_path / f"endpoints-{user.username}.csv"
    call_command(
        "export_endpoints", trial="KARE", out=str(out), actor=user.username, stdin=password_in(), stdout=io.StringIO()
    )
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_export_endpoints_carries_no_factor_visible_at_one_site_only(imported, make_user, tmp_path):
    rows = _export_endpoints(tmp_path, two_site_person(make_user, imported, "pharmacist", "coordinator"))
    assert {r["study_id"] for r in rows} == at("exeter", "london")
    assert {"drug", "therapy"}.isdisjoint(rows[0])
    text = "\n".join(",".join(r.values()) for r in rows)
    assert found(text, hidden_words(imported, ["drug", "therapy"])) == set()


def test_export_endpoints_carries_a_factor_visible_at_both_sites_and_no_other(imported, make_user, tmp_path):
    rows = _export_endpoints(tmp_path, two_site_person(make_user, imported, "pharmacist", "unblinded_statistician"))
    assert "therapy" not in rows[0]
    assert {(r["study_id"], r["drug"]) for r in rows} == {(sid, row["drug"]) for sid, row in example().items()}
