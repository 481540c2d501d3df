"""Who may export, and which factor columns a file may carry: one function decides."""

from __future__ import annotations

import pytest

from core.errors import Forbidden
from outcomes.exports import export_open
from outcomes.exports.policy import export_scope
from participants.locks import services as locks


def test_the_system_exports_every_site_blinded(imported):
    """Commands once exported as "the system" with every factor when no one was named."""
    scope = export_scope(user=None, trial=imported)
    assert scope.site_ids is None
    assert scope.factors == ()
    assert not scope.unblinded


def test_the_unblinded_statistician_exports_every_factor(imported, make_user):
    scope = export_scope(user=make_user("unblinded_statistician", imported), trial=imported)
    assert scope.factors == ("drug", "therapy")


@pytest.mark.parametrize("role", ["investigator", "data_manager", "monitor"])
def test_investigators_data_managers_and_monitors_export_blinded_before_unblinding(imported, make_user, role):
    scope = export_scope(user=make_user(role, imported), trial=imported)
    assert scope.factors == ()
    assert not scope.unblinded


@pytest.mark.parametrize("role", ["investigator", "data_manager"])
def test_after_lock_and_analysis_unblinding_investigators_export_every_factor(imported, make_user, unblind, role):
    user = make_user(role, imported)
    unblind()
    assert export_scope(user=user, trial=imported).factors == ("drug", "therapy")


def test_a_lock_alone_unblinds_nothing(imported, make_user, data_manager):

    investigator = make_user("investigator", imported)
    locks.data_lock(actor=data_manager, trial=imported, reason="interim")
    assert export_scope(user=investigator, trial=imported).factors == ()


def test_a_monitor_stays_blinded_after_analysis_unblinding(imported, make_user, unblind):
    monitor = make_user("monitor", imported)
    unblind()
    assert export_scope(user=monitor, trial=imported).factors == ()


@pytest.mark.parametrize("role", ["coordinator", "therapist", "pharmacist", "outcome_assessor", "administrator"])
def test_other_roles_may_not_export(imported, make_user, role):
    user = make_user(role, imported)
    with pytest.raises(Forbidden, match="do not include exporting its data"):
        export_scope(user=user, trial=imported)
    with pytest.raises(Forbidden, match="do not include exporting its data"):
        export_open(user=user, trial=imported, format="csv", via="api")


def test_a_blinded_export_is_blinded_whoever_asks(imported, make_user):
    statistician = make_user("unblinded_statistician", imported)
    assert export_scope(user=statistician, trial=imported, blinded=True).factors == ()
    assert export_scope(user=None, trial=imported, blinded=True).factors == ()


def test_an_export_holds_only_the_users_sites(imported, make_user):
    london = make_user("unblinded_statistician", imported, sites=["london"])
    scope = export_scope(user=london, trial=imported)
    assert scope.site_ids == {imported.sites.get(code="london").pk}
    export = export_open(user=london, trial=imported, format="csv", dataset="adsl", via="api")
    text = b"".join(export.chunks).decode()
    assert "london" in text
    assert "exeter" not in text


def test_a_pharmacist_seeing_the_drug_still_may_not_export(imported, make_user):
    # Seeing a factor on screen is blinding's business; exporting it is this policy's.
    with pytest.raises(Forbidden, match="do not include exporting its data"):
        export_scope(user=make_user("pharmacist", imported), trial=imported)
