"""The statistical analysis plan as versioned data: the shipped plans fit their protocols, every
problem of a file is named with its path, versions are stored once and amended only with a reason,
the database keeps them unchanged, an investigator locks the latest, unblinding for analysis waits
for the lock, and nothing changes the plan after it."""

from __future__ import annotations

import copy

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import transaction

from core.errors import Conflict, Forbidden, Invalid
from outcomes.models import AnalysisPlanLock, AnalysisPlanVersion
from outcomes.plan.document import load_file, validate
from outcomes.plan.selectors import is_locked, plan_latest
from outcomes.plan.services import analysis_plan_load, analysis_plan_lock
from participants.locks import services as locks
from tests.conftest import PASSWORD, ROOT, password_in
from trials.protocol import ProtocolInvalid
from trials.protocol import load_file as load_protocol

pytestmark = pytest.mark.django_db

KARE_PLAN = ROOT / "protocols" / "kare.sap.yaml"


def _document() -> dict:
    return yaml.safe_load(KARE_PLAN.read_text())


def _plan(kare, **changes):
    document = copy.deepcopy(_document())
    document.update(changes)
    return validate(document, kare.version_on().protocol)


@pytest.mark.parametrize("name", ["kare", "more-kare"])
def test_the_shipped_plans_fit_their_protocols(name):
    protocol = load_protocol(ROOT / "protocols" / f"{name}.yaml")
    plan = load_file(ROOT / "protocols" / f"{name}.sap.yaml", protocol=protocol)
    assert plan.trial == protocol.trial.code
    assert plan.estimand.variable == plan.primary


def test_more_kare_plans_heavy_drinking_days_over_twelve_months():
    plan = load_file(ROOT / "protocols" / "more-kare.sap.yaml")
    assert (plan.primary.endpoint, plan.primary.window) == ("heavy_days", "1-365")


def test_every_problem_is_named_with_its_path():
    protocol = load_protocol(ROOT / "protocols" / "kare.yaml")
    document = _document()
    document["primary"] = {"endpoint": "pda", "window": "1-999"}
    document["estimand"]["variable"] = {"endpoint": "pda", "window": "1-999"}
    document["model"]["factors"] = ["drug", "colour"]
    document["model"]["adjust_for"] = ["site"]
    document["populations"]["per_protocol"]["min_infusions"] = 9
    with pytest.raises(ProtocolInvalid) as refused:
        validate(document, protocol)
    paths = [path for path, _ in refused.value.problems]
    assert paths == [
        "primary.window",
        "model.factors.1",
        "model.adjust_for",
        "populations.per_protocol.min_infusions",
    ]
    assert "balances sex" in dict(refused.value.problems)["model.adjust_for"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["missing_data"].update(primary="multiple_imputation", multiple_imputation=None), "needs its"),
        (lambda d: d["missing_data"].update(multiple_imputation=None), "give multiple_imputation"),
        (lambda d: d["estimand"].update(variable={"endpoint": "phdd", "window": "1-182"}), "differ"),
        (lambda d: d.update(colour="blue"), "unknown field"),
        (lambda d: d["multiplicity"].update(alpha=0.9), "less than or equal"),
        (lambda d: d["missing_data"].update(completeness_threshold=120), "less than or equal"),
    ],
)
def test_a_plan_that_contradicts_itself_is_refused(change, fragment):
    document = _document()
    change(document)
    with pytest.raises(ProtocolInvalid) as refused:
        validate(document)
    assert fragment in str(refused.value)


def test_a_plan_is_stored_once_and_amended_only_with_a_reason(kare, make_user):
    first, created = analysis_plan_load(trial=kare, plan=_plan(kare))
    assert (first.number, created, first.sha256) == (1, True, _plan(kare).fingerprint())
    again, created = analysis_plan_load(trial=kare, plan=_plan(kare))
    assert (again.pk, created) == (first.pk, False)
    amended = _plan(kare, secondary=[{"endpoint": "phdd", "window": "1-91"}])
    with pytest.raises(Conflict) as refused:
        analysis_plan_load(trial=kare, plan=amended)
    assert refused.value.code == "amendment_required"
    with pytest.raises(Invalid):
        analysis_plan_load(trial=kare, plan=amended, amend=True, reason=" ")
    second, created = analysis_plan_load(trial=kare, plan=amended, amend=True, reason="secondary windows agreed")
    assert (second.number, created, second.reason) == (2, True, "secondary windows agreed")
    with pytest.raises(Forbidden):
        analysis_plan_load(trial=kare, plan=_plan(kare), actor=make_user("coordinator", kare))


