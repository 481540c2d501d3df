"""Separation of duties in granting roles: nobody grants a role to themselves, and a role that sees
a factor of the protocol in force (or the administrator's) is asked for and takes effect only when
a second administrator of the trial approves; the trial's unblinded team is told of each step.

Found against the running system: an administrator granted itself ``unblinded_statistician``
through ``POST /api/users/{own id}/memberships/`` (200), with nobody approving and nobody told.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from core.history import events_for
from core.models import RequestState, RoleRequest, RoleRequestSite, SiteMembership
from core.roles import Role
from participants.models import StaffNotification
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="ada")


@pytest.fixture
def second_admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="bea")


@pytest.fixture
def monitor(kare, make_user):
    return make_user(Role.MONITOR, kare, username="mo")


@pytest.fixture
def statistician(kare, make_user):
    """The trial's unblinded team (KARE's ``unblinding.notify_roles``)."""
    return make_user(Role.UNBLINDED_STATISTICIAN, kare, username="stat")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def grant(client, user, role: str, *, sites=("exeter",), trial: str = "KARE"):
    return client.post(
        f"/api/users/{user.pk}/memberships/",
        {"role": role, "trial": trial, "sites": list(sites), "reason": "joins the trial"},
        format="json",
    )


def held(user) -> set[tuple[str, str]]:
    return {(m.site.code, m.role_id) for m in SiteMembership.objects.filter(user=user).select_related("site")}


def ask(client, user, role: str = "pharmacist") -> dict:
    response = grant(client, user, role)
    assert response.status_code == 202, response.json()
    return response.json()


def error(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content)
    return response.json()["error"]


# --- never to oneself -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["unblinded_statistician", "monitor"])
def test_an_administrator_may_not_grant_itself_a_role(admin, role):
    before = held(admin)

    refused = error(grant(_client(admin), admin, role), 403)

    assert "themselves" in refused["message"]
    assert held(admin) == before
    assert not RoleRequest.objects.exists()


def test_the_database_refuses_a_request_for_oneself(kare, admin):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.create(user=admin, role_id="pharmacist", trial=kare, reason="x", requested_by=admin)


# --- a request, then a second administrator ----------------------------------------------------------


@pytest.mark.parametrize("role", ["pharmacist", "unblinded_statistician", "administrator"])
def test_a_role_that_sees_a_factor_or_administers_is_asked_for_not_granted(admin, monitor, role):
    body = ask(_client(admin), monitor, role)

    assert (body["role"], body["state"], body["username"], body["requested_by"]) == (role, "pending", "mo", "ada")
    assert body["sites"] == ["exeter"]
    assert ("exeter", role) not in held(monitor)


@pytest.mark.parametrize(
    ("trial", "status"), [("KARE", 202), ("MORE-KARE", 200)], ids=["kare_coordinator_sees_therapy", "more_kare"]
)
def test_whether_a_grant_needs_approval_is_read_from_the_protocol(kare, more_kare, make_user, trial, status):
    """KARE's coordinators see the therapy factor; MORE-KARE's see none."""
    admin = make_user(Role.ADMINISTRATOR, kare, username="ada")
    SiteMembership.objects.create(user=admin, site=more_kare.sites.get(code="exeter"), role_id="administrator")
    person = make_user(Role.MONITOR, kare, username="mo")

    response = grant(_client(admin), person, "coordinator", trial=trial)

    assert response.status_code == status, response.json()
    assert (("exeter", "coordinator") in held(person)) is (status == 200)


def test_a_second_administrator_approves_and_the_role_is_granted(admin, second_admin, monitor):
    request = ask(_client(admin), monitor)

    response = _client(second_admin).post(f"/api/role-requests/{request['id']}/approve/", {}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["decided_by"]) == ("approved", "bea")
    assert ("exeter", "pharmacist") in held(monitor)


def test_the_administrator_who_asked_may_not_approve(admin, second_admin, monitor):
    client = _client(admin)
    request = ask(client, monitor)

    refused = error(client.post(f"/api/role-requests/{request['id']}/approve/", {}, format="json"), 403)

    assert "second administrator" in refused["message"]
    assert RoleRequest.objects.get(pk=request["id"]).state == RequestState.PENDING
    assert ("exeter", "pharmacist") not in held(monitor)


@pytest.mark.parametrize("decision", ["approve", "refuse"])
def test_the_person_asked_for_may_not_decide_their_own_request(admin, second_admin, decision):
    request = ask(_client(admin), second_admin, "unblinded_statistician")
    path = f"/api/role-requests/{request['id']}/{decision}/"

    error(_client(second_admin).post(path, {"reason": "mine"}, format="json"), 403)

    assert RoleRequest.objects.get(pk=request["id"]).state == RequestState.PENDING
    assert ("exeter", "unblinded_statistician") not in held(second_admin)


def test_the_database_refuses_a_decision_by_the_one_who_asked(kare, admin, monitor):
    request = RoleRequest.objects.create(user=monitor, role_id="pharmacist", trial=kare, reason="x", requested_by=admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleRequest.objects.filter(pk=request.pk).update(
            state=RequestState.APPROVED, decided_by=admin, decided_at=timezone.now()
        )


def test_an_administrator_of_another_trial_finds_no_request(kare, more_kare, make_user, admin, monitor):
    request = ask(_client(admin), monitor)
    elsewhere = make_user(Role.ADMINISTRATOR, more_kare, username="other")

    error(_client(elsewhere).post(f"/api/role-requests/{request['id']}/approve/", {}, format="json"), 404)
    assert _client(elsewhere).get("/api/role-requests/").json()["count"] == 0


def test_a_refusal_says_why_and_grants_nothing(admin, second_admin, monitor):
    request = ask(_client(admin), monitor)
    path = f"/api/role-requests/{request['id']}/refuse/"

    error(_client(second_admin).post(path, {"reason": "  "}, format="json"), 400)
    response = _client(second_admin).post(path, {"reason": "not on the delegation log"}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["state"], response.json()["decision_reason"]) == ("refused", "not on the delegation log")
    assert ("exeter", "pharmacist") not in held(monitor)


def test_a_decided_request_is_not_decided_again(admin, second_admin, monitor):
    request = ask(_client(admin), monitor)
    client = _client(second_admin)
    client.post(f"/api/role-requests/{request['id']}/refuse/", {"reason": "no"}, format="json")

    refused = error(client.post(f"/api/role-requests/{request['id']}/approve/", {}, format="json"), 409)

    assert refused["code"] == "decided"
    assert ("exeter", "pharmacist") not in held(monitor)


def test_asking_again_returns_the_pending_request_and_other_sites_wait_for_it(admin, monitor):
    client = _client(admin)
    first = ask(client, monitor)

    assert ask(client, monitor)["id"] == first["id"]
    assert error(grant(client, monitor, "pharmacist", sites=["london"]), 409)["code"] == "pending"


def test_the_list_shows_the_pending_requests_first(kare, admin, second_admin, make_user):
    people = [make_user(Role.MONITOR, kare, username=f"m{n}") for n in range(3)]
    ids = [ask(_client(admin), person)["id"] for person in people]
    _client(second_admin).post(f"/api/role-requests/{ids[2]}/refuse/", {"reason": "no"}, format="json")

    rows = _client(second_admin).get("/api/role-requests/").json()["results"]

    assert [(r["id"], r["state"]) for r in rows] == [(ids[1], "pending"), (ids[0], "pending"), (ids[2], "refused")]


def test_the_unblinded_team_is_told_of_the_request_and_of_the_decision(admin, second_admin, monitor, statistician):
    request = ask(_client(admin), monitor)
    _client(second_admin).post(f"/api/role-requests/{request['id']}/approve/", {}, format="json")

    notes = StaffNotification.objects.filter(kind="role_request").order_by("pk")

    assert {note.recipient for note in notes} == {statistician}
    assert [("approved" in note.subject, "pharmacist" in note.body and "mo" in note.body) for note in notes] == [
        (False, True),
        (True, True),
    ]


# --- adding a person with such a role ---------------------------------------------------------------


def test_a_person_added_with_a_role_that_sees_a_factor_waits_for_approval(admin, second_admin):
    response = _client(admin).post(
        "/api/users/", {"username": "phil", "password": PASSWORD, "role": "pharmacist", "trial": "KARE"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["memberships"] == []
    assert (body["role_request"]["state"], body["role_request"]["sites"]) == ("pending", ["exeter", "london"])
    assert "phil" in {row["username"] for row in _client(second_admin).get("/api/users/").json()["results"]}


# --- the admin goes through the same services -----------------------------------------------------------


def _admin_client(user):
    type(user).objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    force_login_verified(client, user)
    return client


def _admin_add(client, user, site, role: str):
    return client.post(
        "/admin/trialtracker/sitemembership/add/",
        {"user": user.pk, "site": site.pk, "role": role, "reason": "covers the pharmacy"},
    )


def test_a_superuser_adding_a_role_that_sees_a_factor_in_the_admin_makes_a_request(kare, admin, monitor):
    response = _admin_add(_admin_client(admin), monitor, kare.sites.get(code="london"), "pharmacist")

    assert response.status_code == 302
    assert ("london", "pharmacist") not in held(monitor)
    request = RoleRequest.objects.get()
    assert (request.user, request.requested_by, request.state) == (monitor, admin, RequestState.PENDING)


def test_the_admin_grants_a_role_that_sees_no_factor_at_once(kare, admin, monitor):
    response = _admin_add(_admin_client(admin), monitor, kare.sites.get(code="london"), "investigator")

    assert response.status_code == 302
    assert ("london", "investigator") in held(monitor)


def test_the_admin_refuses_a_grant_to_oneself(kare, admin):
    before = held(admin)

    response = _admin_add(_admin_client(admin), admin, kare.sites.get(code="london"), "unblinded_statistician")

    assert response.status_code == 200  # the form again, with its error
    assert "themselves" in response.content.decode()
    assert held(admin) == before
    assert not RoleRequest.objects.exists()


# --- both steps in the audit trail ------------------------------------------------------------------


@pytest.mark.postgres
def test_the_request_and_its_approval_are_in_the_audit_trail(admin, second_admin, monitor):
    request = ask(_client(admin), monitor)
    _client(second_admin).post(f"/api/role-requests/{request['id']}/approve/", {"reason": "signed off"}, format="json")

    trail = events_for(
        [
            (RoleRequest, Q(pgh_obj_id=request["id"])),
            (RoleRequestSite, Q(request_id=request["id"])),
            (SiteMembership, Q(user_id=monitor.pk, role_id="pharmacist")),
        ]
    )

    # The test's one transaction gives every event the same time: their order is not the point.
    assert sorted((e["model"], e["label"], e["actor"], e["reason"]) for e in trail) == [
        ("trialtracker.rolerequest", "insert", "ada", "joins the trial"),
        ("trialtracker.rolerequest", "update", "bea", "signed off"),
        ("trialtracker.rolerequestsite", "insert", "ada", "joins the trial"),
        ("trialtracker.sitemembership", "insert", "bea", "signed off"),
    ]
    [update] = [e for e in trail if e["label"] == "update"]
    assert update["changes"]["state"] == ["pending", "approved"]
