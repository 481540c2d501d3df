"""Fuzz the whole API from its own OpenAPI schema, over a simulated trial: no answer is a server
error, every answer matches the schema, and most operations succeed at least once.

The module's data are a small KARE trial run through :mod:`trialtracker.simulation`, plus a few
people at the steps the simulation leaves behind it (enrolled but not baselined, baselined but not
randomised, randomised ten days ago with their first visits still open, an infusion visit attended
without its infusion), a serious adverse event, a deviation, a participant's data lock, and one
user (with an API token) per role at every KARE site. It is written once, in a transaction rolled
back after the last test; each operation's test runs in a savepoint inside it, so the writes of
one operation's examples accumulate and vanish before the next operation.

Schemathesis generates each request; the ``flatmap_case`` hook then, most of the time, puts real
path and query parameters in it (a KARE study id, an open appointment, ...), offers a valid body
built from the data (a date inside the appointment's window, an infusion with its vitals, ...) in
place of the generated one, and gives it the token of a role the project lets do the operation.
The rest of the time the generated parameters, body or role go as they are, so that unknown ids,
malformed bodies and refusals stay fuzzed; and one request in eight is made hostile
(:mod:`tests.fuzz.hostile`: nested too deep, an id beyond the database's range, a date in year 1
or 9999). Every response goes through the same checks. What one
operation needs and would stop the others (a new consent form to consent to, a locked trial to
unblind for analysis) is set up in that operation's own test.

The data (:mod:`tests.fuzz.seeding`), the plans of each operation (:mod:`tests.fuzz.plans`) and the
roles that may do it (:mod:`tests.fuzz.roles`) are in the :mod:`tests.fuzz` package; this module
fuzzes with them.

The status codes answered are recorded per operation; the last test fails when fewer than
:data:`FLOOR` of the operations answered 2xx at least once, and the share is printed at the end
of the run (``pytest_terminal_summary`` in ``tests/conftest.py``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import FUZZ_SUMMARY
from tests.fuzz import hostile
from tests.fuzz.plans import KEEP, plans_for, real_path, real_query
from tests.fuzz.roles import ANY_ROLE, ROLES
from tests.fuzz.seeding import PREPARE, Seeded, seed
from trialtracker.wsgi import application

# Examples per operation: few by default, since there are some seventy operations and the suite
# must stay quick; TRIALTRACKER_FUZZ_EXAMPLES=200 fuzzes more deeply.
MAX_EXAMPLES = int(os.environ.get("TRIALTRACKER_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The share of operations that must answer 2xx at least once.
FLOOR = 0.8
# Operations that cannot answer 2xx by design, with the reason. Keep it short.
CANNOT_SUCCEED: dict[str, str] = {}

# Of every OUT_OF draws: how many put the seeded data in (the rest send the generated request as
# it is), how many of those offer a valid body in place of the generated one, and how many take
# the token of a role that may do the operation (the rest: of any role).
OUT_OF = 5
SEEDED_DATA = 4
VALID_BODY = 3
ABLE_ROLE = 4
# Of every HOSTILE_OUT_OF requests, one is then made hostile (tests.fuzz.hostile): nested too deep,
# an id beyond the database's range, a date in year 1 or 9999. The largest draw, not the smallest:
# Hypothesis favours small values, and the smallest draws are the ones that put in the seeded data.
HOSTILE_OUT_OF = 8

# Status codes answered, per operation label ("POST /api/screenings/"), over the whole module.
ANSWERED: dict[str, list[int]] = {}
# What the module's fixture seeded, for the hook to draw from while the tests run.
SEEDED: dict[str, Seeded] = {}


@pytest.fixture(scope="module")
def same_connection():
    """Keep the test's connection open across requests, as Django's own test client does.

    The WSGI handler closes connections it finds outside autocommit when a request starts or
    finishes; inside the tests' transaction that would close the connection holding their data.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, same_connection) -> Seeded:
    """The simulated trial and the fuzzing users, in a transaction rolled back after the last test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            SEEDED["current"] = _seeded_with_plans()
            yield SEEDED["current"]
        finally:
            SEEDED.clear()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _seeded_with_plans() -> Seeded:
    """The seeded data, with the plans drawn from it."""
    current = seed()
    current.plans = plans_for(current)
    return current


def _with_seeded_data(case, s: Seeded, drawn):
    seeded, valid, able, able_role, any_role, (path, plan_query, body), query, (harm, how) = drawn
    if seeded < SEEDED_DATA:
        case.path_parameters = {**case.path_parameters, **path}
        case.query = plan_query if plan_query is not None else query
        if body is not KEEP and valid < VALID_BODY:
            case.body = body
            case.media_type = "application/json"
    case.headers["Authorization"] = f"Token {s.tokens[able_role if able < ABLE_ROLE else any_role]}"
    if harm == HOSTILE_OUT_OF - 1:
        hostile.apply(case, how)
    return case


# Loaded when the module is collected: serving the schema reads nothing from the database.
# The coverage phase sends every boundary and negative value of every parameter (thousands of requests);
# examples and fuzzing, positive and negative, keep the run short.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}, "generation": {"mode": "all"}})
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@schema.hook
def flatmap_case(context, case):
    """Most of the time real path and query parameters, a valid body and a role that may; always a token."""
    s = SEEDED.get("current")
    if s is None:
        return st.just(case)
    operation = context.operation
    plan = s.plans.get(operation.label)
    if plan is None:
        plan = st.tuples(real_path(s, operation), st.none(), st.just(KEEP))
    draws = st.integers(0, OUT_OF - 1)
    return st.tuples(
        draws,
        draws,
        draws,
        st.sampled_from(ROLES.get(operation.label, ANY_ROLE)),
        st.sampled_from(ANY_ROLE),
        plan,
        real_query(s, operation),
        st.tuples(st.integers(0, HOSTILE_OUT_OF - 1), hostile.hostile()),
    ).map(lambda drawn: _with_seeded_data(case, s, drawn))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_without_server_errors_and_as_documented(case, seeded):
    label = case.operation.label
    if label in PREPARE:
        PREPARE[label](seeded)
    response = case.call()
    ANSWERED.setdefault(label, []).append(response.status_code)
    case.validate_response(response, checks=CHECKS)


def _operations() -> list[str]:
    return [result.ok().label for result in schema.get_all_operations()]


def test_most_operations_answer_2xx_at_least_once(request):
    """Runs after the fuzz: at least FLOOR of the operations answered 2xx at least once."""
    operations = _operations()
    fuzzed = [
        item
        for item in request.session.items
        if item.originalname == "test_api_answers_without_server_errors_and_as_documented"
    ]
    if len(fuzzed) < len(operations):
        pytest.skip("counts only when every operation is fuzzed in the same run")
    counted = [label for label in operations if label not in CANNOT_SUCCEED]
    succeeded = [label for label in counted if any(200 <= code < 300 for code in ANSWERED.get(label, []))]
    share = len(succeeded) / len(counted)
    answers = [code for codes in ANSWERED.values() for code in codes]
    lines = [
        f"{len(succeeded)} of {len(counted)} operations answered 2xx at least once ({share:.0%}; floor {FLOOR:.0%}); "
        f"{len(answers)} requests: " + ", ".join(f"{n} {c}xx" for c, n in sorted(_by_class(answers).items())),
    ]
    lines += [
        f"  never 2xx: {label} answered {sorted(set(ANSWERED.get(label, [])))}"
        for label in counted
        if label not in succeeded
    ]
    lines += [f"  not counted: {label} ({why})" for label, why in CANNOT_SUCCEED.items()]
    request.config.stash[FUZZ_SUMMARY] = lines
    assert share >= FLOOR, "\n".join(lines)


def _by_class(codes: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for code in codes:
        counts[code // 100] = counts.get(code // 100, 0) + 1
    return counts
