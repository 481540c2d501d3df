"""The read-only trials API: trials, versions, design, schedule, settings and the protocol's audit trail."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest
import yaml

from core.roles import Role
from tests.conftest import force_login_verified
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
_KARE = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text(encoding="utf-8"))


def amend_kare(change, *, reason: str, actor=None, label: str = "1.1", effective=dt.date(2017, 1, 1)):
    doc = copy.deepcopy(_KARE)
    doc["version"] = {"label": label, "effective_date": effective}
    change(doc)
    return protocol_load(protocol=validate(doc), actor=actor, amend=True, reason=reason, source="test").version


@pytest.fixture
def coordinator(kare, make_user):
    return make_user(Role.COORDINATOR, kare, sites=["exeter"], username="carol")


@pytest.fixture
def data_manager(kare, make_user):
    return make_user(Role.DATA_MANAGER, kare, username="dana")


def test_trial_detail_gives_the_current_version(as_user, coordinator):
    body = as_user(coordinator).get("/api/trials/KARE/").json()

    assert (body["code"], body["current_version"], body["current_label"], body["versions"]) == ("KARE", 1, "1.0", 1)
    assert body["registry_ids"] == _KARE["trial"]["registry_ids"]


def test_trial_detail_lists_only_the_sites_of_the_caller(as_user, coordinator):
    body = as_user(coordinator).get("/api/trials/KARE/").json()

    assert [site["code"] for site in body["sites"]] == ["exeter"]


def test_trial_detail_lists_every_site_for_an_administrator(as_user, kare, make_user):
    admin = make_user(Role.ADMINISTRATOR, kare, sites=["exeter"])

    body = as_user(admin).get("/api/trials/KARE/").json()

    assert [site["code"] for site in body["sites"]] == ["exeter", "london"]


def test_version_list_gives_every_version_in_order(as_user, coordinator):
    amend_kare(lambda doc: None, reason="relabelled")

    body = as_user(coordinator).get("/api/trials/KARE/versions/").json()

    assert [(v["number"], v["is_amendment"], v["reason"]) for v in body["results"]] == [
        (1, False, ""),
        (2, True, "relabelled"),
    ]


def test_version_detail_gives_the_whole_document(as_user, coordinator):
    body = as_user(coordinator).get("/api/trials/KARE/versions/1/").json()

    assert body["document"]["trial"]["code"] == "KARE"
    assert len(body["document"]["schedule"]) == len(_KARE["schedule"])


def test_unknown_version_is_404(as_user, coordinator):
    response = as_user(coordinator).get("/api/trials/KARE/versions/7/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_versions_of_another_trial_are_404(as_user, coordinator, more_kare):
    assert as_user(coordinator).get("/api/trials/MORE-KARE/versions/").status_code == 404


def test_design_gives_factors_and_arms(as_user, coordinator):
    body = as_user(coordinator).get("/api/trials/KARE/design/").json()

    assert [factor["code"] for factor in body["factors"]] == ["drug", "therapy"]
    assert {arm["code"]: arm["levels"] for arm in body["arms"]}["KE"] == {"drug": "ketamine", "therapy": "education"}
    assert body["randomisation"]["block_sizes"] == [4, 8]


def test_schedule_gives_events_with_anchors_and_windows(as_user, coordinator):
    events = as_user(coordinator).get("/api/trials/KARE/schedule/").json()["events"]

    v4 = next(event for event in events if event["code"] == "V4")
    assert (v4["anchor"], v4["day"], v4["window"]) == ("V2", 14, [-7, 7])
    assert [event["code"] for event in events] == [event["code"] for event in _KARE["schedule"]]


def test_settings_give_the_outcome_settings(as_user, coordinator):
    body = as_user(coordinator).get("/api/trials/KARE/settings/").json()

    assert body["outcomes"]["heavy_day_grams"] == {"M": "64", "F": "48"}
    assert body["eligibility"]["age"] == {"min": 18, "max": 60}


def test_design_of_a_named_version(as_user, coordinator):
    amend_kare(lambda doc: doc["randomisation"].update(block_sizes=[4]), reason="blocks of 4 only")
    client = as_user(coordinator)

    assert client.get("/api/trials/KARE/design/?version=1").json()["randomisation"]["block_sizes"] == [4, 8]
    assert client.get("/api/trials/KARE/design/?version=2").json()["randomisation"]["block_sizes"] == [4]


def test_version_in_force_today_is_the_default(as_user, coordinator):
    amend_kare(lambda doc: doc["randomisation"].update(block_sizes=[4]), reason="later", effective=dt.date(2999, 1, 1))

    body = as_user(coordinator).get("/api/trials/KARE/design/").json()

    assert (body["version"], body["randomisation"]["block_sizes"]) == (1, [4, 8])


def test_version_that_is_not_a_number_is_400_naming_the_parameter(as_user, coordinator):
    response = as_user(coordinator).get("/api/trials/KARE/schedule/?version=first")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"version": ["A valid integer is required."]}


# --- the protocol's audit trail ------------------------------------------------------------------


def test_history_is_403_for_a_coordinator(as_user, coordinator):
    response = as_user(coordinator).get("/api/trials/KARE/history/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_history_of_another_trial_is_404(as_user, data_manager, more_kare):
    assert as_user(data_manager).get("/api/trials/MORE-KARE/history/").status_code == 404


@pytest.mark.sqlite  # the audit trail is recorded on PostgreSQL
def test_history_says_there_is_no_audit_trail_rather_than_nothing_happened(as_user, data_manager):
    body = as_user(data_manager).get("/api/trials/KARE/history/").json()

    assert (body["count"], body["results"]) == (0, [])
    assert body["audit_trail"]["recorded"] is False
    assert "keeps no audit trail" in body["audit_trail"]["message"]


@pytest.mark.postgres
def test_history_says_the_audit_trail_is_recorded(as_user, data_manager):
    body = as_user(data_manager).get("/api/trials/KARE/history/").json()

    assert body["audit_trail"] == {"recorded": True, "message": ""}


@pytest.mark.postgres
def test_history_gives_events_with_actor_reason_and_changes(as_user, data_manager):
    amend_kare(lambda doc: doc["sites"][1].update(name="London (KCL)"), reason="site renamed", actor=data_manager)

    body = as_user(data_manager).get("/api/trials/KARE/history/?page_size=500").json()

    [renamed] = [e for e in body["results"] if e["model"] == "trials.site" and e["label"] == "update"]
    assert renamed["actor"] == "dana"
    assert renamed["reason"] == "site renamed"
    assert renamed["changes"] == {"name": ["London", "London (KCL)"]}


@pytest.mark.postgres
def test_history_gives_the_inserts_of_the_first_version(as_user, data_manager):
    body = as_user(data_manager).get("/api/trials/KARE/history/?page_size=500").json()

    inserts = {(e["model"], e["values"].get("code")) for e in body["results"] if e["label"] == "insert"}
    assert {("trials.trial", "KARE"), ("trials.site", "exeter"), ("trials.site", "london")} <= inserts
    assert {e["reason"] for e in body["results"]} == {"initial protocol version"}


@pytest.mark.postgres
def test_history_gives_deletes(as_user, data_manager):
    from core.models import SiteMembership
    from core.services import membership_revoke

    # A site goes only once the roles held there are revoked.
    for membership in SiteMembership.objects.filter(site__code="london"):
        membership_revoke(membership=membership, actor=data_manager, reason="London closes")
    amend_kare(lambda doc: doc["sites"].pop(1), reason="London closed", actor=data_manager)

    body = as_user(data_manager).get("/api/trials/KARE/history/?page_size=500").json()

    [deleted] = [e for e in body["results"] if e["label"] == "delete" and e["model"] == "trials.site"]
    assert (deleted["model"], deleted["values"]["code"]) == ("trials.site", "london")
    assert (deleted["actor"], deleted["reason"]) == ("dana", "London closed")


@pytest.mark.sqlite
def test_the_admin_and_the_login_page_say_there_is_no_audit_trail(client, django_user_model):
    """Every staff page says so on the embedded default; the login page exists (it was a 500)."""
    login = client.get("/accounts/login/")
    assert login.status_code == 200
    assert b"keeps no audit trail" in login.content
    admin = django_user_model.objects.create_superuser("root", password="correct-horse-battery-staple")
    force_login_verified(client, admin)
    assert b"keeps no audit trail" in client.get("/admin/").content


@pytest.mark.postgres
def test_the_login_page_says_nothing_of_the_audit_trail_where_it_is_recorded(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"keeps no audit trail" not in response.content
