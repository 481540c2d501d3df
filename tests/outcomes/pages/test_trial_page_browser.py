"""The trial's pages in the browser at a tablet's width: an investigator opens the trial from the
list, downloads an export and opens the report; a data manager locks and unlocks with the keyboard.
Every page is scanned by axe and, for the blinded investigator, for words of the drug factor."""

from __future__ import annotations

import pytest

from participants.models import DataLock
from tests.browser import hidden_words_in, serious_violations

pytestmark = pytest.mark.browser

DRUG_WORDS = ["ketamine", "placebo", "KT", "KE", "PT", "PE", "Saline", "mg/kg"]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_investigator_downloads_an_export_and_opens_the_report(web, imported, make_user, tmp_path):
    investigator = make_user("investigator", imported)
    page = web.page
    web.sign_in(investigator)
    web.open("/trials/")
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_role("link", name="KARE").click()
    page.get_by_role("heading", name="KARE", level=1).wait_for()
    assert page.get_by_role("heading", name="Recruitment").is_visible()
    assert page.get_by_role("img", name="Randomised so far, by month").is_visible()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert _fits(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV file of Drinking endpoints, per participant and window").click()
    download = info.value
    assert download.suggested_filename == "KARE_endpoints.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text()
    assert text.startswith("STUDYID") or "K03000" in text
    assert "ketamine" not in text.lower()

    page.get_by_role("link", name="Open the analysis report").click()
    page.get_by_role("heading", name="Analysis report of KARE").wait_for()
    assert page.get_by_role("heading", name="Participant flow (CONSORT 2010)").is_visible()
    assert page.get_by_role("img", name="CONSORT flow diagram").is_visible()
    assert serious_violations(page) == []
    assert hidden_words_in(page, DRUG_WORDS) == []
    assert _fits(page)


def test_the_unblinded_statisticians_report_is_axe_clean(web, imported, make_user):
    web.sign_in(make_user("unblinded_statistician", imported))
    web.open("/trials/KARE/report/")
    web.page.get_by_role("heading", name="Factorial model").wait_for()
    assert serious_violations(web.page) == []
    assert _fits(web.page)


def test_a_data_manager_locks_and_unlocks_with_the_keyboard(web, kare, make_user):
    web.sign_in(make_user("data_manager", kare))
    page = web.page
    web.open("/trials/KARE/")
    page.get_by_role("button", name="Lock", exact=True).focus()
    page.keyboard.press("Enter")  # no reason: the error arrives in place, the summary takes the focus
    summary = page.locator(".error-summary")
    summary.wait_for()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator("#id_lock-reason_error").inner_text().endswith("This field is required.")
    assert serious_violations(page) == []
    page.get_by_label("Reason for locking").fill("Database lock for the interim analysis")
    page.get_by_role("button", name="Lock", exact=True).focus()
    page.keyboard.press("Enter")
    page.get_by_text("KARE: data locked.").wait_for()
    assert DataLock.objects.filter(trial=kare, unlocked_at__isnull=True).count() == 1
    page.get_by_label("Reason for unlocking").fill("Interim analysis done")
    page.get_by_role("button", name="Unlock").focus()
    page.keyboard.press("Enter")
    page.get_by_text("KARE: data unlocked.").wait_for()
    assert DataLock.objects.get(trial=kare).unlock_reason == "Interim analysis done"
    assert serious_violations(page) == []
    assert _fits(page)


def _lock_with_the_keyboard(page, reason: str) -> None:
    page.get_by_label("Reason for locking").fill(reason)
    page.get_by_role("button", name="Lock", exact=True).focus()
    page.keyboard.press("Enter")


def test_a_lock_refused_after_the_page_opened_says_so_and_saves_nothing(web, kare, make_user):
    from core.models import SiteMembership
    from core.services import membership_grant, membership_revoke, sites_for

    manager = make_user("data_manager", kare)
    membership_grant(user=manager, role="coordinator", sites=sites_for(trial="KARE", sites=[]))
    web.sign_in(manager)
    page = web.page
    web.open("/trials/KARE/")
    assert page.locator("#request-failed").is_hidden()
    for membership in SiteMembership.objects.filter(user=manager, role="data_manager"):
        membership_revoke(membership=membership, reason="moved to another trial")
    _lock_with_the_keyboard(page, "Database lock for the interim analysis")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "You may not do this: nothing was saved." in alert.inner_text()
    assert not DataLock.objects.exists()
    assert serious_violations(page) == []


def test_a_lock_sent_after_the_session_ended_turns_the_page_to_the_sign_in(web, kare, make_user):
    web.sign_in(make_user("data_manager", kare))
    page = web.page
    web.open("/trials/KARE/")
    from django.conf import settings

    page.context.clear_cookies(name=settings.SESSION_COOKIE_NAME)  # signed out elsewhere, or idle too long
    _lock_with_the_keyboard(page, "Database lock for the interim analysis")
    page.wait_for_url("**/accounts/login/?next=/trials/KARE/")
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in to the trial tracker"
    assert not DataLock.objects.exists()
