"""The second factor (TOTP): who needs one, the code asked by the token endpoint and by the sign-in
page's second step, enrolling through the API or on first sign-in, an administrator's reset, and the
admin and the API refusing a session or a token opened without it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import second_factor
from core.models import AccountEvent
from core.roles import Role
from core.services import membership_grant, sites_for
from tests.core.conftest import PASSWORD, code_for, wrong_code
from trials.protocol import validate
from trials.services import protocol_load

pytestmark = pytest.mark.django_db

KARE_FILE = Path(__file__).resolve().parents[2] / "protocols" / "kare.yaml"
# In KARE's protocol: the drug is visible to these, the therapy to the therapist and coordinator.
SEE_A_FACTOR = {Role.PHARMACIST, Role.UNBLINDED_STATISTICIAN, Role.THERAPIST, Role.COORDINATOR}


@pytest.fixture
def pharmacist(kare, make_user):
    return make_user(Role.PHARMACIST, kare, username="phil")


@pytest.fixture
def monitor(kare, make_user):
    return make_user(Role.MONITOR, kare, username="mona")


@pytest.fixture
def admin(kare, make_user):
    return make_user(Role.ADMINISTRATOR, kare, username="ada")


def token(api, username: str, otp: str | None = None, password: str = PASSWORD):
    body = {"username": username, "password": password} | ({"otp": otp} if otp is not None else {})
    return api.post("/api/auth/token/", body)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- who needs one ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_roles_that_see_a_factor_and_administrators_need_a_second_factor(kare, make_user, role):
    user = make_user(role, kare)

    assert second_factor.required_for(user) == (role in SEE_A_FACTOR or role == Role.ADMINISTRATOR)


def test_a_superuser_needs_a_second_factor(django_user_model):
    assert second_factor.required_for(django_user_model.objects.create_superuser("root", password=PASSWORD))


def test_a_protocol_may_ask_every_member_for_one(db, make_user):
    document = yaml.safe_load(KARE_FILE.read_text())
    document["access"] = {"second_factor_for_all": True}
    trial = protocol_load(protocol=validate(document), source="kare.yaml").version.trial

    assert second_factor.required_for(make_user(Role.MONITOR, trial))


def test_the_protocol_setting_is_off_by_default(kare):
    assert kare.version_on().protocol.access.second_factor_for_all is False


def test_the_site_may_ask_everyone_for_one(monitor, settings):
    settings.SECOND_FACTOR_FOR_ALL = True

    assert second_factor.required_for(monitor)


def test_me_says_whether_one_is_needed_and_enrolled(as_user, monitor, pharmacist, enrol):
    enrol(pharmacist)

    assert as_user(monitor).get("/api/me/").json()["second_factor"] == {"required": False, "enrolled": False}
    assert as_user(pharmacist).get("/api/me/").json()["second_factor"] == {"required": True, "enrolled": True}


# --- the token endpoint ----------------------------------------------------------------------------


def test_a_token_without_the_code_is_refused_saying_one_is_needed(api, pharmacist, enrol):
    enrol(pharmacist)

    response = token(api, "phil")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "otp_required"
    assert list(error["fields"]) == ["otp"]
    assert "token" not in response.json()


def test_a_token_with_the_code_is_issued_as_verified(api, pharmacist, enrol):
    device = enrol(pharmacist)

    response = token(api, "phil", code_for(device))

    assert response.status_code == 200
    assert response.json()["second_factor"] is True


def test_a_wrong_code_gets_no_token(api, pharmacist, enrol):
    device = enrol(pharmacist)

    response = token(api, "phil", wrong_code(device))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["otp"]


def test_a_code_is_accepted_once(api, pharmacist, enrol):
    device = enrol(pharmacist)
    code = code_for(device)
    token(api, "phil", code)

    assert token(api, "phil", code).status_code == 400


def test_wrong_codes_lock_the_account(api, pharmacist, enrol):
    device = enrol(pharmacist)
    for _ in range(5):
        token(api, "phil", wrong_code(device))

    response = token(api, "phil", code_for(device))

    assert (response.status_code, response.json()["error"]["code"]) == (403, "locked")


def test_someone_who_needs_one_and_has_none_is_told_to_enrol(api, pharmacist):
    response = token(api, "phil")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "second_factor_enrolment_required"
    assert "/accounts/login/" in response.json()["error"]["message"]


def test_someone_who_needs_none_gets_a_token_with_the_password(api, monitor):
    response = token(api, "mona")

    assert response.status_code == 200
    assert response.json()["second_factor"] is False


def test_someone_who_enrolled_by_choice_is_asked_for_the_code(api, monitor, enrol):
    enrol(monitor)

    assert token(api, "mona").json()["error"]["code"] == "otp_required"


def test_a_token_issued_without_a_code_stops_when_a_role_needs_one(api, monitor, kare):
    key = token(api, "mona").json()["token"]
    membership_grant(user=monitor, role=Role.PHARMACIST, sites=sites_for(trial=kare.code, sites=[]))
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = api.get("/api/me/")

    assert response.status_code == 401
    assert "second factor" in response.json()["error"]["message"]


# --- enrolling through the API -----------------------------------------------------------------------


def test_enrolment_gives_an_otpauth_uri_for_an_authenticator_app(as_user, monitor):
    response = as_user(monitor).post("/api/me/totp/")

    assert response.status_code == 201
    uri = urlsplit(response.json()["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert parse_qs(uri.query)["secret"] == [response.json()["secret"]]
    assert parse_qs(uri.query)["issuer"] == ["Trial tracker"]


def test_enrolment_is_not_in_force_until_confirmed(api, as_user, monitor):
    as_user(monitor).post("/api/me/totp/")
    api.force_authenticate(None)

    assert token(api, "mona").status_code == 200


def test_confirming_with_the_apps_code_enrols(as_user, monitor):
    client = as_user(monitor)
    client.post("/api/me/totp/")

    response = client.post("/api/me/totp/confirm/", {"code": code_for(TOTPDevice.objects.get(user=monitor))})

    assert response.status_code == 200
    assert response.json() == {"required": False, "enrolled": True}


def test_confirming_with_a_wrong_code_enrols_nothing(as_user, monitor):
    client = as_user(monitor)
    client.post("/api/me/totp/")

    response = client.post("/api/me/totp/confirm/", {"code": wrong_code(TOTPDevice.objects.get(user=monitor))})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["code"]
    assert second_factor.device_of(monitor) is None


def test_confirming_without_starting_is_refused(as_user, monitor):
    assert as_user(monitor).post("/api/me/totp/confirm/", {"code": "123456"}).status_code == 409


def test_enrolling_again_while_enrolled_is_refused(as_user, monitor, enrol):
    device = enrol(monitor)

    response = as_user(monitor).post("/api/me/totp/")

    assert response.status_code == 409
    assert list(TOTPDevice.objects.filter(user=monitor)) == [device]


def test_enrolment_steps_are_recorded(as_user, monitor):
    client = as_user(monitor)
    client.post("/api/me/totp/")
    client.post("/api/me/totp/confirm/", {"code": code_for(TOTPDevice.objects.get(user=monitor))})

    assert list(AccountEvent.objects.values_list("kind", "user", "actor")) == [
        (AccountEvent.Kind.SECOND_FACTOR_STARTED, monitor.pk, monitor.pk),
        (AccountEvent.Kind.SECOND_FACTOR_CONFIRMED, monitor.pk, monitor.pk),
    ]


# --- an administrator's reset ----------------------------------------------------------------------


def test_an_administrator_resets_someones_second_factor_with_a_reason(api, as_user, pharmacist, admin, enrol):
    enrol(pharmacist)

    response = as_user(admin).post(f"/api/users/{pharmacist.pk}/totp/reset/", {"reason": "phone lost"})

    assert response.json() == {"username": "phil", "removed": 1}
    [event] = AccountEvent.objects.filter(kind=AccountEvent.Kind.SECOND_FACTOR_RESET)
    assert (event.user, event.actor, event.reason) == (pharmacist, admin, "phone lost")
    api.force_authenticate(None)
    assert token(api, "phil").json()["error"]["code"] == "second_factor_enrolment_required"


def test_a_reset_needs_a_reason(as_user, pharmacist, admin, enrol):
    enrol(pharmacist)

    assert as_user(admin).post(f"/api/users/{pharmacist.pk}/totp/reset/", {"reason": " "}).status_code == 400
    assert second_factor.device_of(pharmacist) is not None


def test_an_administrator_cannot_reset_their_own(as_user, admin, enrol):
    enrol(admin)

    response = as_user(admin).post(f"/api/users/{admin.pk}/totp/reset/", {"reason": "lost it"})

    assert response.status_code == 403
    assert second_factor.device_of(admin) is not None


def test_an_administrator_of_another_trial_cannot_reset(as_user, pharmacist, more_kare, make_user, enrol):
    enrol(pharmacist)
    other = make_user(Role.ADMINISTRATOR, more_kare)

    assert as_user(other).post(f"/api/users/{pharmacist.pk}/totp/reset/", {"reason": "asked"}).status_code == 404
    assert second_factor.device_of(pharmacist) is not None


# --- the sign-in page --------------------------------------------------------------------------------


def test_the_sign_in_page_asks_for_the_code_after_the_password(client, pharmacist, enrol):
    enrol(pharmacist)

    response = client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert not signed_in(client)
    assert "one-time code" in client.get("/accounts/login/code/").content.decode()


def test_the_right_code_signs_in_with_the_device_verified(client, pharmacist, enrol):
    device = enrol(pharmacist)
    client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})

    response = client.post("/accounts/login/code/", {"code": code_for(device)})

    assert response.status_code == 302
    assert signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/api/me/").status_code == 200


def test_a_wrong_code_on_the_page_does_not_sign_in(client, pharmacist, enrol):
    device = enrol(pharmacist)
    client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})

    response = client.post("/accounts/login/code/", {"code": wrong_code(device)})

    assert response.status_code == 200
    assert "not right" in response.content.decode()
    assert not signed_in(client)


def test_wrong_codes_on_the_page_lock_the_account(client, pharmacist, enrol):
    device = enrol(pharmacist)
    client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})
    for _ in range(4):
        client.post("/accounts/login/code/", {"code": wrong_code(device)})

    response = client.post("/accounts/login/code/", {"code": wrong_code(device)})

    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert client.post("/accounts/login/", {"username": "phil", "password": PASSWORD}).status_code == 403


def test_the_code_step_without_the_password_goes_back_to_the_first_step(client, pharmacist, enrol):
    enrol(pharmacist)

    response = client.get("/accounts/login/code/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/")


def test_without_an_authenticator_the_sign_in_sets_one_up(client, pharmacist):
    client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})

    page = client.get("/accounts/login/code/")
    setup = TOTPDevice.objects.get(user=pharmacist, confirmed=False)
    assert second_factor.secret_of(setup) in page.content.decode()
    assert 'src="data:image/svg+xml' in page.content.decode()
    response = client.post("/accounts/login/code/", {"code": code_for(setup)})

    assert response.status_code == 302
    assert signed_in(client)
    assert second_factor.device_of(pharmacist) == setup


def test_reloading_the_set_up_page_keeps_the_same_secret(client, pharmacist):
    client.post("/accounts/login/", {"username": "phil", "password": PASSWORD})
    client.get("/accounts/login/code/")
    first = TOTPDevice.objects.get(user=pharmacist).key

    client.get("/accounts/login/code/")

    assert TOTPDevice.objects.get(user=pharmacist).key == first


def test_someone_who_needs_none_signs_in_with_the_password_alone(client, monitor):
    response = client.post("/accounts/login/", {"username": "mona", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in(client)


def test_a_session_without_the_second_factor_is_refused_by_the_api(client, pharmacist):
    client.force_login(pharmacist)

    response = client.get("/api/me/")

    assert response.status_code in (401, 403)
    assert "second factor" in response.json()["error"]["message"]


# --- the admin ---------------------------------------------------------------------------------------


def test_the_admin_sign_in_asks_a_superuser_for_the_code(client, django_user_model, enrol):
    root = django_user_model.objects.create_superuser("root", password=PASSWORD)
    device = enrol(root)

    response = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/code/"
    response = client.post("/accounts/login/code/", {"code": code_for(device)})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_a_superuser_signed_in_without_the_second_factor(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password=PASSWORD))

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
