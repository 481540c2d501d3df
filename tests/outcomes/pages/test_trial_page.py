"""The trials list and a trial's page through the test client: recruitment, endpoints as the user
may see them, scoping, and a fixed number of queries whatever the trial's size."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.enrolment.selectors import recruitment
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db

DRUG_WORDS = ["ketamine", "placebo", "KT", "KE", "PT", "PE", "Saline"]


def found(html: str, words) -> list[str]:
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", html, flags=re.IGNORECASE)]


def page(client, user, url: str):
    force_login_verified(client, user)
    return client.get(url)


def test_the_trials_list_links_each_trial_the_user_holds_a_role_in(client, kare, more_kare, make_user):
    investigator = make_user("investigator", kare)
    response = page(client, investigator, "/trials/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/trials/KARE/"' in html
    assert "MORE-KARE" not in html
    assert "Investigator" in html


def test_a_blinded_user_reads_the_short_title_and_one_who_sees_every_factor_the_title(client, kare, make_user):
    html = page(client, make_user("investigator", kare), "/trials/").content.decode()
    assert found(html, DRUG_WORDS) == []
    html = page(client, make_user("unblinded_statistician", kare), "/trials/").content.decode()
    assert "Ketamine for the Reduction of Alcoholic Relapse" in html


def test_a_trial_the_user_has_no_role_in_is_not_found(client, kare, more_kare, make_user):
    stranger = make_user("investigator", more_kare)
    assert page(client, stranger, "/trials/KARE/").status_code == 404
    assert page(client, stranger, "/trials/NOPE/").status_code == 404


def test_a_stranger_is_asked_to_sign_in(client, kare):
    response = client.get("/trials/KARE/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_recruitment_counts_each_site_and_month_at_the_users_sites(kare, make_user, people, lists):
    march, april = dt.date(2026, 3, 10), dt.date(2026, 4, 2)
    people.screen(site="exeter", on=march, failing=("IN_AGE",))
    people.enrol(site="london", screening=people.screen(site="london", on=march))
    people.randomised(site="exeter")
    people.screen(site="london", on=april)
    everyone = recruitment(user=make_user("investigator", kare), trial=kare)
    assert everyone.target == 96
    assert [(s.label, s.screened, s.enrolled, s.randomised) for s in everyone.sites] == [
        ("Exeter", 2, 1, 1),
        ("London", 2, 1, 0),
    ]
    assert (everyone.total.screened, everyone.total.enrolled, everyone.total.randomised) == (4, 2, 1)
    by_month = {m.month: (m.screened, m.enrolled, m.randomised) for m in everyone.months}
    assert by_month[dt.date(2026, 3, 1)] == (2, 1, 0)
    assert by_month[dt.date(2026, 4, 1)] == (1, 0, 0)
    assert everyone.months[-1].cumulative == 1
    months = [m.month for m in everyone.months]
    assert months == sorted(months)
    assert len(months) == len(set(months))
    london = recruitment(user=make_user("investigator", kare, sites=["london"]), trial=kare)
    assert [s.label for s in london.sites] == ["London"]
    assert (london.total.screened, london.total.randomised) == (2, 0)


def test_the_page_shows_recruitment_against_the_target(client, kare, make_user, people, lists):
    people.randomised(site="exeter")
    people.randomised(site="london")
    html = page(client, make_user("investigator", kare), "/trials/KARE/").content.decode()
    assert "<strong>2 randomised</strong> of a target of 96" in html
    assert 'role="img"' in html
    assert "<desc" in html
    assert "against a target of 96" in html


@pytest.mark.parametrize("role", ["investigator", "coordinator", "data_manager", "monitor"])
def test_a_page_of_one_blinded_to_the_drug_holds_no_drug_level(client, imported, make_user, role):
    response = page(client, make_user(role, imported), "/trials/KARE/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "K03000" in html
    assert "PDA" in html
    assert found(html, DRUG_WORDS) == []


def test_the_unblinded_statisticians_page_shows_the_levels(client, imported, make_user):
    html = page(client, make_user("unblinded_statistician", imported), "/trials/KARE/").content.decode()
    assert found(html, ["ketamine", "placebo"]) == ["ketamine", "placebo"]
    assert "Study drug" in html


def test_the_endpoint_table_holds_only_the_users_sites(client, imported, make_user):
    html = page(client, make_user("investigator", imported, sites=["london"]), "/trials/KARE/").content.decode()
    assert "K03001" in html
    assert "K03000" not in html


def test_a_large_trial_shows_its_endpoints_a_page_at_a_time(client, kare, make_user, import_one, settings):
    from outcomes.views import trial as views

    for n in range(views.ENDPOINTS_PER_PAGE + 2):
        import_one(study_id=f"T{n:04d}")
    investigator = make_user("investigator", kare)
    first = page(client, investigator, "/trials/KARE/").content.decode()
    assert "T0000" in first
    assert f"T{views.ENDPOINTS_PER_PAGE:04d}" not in first
    assert "Page 1 of 2" in first
    second = page(client, investigator, "/trials/KARE/?page=2").content.decode()
    assert f"T{views.ENDPOINTS_PER_PAGE + 1:04d}" in second
    assert "T0000" not in second


def _queries(client, url: str) -> int:
    client.get(url)  # warm: the protocol document parsed once per process
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["investigator", "unblinded_statistician", "data_manager"])
def test_the_page_runs_as_many_queries_for_five_participants_as_for_one(client, kare, make_user, import_one, role):
    user = make_user(role, kare)
    force_login_verified(client, user)
    import_one(study_id="T0001", randomised_on=dt.date(2024, 1, 10))
    one = _queries(client, "/trials/KARE/")
    for n in range(2, 6):  # at the same site: blinding is decided once per site, whatever its size
        import_one(study_id=f"T000{n}", randomised_on=dt.date(2024, n, 10))
    assert _queries(client, "/trials/KARE/") == one
    assert _queries(client, "/trials/") == _queries(client, "/trials/")


@pytest.mark.parametrize("url", ["/trials/KARE/report/", "/trials/KARE/locks/"])
def test_the_report_and_the_locks_run_as_many_queries_for_five_participants_as_for_one(
    client, kare, make_user, import_one, url
):
    force_login_verified(client, make_user("data_manager", kare))
    import_one(study_id="T0001")
    one = _queries(client, url)
    for n in range(2, 6):
        import_one(study_id=f"T000{n}", randomised_on=dt.date(2024, n, 10))
    assert _queries(client, url) == one


def test_recruitment_is_counted_in_the_same_queries_whatever_the_trials_size(kare, make_user, import_one):
    investigator = make_user("investigator", kare)
    import_one(study_id="T0001")
    recruitment(user=investigator, trial=kare)
    with CaptureQueriesContext(connection) as one:
        recruitment(user=investigator, trial=kare)
    for n in range(2, 6):
        import_one(study_id=f"T000{n}", site="london", randomised_on=dt.date(2024, n, 10))
    with CaptureQueriesContext(connection) as five:
        assert recruitment(user=investigator, trial=kare).total.randomised == 5
    assert len(five) == len(one) <= 5


def test_someone_without_a_role_is_told_they_have_no_trial(client, kare, django_user_model):
    nobody = django_user_model.objects.create_user(username="nobody", password="x-long-enough-password")
    client.force_login(nobody)
    html = client.get("/trials/").content.decode()
    assert "You hold no role in any trial yet" in html
    assert client.get("/trials/KARE/").status_code == 404


def test_the_report_is_for_those_whose_roles_cover_every_site(client, imported, make_user):
    """The report analyses the whole trial: someone whose roles cover one site reads no other's."""
    from tests.conftest import force_login_verified

    exeter_only = make_user("investigator", imported, sites=["exeter"])
    force_login_verified(client, exeter_only)
    assert client.get(f"/trials/{imported.code}/report/").status_code == 403
    page = client.get(f"/trials/{imported.code}/").content.decode()
    assert f"/trials/{imported.code}/report/" not in page
    assert "covers every site of the trial" in page
