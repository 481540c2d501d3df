"""A KARE trial in progress for the review's tests, made through the services as the simulation
makes it, with a monitor and an investigator at Exeter (each with an authenticator enrolled) and the
coordinators of both sites."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.core.conftest import code_for


@pytest.fixture
def reviewed(kare, make_user):
    from core.services import totp_confirm, totp_enrol
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=11)
    staff = simulation.add_staff()
    people = simulation.recruit(4, over_last_days=40)
    simulation.follow(people)
    exeter, london = (kare.sites.get(code=code) for code in ("exeter", "london"))
    investigator = make_user("investigator", kare, sites=["exeter"], first_name="Ada", last_name="Lovelace")
    monitor = make_user("monitor", kare, sites=["exeter"])
    device = totp_confirm(user=investigator, code=code_for(totp_enrol(user=investigator)))
    return SimpleNamespace(
        trial=kare,
        exeter=exeter,
        london=london,
        people=people,
        at_exeter=[p for p in people if p.site_id == exeter.pk],
        at_london=[p for p in people if p.site_id == london.pk],
        coordinator=staff.coordinators[exeter.pk],
        london_coordinator=staff.coordinators[london.pk],
        pharmacist=staff.pharmacists[exeter.pk],
        investigator=investigator,
        monitor=monitor,
        device=device,
    )
