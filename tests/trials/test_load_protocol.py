"""``load_protocol``: a new trial gets version 1, the same file changes nothing, a changed file is an amendment."""

from __future__ import annotations

import copy
import datetime as dt
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from trials.models import Arm, Factor, Level, ProtocolVersion, Site, Trial

ROOT = Path(__file__).resolve().parents[2]
KARE_FILE = ROOT / "protocols" / "kare.yaml"
MORE_KARE_FILE = ROOT / "protocols" / "more-kare.yaml"
_KARE = yaml.safe_load(KARE_FILE.read_text(encoding="utf-8"))

from tests.conftest import PASSWORD, password_in  # noqa: E402

pytestmark = pytest.mark.django_db


def load(path, *args, password: str = PASSWORD) -> str:
    """``manage.py load_protocol``, as the system unless ``--as`` names someone (their password piped)."""
    out = io.StringIO()
    actor = () if "--as" in args else ("--system",)
    call_command("load_protocol", str(path), *args, *actor, stdin=password_in(password), stdout=out)
    return out.getvalue()


@pytest.fixture
def amended(tmp_path):
    """``amended(change)``: write kare.yaml as version 1.1, effective later, after ``change(doc)``."""

    def write(change=None, *, label="1.1", effective=dt.date(2017, 1, 1)) -> Path:
        doc = copy.deepcopy(_KARE)
        doc["version"] = {"label": label, "effective_date": effective}
        if change is not None:
            change(doc)
        path = tmp_path / f"kare-{label}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    return write


def _versions(code="KARE") -> list[ProtocolVersion]:
    return list(ProtocolVersion.objects.filter(trial__code=code).order_by("number"))


def test_first_load_creates_the_trial_with_version_1():
    output = load(KARE_FILE)

    [version] = _versions()
    assert (version.number, version.label, version.reason) == (1, "1.0", "")
    assert "created with version 1" in output


def test_first_load_creates_sites_factors_levels_and_arms():
    load(KARE_FILE)

    trial = Trial.objects.get(code="KARE")
    assert set(trial.sites.values_list("code", flat=True)) == {"exeter", "london"}
    assert list(trial.factors.values_list("code", flat=True)) == ["drug", "therapy"]
    assert Level.objects.filter(factor__trial=trial).count() == 4
    assert {(arm.code, frozenset(arm.levels.values_list("code", flat=True))) for arm in trial.arms.all()} == {
        ("KT", frozenset({"ketamine", "therapy"})),
        ("KE", frozenset({"ketamine", "education"})),
        ("PT", frozenset({"placebo", "therapy"})),
        ("PE", frozenset({"placebo", "education"})),
    }


def test_loading_the_same_file_twice_changes_nothing():
    load(KARE_FILE)
    sites_before = list(Site.objects.values_list("pk", "code", "name"))

    output = load(KARE_FILE)

    assert len(_versions()) == 1
    assert list(Site.objects.values_list("pk", "code", "name")) == sites_before
    assert "unchanged (version 1" in output


def test_changed_file_without_amend_is_refused(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["trial"].update(title="A new title"))

    with pytest.raises(CommandError, match="--amend"):
        load(path)

    assert len(_versions()) == 1
    assert Trial.objects.get(code="KARE").title == _KARE["trial"]["title"]


def test_amendment_without_a_reason_is_refused(amended):
    load(KARE_FILE)

    with pytest.raises(CommandError, match="needs a reason"):
        load(amended(), "--amend")

    assert len(_versions()) == 1


def test_amendment_with_a_blank_reason_is_refused(amended):
    load(KARE_FILE)

    with pytest.raises(CommandError, match="needs a reason"):
        load(amended(), "--amend", "--reason", "   ")

    assert len(_versions()) == 1


def test_amendment_with_a_reason_is_stored_as_version_2(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["randomisation"].update(block_sizes=[4]))

    output = load(path, "--amend", "--reason", "drop blocks of 8")

    first, second = _versions()
    assert (second.number, second.label, second.reason) == (2, "1.1", "drop blocks of 8")
    assert second.effective_date == dt.date(2017, 1, 1)
    assert second.is_amendment
    assert not first.is_amendment
    assert second.document["randomisation"]["block_sizes"] == [4]
    assert first.document["randomisation"]["block_sizes"] == [4, 8]
    assert "amendment stored as version 2" in output


def test_amendment_updates_the_rows_it_changes(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["sites"][1].update(name="London (King's College)"))

    load(path, "--amend", "--reason", "site renamed")

    assert Site.objects.get(trial__code="KARE", code="london").name == "London (King's College)"


def test_amendment_keeping_the_label_is_refused(amended):
    load(KARE_FILE)

    with pytest.raises(CommandError, match=r"keeps the label '1\.0'"):
        load(amended(label="1.0"), "--amend", "--reason", "same label")

    assert len(_versions()) == 1


def test_amendment_removing_an_unreferenced_site_deletes_it(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["sites"].pop(1))

    load(path, "--amend", "--reason", "London closed")

    assert list(Site.objects.filter(trial__code="KARE").values_list("code", flat=True)) == ["exeter"]
    assert len(_versions()) == 2


