"""Helpers for the outcome tests: KARE participants imported as a running trial would be."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command

from participants.randomisation import services as randomisation
from tests.conftest import password_in

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def admin_user(kare, make_user):
    return make_user("administrator", kare, username="admin")


@pytest.fixture
def imported(kare, admin_user):
    """The example's six participants and their drinking days, imported through the commands."""
    call_command(
        "import_participants", str(DATA / "participants.csv"), trial="KARE", actor="admin", stdin=password_in()
    )
    call_command(
        "import_drinking_days", str(DATA / "drinking_days.csv"), trial="KARE", actor="admin", stdin=password_in()
    )
    return kare


@pytest.fixture
def import_one(kare, admin_user):
    """``import_one(study_id, sex, randomised_on)``: one participant imported (placebo + education)."""
    from participants.randomisation.services import participant_import

    def make(study_id: str = "T0001", sex: str = "M", randomised_on: dt.date | None = None, site: str = "exeter"):
        return participant_import(
            actor=admin_user,
            trial=kare,
            study_id=study_id,
            site_code=site,
            sex=sex,
            randomised_on=randomised_on or dt.date(2024, 1, 10),
            levels={"drug": "placebo", "therapy": "education"},
        )

    return make


@pytest.fixture
def coordinator(kare, make_user):
    return make_user("coordinator", kare)


@pytest.fixture
def randomised(kare, coordinator, make_user):
    """A KARE participant taken through screening to randomisation by a coordinator (anchor today)."""
    from tests.participants.conftest import LIST_SEED, People

    statistician = make_user("unblinded_statistician", kare)
    randomisation.randomisation_lists_generate(actor=statistician, trial=kare, blocks=2, seed=LIST_SEED)
    return People(kare, coordinator).randomised()
