"""Fixtures shared by the whole suite, and the rule for tests that need real services.

Tests marked ``postgres`` or ``redis`` skip when the service is not configured or not answering
(``weasyprint`` when WeasyPrint cannot load Pango),
unless ``TRIALTRACKER_REQUIRE_SERVICES=1`` (set by CI), which turns such a skip into a failure; a
fixture that needs a program (``redis-server``) follows the same rule through :func:`service_missing`.
Tests marked ``sqlite`` check the embedded default's own behaviour and skip on PostgreSQL. Tests of
the outcomes (endpoints, exports, the analysis) and of the simulation get the ``embedded`` marker
here: the endpoint statement and the exports have a SQLite branch of their own, which is what a
newcomer's first command runs. CI runs both in a second pass without ``DATABASE_URL``
(``-m "sqlite or (embedded and not (postgres or redis))"``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import NoReturn

import pytest
from django.conf import settings

from core.roles import Role

pytest_plugins = ["tests.browser"]

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("TRIALTRACKER_REQUIRE_SERVICES") == "1"
# What the embedded default runs with SQL of its own: CI runs these on SQLite as well.
EMBEDDED = (ROOT / "tests" / "outcomes", ROOT / "tests" / "core" / "test_simulation.py")
# Lines the API fuzz leaves for the end of the run (how many operations answered 2xx).
FUZZ_SUMMARY = pytest.StashKey[list[str]]()


def _postgres_problem() -> str | None:
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        return "DATABASE_URL does not name PostgreSQL"
    return None


def _redis_problem() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis does not answer: {exc}"
    return None


def _weasyprint_problem() -> str | None:
    try:
        import weasyprint  # noqa: F401  (loads Pango when imported)
    except OSError as exc:
        return f"WeasyPrint cannot load its system libraries: {exc}"
    return None


def pytest_collection_modifyitems(items):
    for item in items:
        # Schemathesis names each operation's test but gives them all one node id: pytest-xdist tells
        # tests apart by node id, and would run one operation in all.
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            item._id = item._id.with_params(label)
        if "web" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        if any(item.path == part or part in item.path.parents for part in EMBEDDED):
            item.add_marker(pytest.mark.embedded)


def service_missing(service: str, problem: str) -> NoReturn:
    """Skip a test for want of ``service`` (a server, a program), or fail it where
    ``TRIALTRACKER_REQUIRE_SERVICES=1`` forbids skipping. For a fixture that needs a program
    the markers do not probe, as well as for the markers."""
    if REQUIRE_SERVICES:
        pytest.fail(f"needs {service} ({problem}), and TRIALTRACKER_REQUIRE_SERVICES=1 forbids skipping")
    pytest.skip(f"needs {service}: {problem}")


def pytest_runtest_setup(item):
    if item.get_closest_marker("sqlite") and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("the embedded default's own behaviour: runs on SQLite")
    for marker, probe in (
        ("postgres", _postgres_problem),
        ("redis", _redis_problem),
        ("weasyprint", _weasyprint_problem),
    ):
        if item.get_closest_marker(marker) is None:
            continue
        problem = probe()
        if problem is not None:
            service_missing(marker, problem)


def pytest_sessionfinish(session, exitstatus):
    """In a worker of pytest-xdist, hand the fuzz's summary to the controller, which prints it."""
    lines = session.config.stash.get(FUZZ_SUMMARY, None)
    if lines and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["fuzz_summary"] = lines


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controller of pytest-xdist keeps the summary a worker handed over."""
    lines = getattr(node, "workeroutput", {}).get("fuzz_summary")
    if lines:
        node.config.stash[FUZZ_SUMMARY] = lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Show the API fuzz's coverage in the log, whether its floor held or not."""
    lines = config.stash.get(FUZZ_SUMMARY, None)
    if lines:
        terminalreporter.section("API fuzz coverage")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _declared_roles(request):
    """Keep the roles the migration writes: a transactional test's flush empties every table.

    Only for tests that use the database; one query when the roles are there.
    """
    marker = request.node.get_closest_marker("django_db")
    uses_db = marker is not None or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from core.models import RoleDefinition
    from core.roles import ROLE_SPECS

    if RoleDefinition.objects.count() != len(ROLE_SPECS):
        for spec in ROLE_SPECS:
            RoleDefinition.objects.update_or_create(
                code=str(spec.code),
                defaults={"title": spec.title, "description": spec.description, "read_only": spec.read_only},
            )


@pytest.fixture
def kare(db):
    """The KARE trial loaded from the shipped protocol file through the service."""
    from trials.protocol import load_file
    from trials.services import protocol_load

    return protocol_load(protocol=load_file(ROOT / "protocols" / "kare.yaml"), source="kare.yaml").version.trial


@pytest.fixture
def more_kare(db):
    from trials.protocol import load_file
    from trials.services import protocol_load

    return protocol_load(
        protocol=load_file(ROOT / "protocols" / "more-kare.yaml"), source="more-kare.yaml"
    ).version.trial


@pytest.fixture
def make_user(db):
    """``make_user(role, trial, sites=None)``: a user with ``role`` at the named sites (all by default)."""
    from core.services import sites_for, user_create

    counter = {"n": 0}

    def make(role: str | Role, trial, sites: list[str] | None = None, username: str | None = None, **extra):
        counter["n"] += 1
        name = username or f"{role}-{counter['n']}"
        return user_create(
            username=name,
            password=extra.pop("password", PASSWORD),
            role=str(role),
            sites=sites_for(trial=trial.code, sites=sites or []),
            **extra,
        )

    return make


PASSWORD = "correct-horse-battery-staple"  # what make_user gives everyone


@pytest.fixture
def lock_analysis_plan(make_user):
    """``lock_analysis_plan(trial)``: the trial's latest analysis plan version (the shipped one,
    ``protocols/<code>.sap.yaml``, stored when there is none) locked by an investigator, as it is
    before the trial is unblinded for analysis. Returns the version."""

    def lock(trial):
        from outcomes.plan.document import load_file
        from outcomes.plan.selectors import is_locked, plan_latest
        from outcomes.plan.services import analysis_plan_load, analysis_plan_lock

        if plan_latest(trial) is None:
            path = ROOT / "protocols" / f"{trial.code.lower()}.sap.yaml"
            analysis_plan_load(trial=trial, plan=load_file(path, protocol=trial.version_on().protocol))
        if not is_locked(plan_latest(trial)):
            investigator = make_user("investigator", trial)
            analysis_plan_lock(actor=investigator, trial=trial, reason="final before unblinding", password=PASSWORD)
        return plan_latest(trial)

    return lock


def password_in(password: str = PASSWORD) -> io.StringIO:
    """Standard input for a command run ``--as`` someone: their password, piped."""
    return io.StringIO(password + "\n")


@pytest.fixture
def api():
    """A DRF test client; ``api.force_authenticate(user)`` to act as someone."""
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def as_user(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


def force_login_verified(client, user) -> None:
    """Sign ``user`` in on a Django test ``client`` with a second factor verified on the session, as the
    sign-in page's second step leaves it: the admin lets in no one who needs one without it."""
    import django_otp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