@pytest.mark.postgres
def test_the_database_keeps_a_version_and_its_lock_as_they_were(kare, lock_analysis_plan):
    from django.db import DatabaseError

    version = lock_analysis_plan(kare)
    with pytest.raises(DatabaseError), transaction.atomic():
        AnalysisPlanVersion.objects.filter(pk=version.pk).update(label="2.0")
    with pytest.raises(DatabaseError), transaction.atomic():
        AnalysisPlanLock.objects.filter(plan=version).delete()


def test_an_investigator_locks_the_latest_version_once(kare, make_user):
    investigator = make_user("investigator", kare)
    with pytest.raises(Conflict) as refused:
        analysis_plan_lock(actor=investigator, trial=kare, reason="final", password=PASSWORD)
    assert refused.value.code == "no_plan"
    analysis_plan_load(trial=kare, plan=_plan(kare))
    with pytest.raises(Forbidden):
        analysis_plan_lock(actor=make_user("data_manager", kare), trial=kare, reason="final", password=PASSWORD)
    with pytest.raises(Invalid) as refused:
        analysis_plan_lock(actor=investigator, trial=kare, reason="", password="wrong")
    assert set(refused.value.fields) == {"reason", "password"}
    lock = analysis_plan_lock(actor=investigator, trial=kare, reason="signed off by the CI", password=PASSWORD)
    assert (lock.plan.number, lock.locked_by, is_locked(plan_latest(kare))) == (1, investigator, True)
    with pytest.raises(Conflict) as refused:
        analysis_plan_lock(actor=investigator, trial=kare, reason="again", password=PASSWORD)
    assert refused.value.code == "locked"


def test_an_amendment_after_the_lock_must_be_locked_again_before_unblinding(kare, make_user, lock_analysis_plan):
    manager = make_user("data_manager", kare)
    lock_analysis_plan(kare)
    amended = _plan(kare, secondary=[{"endpoint": "phdd", "window": "1-91"}])
    analysis_plan_load(trial=kare, plan=amended, amend=True, reason="before unblinding, agreed with the DMC")
    locks.data_lock(actor=manager, trial=kare, reason="final")
    with pytest.raises(Conflict, match="version 2 unlocked"):
        locks.trial_unblind_for_analysis(actor=manager, trial=kare, reason="final", password=PASSWORD)
    lock_analysis_plan(kare)
    locks.trial_unblind_for_analysis(actor=manager, trial=kare, reason="final", password=PASSWORD)
    with pytest.raises(Conflict) as refused:
        analysis_plan_load(trial=kare, plan=_plan(kare), amend=True, reason="after seeing the arms")
    assert refused.value.code == "unblinded"
    assert analysis_plan_load(trial=kare, plan=amended)[1] is False  # the same plan again: nothing
    assert AnalysisPlanVersion.objects.filter(trial=kare).count() == 2


def test_the_commands_load_and_lock_the_plan(kare, make_user, capsys):
    investigator = make_user("investigator", kare, username="ci")
    call_command("load_analysis_plan", str(KARE_PLAN), system=True)
    assert "stored as version 1" in capsys.readouterr().out
    call_command("load_analysis_plan", str(KARE_PLAN), system=True)
    assert "unchanged" in capsys.readouterr().out
    call_command("lock_analysis_plan", trial="KARE", reason="final", actor="ci", stdin=password_in())
    out = capsys.readouterr().out
    assert "locked" in out
    assert plan_latest(kare).sha256 in out
    assert is_locked(plan_latest(kare))
    assert plan_latest(kare).lock.locked_by == investigator


def test_a_bad_plan_file_exits_with_every_problem(kare, tmp_path):
    document = _document()
    document["model"]["adjust_for"] = []
    path = tmp_path / "bad.sap.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(CommandError, match=r"model\.adjust_for.*site") as refused:
        call_command("load_analysis_plan", str(path), system=True)
    assert "sex" in str(refused.value)
    assert not AnalysisPlanVersion.objects.exists()
