"""The site dashboard, in the browser and through the test client."""

from __future__ import annotations

import pytest

from tests.browser import serious_violations
from tests.conftest import PASSWORD, force_login_verified


def test_signing_in_through_the_form_lands_on_the_dashboard(web, kare, make_user):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    coordinator = make_user("coordinator", kare, username="casey")
    device = TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=True)
    page = web.page
    web.open("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_label("Code").fill(f"{totp(device.bin_key):06d}")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.url == web.url + "/"
    assert serious_violations(page) == []


@pytest.mark.django_db
def test_the_dashboard_asks_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


@pytest.mark.django_db
def test_the_dashboard_asks_for_the_second_factor_of_one_who_needs_it(client, kare, make_user):
    coordinator = make_user("coordinator", kare)
    client.force_login(coordinator)  # the password alone: KARE's coordinators see a factor, so need a code
    response = client.get("/")
    assert response.status_code == 302
    force_login_verified(client, coordinator)
    assert client.get("/").status_code == 200
