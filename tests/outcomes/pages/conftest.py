"""Helpers for the trial page's tests: KARE people taken through the services, as the participant
tests take them (:class:`tests.participants.conftest.People`)."""

from __future__ import annotations

import pytest

from participants.randomisation import services as randomisation
from tests.participants.conftest import LIST_SEED, People


@pytest.fixture
def people(kare, coordinator) -> People:
    return People(kare, coordinator)


@pytest.fixture
def lists(kare, make_user):
    """KARE's allocation lists, drawn from a fixed seed so every run allocates alike."""
    statistician = make_user("unblinded_statistician", kare, username="list-statistician")
    return randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=10, seed=LIST_SEED)
