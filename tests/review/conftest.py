"""KARE trials in progress for the review's tests, made through the services as the simulation
makes them: ``reviewed``, with a monitor and an investigator at Exeter (each with an authenticator
enrolled) and the coordinators of both sites, for verification and signatures; ``trial``, a smaller
one with the people who work its data queries."""

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


@pytest.fixture
def trial(kare, make_user):
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=11)
    staff = simulation.add_staff()
    people = simulation.recruit(2)
    simulation.follow(people)
    exeter, london = (kare.sites.get(code=code) for code in ("exeter", "london"))
    at_exeter = [p for p in people if p.site_id == exeter.pk]
    return SimpleNamespace(
        kare=kare,
        people=people,
        participant=at_exeter[0],
        coordinator=staff.coordinators[exeter.pk],
        london_coordinator=staff.coordinators[london.pk],
        investigator=make_user("investigator", kare, sites=["exeter"]),
        monitor=make_user("monitor", kare, sites=["exeter"]),
        london_monitor=make_user("monitor", kare, sites=["london"]),
        data_manager=make_user("data_manager", kare, sites=["exeter", "london"]),
        pharmacist=make_user("pharmacist", kare, sites=["exeter"]),
    )
