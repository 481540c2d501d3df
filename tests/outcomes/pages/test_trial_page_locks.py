"""Locking and unlocking a trial's data from its page: a reason each time (400 with the message at
the field otherwise), only for the roles the lock services allow, and only within the user's sites."""

from __future__ import annotations

import re

import pytest

from participants.locks import services as locks
from participants.models import DataLock
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_manager(kare, make_user):
    return make_user("data_manager", kare)


def _field_error(html: str, field_id: str) -> str:
    match = re.search(rf'<p class="field-error" id="{field_id}_error">(.*?)</p>', html, re.DOTALL)
    return re.sub(r"<[^>]+>", "", match[1]).strip() if match else ""


def test_a_data_manager_locks_the_trial_with_a_reason(client, kare, data_manager):
    force_login_verified(client, data_manager)
    response = client.post("/trials/KARE/locks/", {"lock-reason": "database lock for the final analysis"})
    assert response.status_code == 302
    assert response["Location"] == "/trials/KARE/#locks"
    lock = DataLock.objects.get(trial=kare)
    assert (lock.reason, lock.locked_by, lock.participant) == (
        "database lock for the final analysis",
        data_manager,
        None,
    )
    html = client.get(response["Location"]).content.decode()
    assert "KARE: data locked." in html
    assert "database lock for the final analysis" in html


def test_locking_without_a_reason_is_a_400_with_the_message_at_the_field(client, kare, data_manager):
    force_login_verified(client, data_manager)
    response = client.post("/trials/KARE/locks/", {"lock-reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert _field_error(html, "id_lock-reason") == "Error: This field is required."
    assert 'class="error-summary"' in html
    assert not DataLock.objects.exists()


def test_an_htmx_lock_answers_the_locks_section_alone(client, kare, data_manager):
    force_login_verified(client, data_manager)
    refused = client.post("/trials/KARE/locks/", {"lock-reason": ""}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    assert refused.content.decode().lstrip().startswith('<h2 id="locks-title">')
    done = client.post("/trials/KARE/locks/", {"lock-reason": "interim"}, headers={"HX-Request": "true"})
    assert done.status_code == 200
    assert "KARE: data locked." in done.content.decode()


def test_a_second_lock_is_refused_at_the_top_of_the_form(client, kare, data_manager):
    locks.data_lock(actor=data_manager, trial=kare, reason="first")
    force_login_verified(client, data_manager)
    response = client.post("/trials/KARE/locks/", {"lock-reason": "second"})
    assert response.status_code == 400
    assert "already locked" in response.content.decode()
    assert DataLock.objects.count() == 1


def test_one_participant_is_locked_by_study_id_and_an_unknown_one_is_named_at_the_field(
    client, kare, data_manager, import_one
):
    participant = import_one(study_id="T0001")
    force_login_verified(client, data_manager)
    unknown = client.post("/trials/KARE/locks/", {"lock-reason": "query", "lock-study_id": "T9999"})
    assert unknown.status_code == 400
    assert _field_error(unknown.content.decode(), "id_lock-study_id").endswith(
        "No participant with this study id at your sites."
    )
    assert client.post("/trials/KARE/locks/", {"lock-reason": "query", "lock-study_id": "T0001"}).status_code == 302
    assert DataLock.objects.get().participant == participant


def test_unlocking_needs_a_reason_and_lifts_the_lock(client, kare, data_manager):
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="interim")
    force_login_verified(client, data_manager)
    url = f"/trials/KARE/locks/{lock.pk}/unlock/"
    refused = client.post(url, {f"unlock-{lock.pk}-reason": ""})
    assert refused.status_code == 400
    assert _field_error(refused.content.decode(), f"id_unlock-{lock.pk}-reason") == "Error: This field is required."
    lock.refresh_from_db()
    assert lock.unlocked_at is None
    assert client.post(url, {f"unlock-{lock.pk}-reason": "queries answered"}).status_code == 302
    lock.refresh_from_db()
    assert (lock.unlock_reason, lock.unlocked_by) == ("queries answered", data_manager)


@pytest.mark.parametrize("role", ["investigator", "coordinator", "unblinded_statistician", "monitor"])
def test_other_roles_see_the_locks_but_may_not_lock_or_unlock(client, kare, data_manager, make_user, role):
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="interim")
    force_login_verified(client, make_user(role, kare))
    html = client.get("/trials/KARE/").content.decode()
    assert "interim" in html
    assert "lock-reason" not in html
    assert client.post("/trials/KARE/locks/", {"lock-reason": "mine"}).status_code == 403
    unlock = client.post(f"/trials/KARE/locks/{lock.pk}/unlock/", {f"unlock-{lock.pk}-reason": "mine"})
    assert unlock.status_code == 403
    lock.refresh_from_db()
    assert lock.unlocked_at is None
    assert DataLock.objects.count() == 1


def test_another_sites_or_trials_lock_is_not_found(client, kare, more_kare, data_manager, make_user, import_one):
    london = import_one(study_id="T0002", site="london")
    lock = locks.data_lock(actor=data_manager, trial=kare, participant=london, reason="query")
    exeter_manager = make_user("data_manager", kare, sites=["exeter"])
    force_login_verified(client, exeter_manager)
    assert client.post(f"/trials/KARE/locks/{lock.pk}/unlock/", {f"unlock-{lock.pk}-reason": "x"}).status_code == 404
    assert "query" not in client.get("/trials/KARE/locks/").content.decode()
    other = make_user("data_manager", more_kare)
    force_login_verified(client, other)
    assert (
        client.post(f"/trials/MORE-KARE/locks/{lock.pk}/unlock/", {f"unlock-{lock.pk}-reason": "x"}).status_code == 404
    )
    assert client.post("/trials/KARE/locks/", {"lock-reason": "x"}).status_code == 404


def test_an_htmx_request_without_a_session_sends_the_whole_page_to_the_sign_in(client, kare):
    answer = client.post(
        "/trials/KARE/locks/",
        {"lock-reason": "interim"},
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/trials/KARE/?x=1"},
    )
    assert answer.status_code == 200
    assert answer["HX-Redirect"] == "/accounts/login/?next=/trials/KARE/%3Fx%3D1"
    assert not DataLock.objects.exists()
