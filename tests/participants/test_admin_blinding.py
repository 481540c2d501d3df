"""The Django admin shows no allocation to anyone, at any site.

The admin's participant pages are read-only, scoped to the sites where the user holds a role (a
superuser's too: being one holds no role at any site), and leave the allocation out altogether:
it is shown only through :mod:`participants.blinding`. So a member of staff with a role at exeter
and another at london, superuser or not, finds the participants of both sites there and none of
their arms or levels, neither on the pages nor through a filter typed into the address; a
superuser without a role finds none, and still manages people there.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client

from participants.models import Allocation, EmergencyUnblinding, ListSlot, Participant, RandomisationList
from tests.conftest import force_login_verified
from tests.participants.conftest import two_site_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(people, lists) -> list[Participant]:
    """Two randomised participants at each site."""
    return [people.randomised(site=site, sex="M") for site in ("exeter", "london") for _ in range(2)]


def _secrets(trial) -> set[str]:
    """What would reveal an allocation: every level's and arm's code and title."""
    protocol = trial.version_on().protocol
    words = {a.code for a in protocol.arms} | {a.title for a in protocol.arms}
    for factor in protocol.factors:
        words |= {lv.code for lv in factor.levels} | {lv.title for lv in factor.levels}
    return words


def _found(html: str, words) -> set[str]:
    return {w for w in words if re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", html)}


def _staff(user, *, superuser: bool = False):
    """``user`` let into the admin: a superuser, or staff allowed to view participants and screenings."""
    type(user).objects.filter(pk=user.pk).update(is_staff=True, is_superuser=superuser)
    if not superuser:
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="participants", codename__in=["view_participant", "view_screening"]
            )
        )
    client = Client()
    force_login_verified(client, user)
    return client


def _pages(client, participants) -> dict[str, str]:
    urls = ["/admin/participants/participant/", "/admin/participants/screening/"]
    urls += [f"/admin/participants/participant/{p.pk}/change/" for p in participants]
    pages = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        pages[url] = response.content.decode()
    return pages


@pytest.mark.parametrize("superuser", [False, True], ids=["staff", "superuser"])
def test_the_admin_lists_both_sites_participants_without_any_allocation(kare, ward, make_user, superuser):
    person = two_site_person(make_user, kare, "pharmacist", "coordinator")
    pages = _pages(_staff(person, superuser=superuser), ward)
    listing = pages["/admin/participants/participant/"]
    # The pages are not empty: every participant of both sites is there to be read.
    assert {p.study_id for p in ward if p.study_id in listing} == {p.study_id for p in ward}
    for url, html in pages.items():
        assert _found(html, _secrets(kare)) == set(), url


def test_the_admin_shows_staff_only_the_sites_where_they_hold_a_role(kare, ward, make_user):
    client = _staff(make_user("pharmacist", kare, sites=["exeter"]))
    listing = client.get("/admin/participants/participant/").content.decode()
    assert {p.study_id for p in ward if p.study_id in listing} == {p.study_id for p in ward if p.site.code == "exeter"}
    in_london = next(p for p in ward if p.site.code == "london")
    assert client.get(f"/admin/participants/participant/{in_london.pk}/change/").status_code in (302, 404)


def test_the_admin_shows_a_superuser_without_roles_no_participant_and_still_its_people_pages(ward, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="correct-horse-battery-staple")
    client = Client()
    force_login_verified(client, root)
    listing = client.get("/admin/participants/participant/")
    assert listing.status_code == 200
    assert {p.study_id for p in ward if p.study_id in listing.content.decode()} == set()
    assert client.get(f"/admin/participants/participant/{ward[0].pk}/change/").status_code in (302, 404)
    for url in ["/admin/auth/user/", "/admin/trialtracker/sitemembership/", "/admin/trialtracker/rolerequest/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("superuser", [False, True], ids=["staff", "superuser"])
def test_the_admin_refuses_a_filter_through_the_allocation(kare, ward, make_user, superuser):
    client = _staff(two_site_person(make_user, kare, "pharmacist", "coordinator"), superuser=superuser)
    arm = ward[0].allocation.arm
    for query in (f"allocation__arm__code={arm.code}", f"allocation__arm__id__exact={arm.pk}"):
        response = client.get(f"/admin/participants/participant/?{query}")
        assert response.status_code == 400, (query, response.status_code)


def test_allocations_lists_and_unblindings_have_no_admin_pages(kare, ward, make_user):
    client = _staff(two_site_person(make_user, kare, "pharmacist", "coordinator"), superuser=True)
    for model in (Allocation, ListSlot, RandomisationList, EmergencyUnblinding):
        assert not admin.site.is_registered(model), model
        url = f"/admin/participants/{model._meta.model_name}/"
        assert client.get(url).status_code == 404, url
