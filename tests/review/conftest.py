"""A small simulated KARE trial in progress, with the people who work its queries."""

from __future__ import annotations

from types import SimpleNamespace

import pytest


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
