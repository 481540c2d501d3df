"""A superuser holds no clinical role by being one: in the API they see and do what their site
memberships allow, and without any, nothing of a trial.

Found against the running system: a superuser counted as an administrator of every trial, so with
no membership at all it listed every trial and its sites, read their allocation counts, and could
give itself ``unblinded_statistician`` through ``POST /api/users/{own id}/memberships/``.
"""

from __future__ import annotations

import pytest

from core.models import RoleRequest, SiteMembership
from participants.models import Participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward(people, lists) -> list[Participant]:
    """A randomised participant at each site."""
    return [people.randomised(site=site) for site in ("exeter", "london")]


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser("root", password="correct-horse-battery-staple")


def test_a_superuser_without_memberships_sees_no_trial_participant_or_allocation(as_user, root, ward):
    client = as_user(root)

    assert client.get("/api/trials/").json()["count"] == 0
    assert client.get("/api/participants/").json()["count"] == 0
    for path in ["/api/trials/KARE/", "/api/trials/KARE/allocation-counts/", "/api/trials/KARE/endpoints/"]:
        assert client.get(path).status_code == 404, path
    for participant in ward:
        assert client.get(f"/api/participants/{participant.study_id}/allocation/").status_code == 404


def test_a_superuser_without_memberships_manages_no_people(as_user, root, kare):
    client = as_user(root)

    assert client.get("/api/users/").status_code == 403
    assert client.get("/api/role-requests/").status_code == 403
    response = client.post(
        f"/api/users/{root.pk}/memberships/", {"role": "unblinded_statistician", "trial": "KARE"}, format="json"
    )
    assert response.status_code == 403
    assert not SiteMembership.objects.filter(user=root).exists()
    assert not RoleRequest.objects.exists()
