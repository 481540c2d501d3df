"""What the page tests of the participants app share: a clinic of KARE participants at their visits,
and the test client signed in as its coordinator."""

from __future__ import annotations

import pytest

from tests.conftest import force_login_verified
from tests.participants.visits_fixtures import Clinic


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def signed_in(client, clinic):
    force_login_verified(client, clinic.coordinator)
    return client
