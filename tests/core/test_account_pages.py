"""The account pages: sign-in, password change and reset, in the house's look and accessible."""

from __future__ import annotations

import pytest
from django.core import mail

from tests.browser import serious_violations
from tests.conftest import PASSWORD, force_login_verified


def test_the_sign_in_and_reset_pages_pass_axe(web, kare):
    for path in ("/accounts/login/", "/accounts/password_reset/"):
        assert web.open(path).status == 200
        assert serious_violations(web.page) == [], path


def test_a_password_is_changed_at_the_keyboard_and_the_page_passes_axe(web, kare, make_user):
    coordinator = make_user("coordinator", kare)
    web.sign_in(coordinator)
    page = web.page
    web.open("/")
    page.get_by_role("link", name="Change password").click()
    assert serious_violations(page) == []
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("a-new-and-long-password-7")
    page.get_by_label("New password confirmation").fill("a-new-and-long-password-7")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your password has been changed").wait_for()
    coordinator.refresh_from_db()
    assert coordinator.check_password("a-new-and-long-password-7")


@pytest.mark.django_db
def test_a_wrong_old_password_is_shown_at_its_field_with_a_summary(client, kare, make_user):
    coordinator = make_user("coordinator", kare)
    force_login_verified(client, coordinator)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "wrong",
            "new_password1": "a-new-and-long-password-7",
            "new_password2": "a-new-and-long-password-7",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200  # Django's own view; the form is shown again
    assert 'id="id_old_password_error"' in page
    assert 'aria-describedby="id_old_password_error"' in page
    assert "There is a problem" in page


@pytest.mark.django_db
def test_a_reset_link_goes_to_the_accounts_address_only(client, kare, make_user):
    make_user("coordinator", kare, email="casey@example.org")
    client.post("/accounts/password_reset/", {"email": "casey@example.org"})
    client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert [m.to for m in mail.outbox] == [["casey@example.org"]]
    assert "/accounts/reset/" in mail.outbox[0].body