def test_amendment_removing_a_site_where_staff_hold_roles_is_refused(amended):
    from core.models import SiteMembership
    from core.services import membership_revoke, user_create

    load(KARE_FILE)
    london = Site.objects.get(trial__code="KARE", code="london")
    user_create(username="c1", password=None, role="coordinator", sites=[london], reason="test")
    path = amended(lambda doc: doc["sites"].pop(1))

    with pytest.raises(CommandError, match="staff roles"):
        load(path, "--amend", "--reason", "London closed")

    assert SiteMembership.objects.filter(site=london).count() == 1
    assert len(_versions()) == 1
    # Once the roles there are revoked (each with its reason, in the audit trail), the site can go.
    membership_revoke(membership=SiteMembership.objects.get(site=london), reason="London closes")
    load(path, "--amend", "--reason", "London closed")
    assert not Site.objects.filter(code="london").exists()


def test_amendment_adding_a_site_creates_it(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["sites"].append({"code": "bristol", "name": "Bristol"}))

    load(path, "--amend", "--reason", "Bristol opens")

    assert Site.objects.get(trial__code="KARE", code="bristol").time_zone == "Europe/London"


def test_amendment_effective_before_the_previous_version_is_refused(amended):
    load(KARE_FILE)

    with pytest.raises(CommandError, match="before version 1 did"):
        load(amended(effective=dt.date(2015, 12, 31)), "--amend", "--reason", "backdated")

    assert len(_versions()) == 1


def test_amendment_effective_on_the_same_day_is_accepted(amended):
    load(KARE_FILE)

    load(amended(effective=dt.date(2016, 1, 1)), "--amend", "--reason", "same day")

    assert [v.number for v in _versions()] == [1, 2]


def test_refused_amendment_leaves_the_rows_as_they_were(amended):
    load(KARE_FILE)
    path = amended(lambda doc: doc["sites"].pop(1), effective=dt.date(2015, 1, 1))

    with pytest.raises(CommandError, match="before version 1 did"):
        load(path, "--amend", "--reason", "backdated closure")

    assert set(Site.objects.values_list("code", flat=True)) == {"exeter", "london"}


def test_one_factor_trial_loads():
    load(MORE_KARE_FILE)

    trial = Trial.objects.get(code="MORE-KARE")
    assert list(Factor.objects.filter(trial=trial).values_list("code", flat=True)) == ["treatment"]
    assert {arm.code: list(arm.levels.values_list("code", flat=True)) for arm in Arm.objects.filter(trial=trial)} == {
        "KT": ["ketamine_therapy"],
        "LE": ["low_dose_education"],
    }
    assert trial.sites.count() == 10


def test_two_trials_keep_their_sites_apart():
    load(KARE_FILE)
    load(MORE_KARE_FILE)

    assert Site.objects.filter(code="exeter").count() == 2
    assert Trial.objects.get(code="KARE").sites.count() == 2


def test_actor_named_with_as_must_exist():
    with pytest.raises(CommandError, match="'nobody' is not an active user with that password"):
        load(KARE_FILE, "--as", "nobody")

    assert not Trial.objects.exists()


def test_actor_named_with_as_is_stored_on_the_version(django_user_model):
    manager = django_user_model.objects.create_user("manager", password="correct-horse-battery")

    load(KARE_FILE, "--as", "manager", password="correct-horse-battery")

    assert _versions()[0].created_by == manager


@pytest.mark.parametrize("password", ["", "wrong-horse-battery"])
def test_acting_as_someone_needs_their_password(django_user_model, password):
    """``--as`` took any active user's name without proof."""
    django_user_model.objects.create_user("manager", password="correct-horse-battery")
    with pytest.raises(CommandError, match="'manager' is not an active user with that password"):
        load(KARE_FILE, "--as", "manager", password=password)
    assert not Trial.objects.exists()


def test_a_command_must_say_who_acts():
    with pytest.raises(CommandError, match="say who is acting"):
        call_command("load_protocol", str(KARE_FILE), stdout=io.StringIO())
    with pytest.raises(CommandError, match="not both"):
        call_command("load_protocol", str(KARE_FILE), "--as", "x", "--system", stdout=io.StringIO())
    assert not Trial.objects.exists()


def test_missing_file_is_refused_naming_it(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        load(tmp_path / "nowhere.yaml")


def test_the_version_in_force_is_read_once_per_instance_and_day(django_assert_num_queries):
    load(KARE_FILE)
    trial = Trial.objects.get(code="KARE")
    with django_assert_num_queries(1):
        assert trial.version_on(dt.date(2020, 1, 1)).number == 1
        assert trial.version_on(dt.date(2020, 1, 1)).number == 1
    with django_assert_num_queries(1):
        trial.version_on(dt.date(2016, 6, 1))  # another day: asked again


def test_an_amendment_is_seen_by_a_trial_instance_that_asked_before(amended):
    load(KARE_FILE)
    trial = Trial.objects.get(code="KARE")
    assert trial.version_on(dt.date(2020, 1, 1)).number == 1
    load(amended(lambda doc: doc["randomisation"].update(block_sizes=[4])), "--amend", "--reason", "blocks of 4")
    assert trial.version_on(dt.date(2020, 1, 1)).number == 2
    assert trial.version_on(dt.date(2016, 6, 1)).number == 1
