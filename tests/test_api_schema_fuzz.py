"""Fuzz the whole API from its own OpenAPI schema: no answer is a server error, every answer matches the schema.

Requests go through the WSGI application as an administrator who is also data manager at the KARE
sites, with the KARE protocol loaded, so that the detail and history endpoints answer with data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core.roles import Role
from core.services import membership_grant, sites_for, user_create
from trials.protocol import load_file
from trials.services import protocol_load
from trialtracker.wsgi import application

KARE_FILE = Path(__file__).resolve().parent.parent / "protocols" / "kare.yaml"
# Examples per operation: few by default, since there are some seventy operations and the suite
# must stay quick; TRIALTRACKER_FUZZ_EXAMPLES=200 fuzzes more deeply.
MAX_EXAMPLES = int(os.environ.get("TRIALTRACKER_FUZZ_EXAMPLES", "5"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


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
def token(django_db_setup, django_db_blocker, same_connection) -> str:
    """The API token of the fuzzing administrator, with KARE loaded.

    Written once for every operation's test, in a transaction rolled back after the last one
    (each test runs in a savepoint inside it), so nothing is left for the rest of the suite.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            protocol_load(protocol=load_file(KARE_FILE), source="kare.yaml")
            kare_sites = sites_for(trial="KARE", sites=[])
            admin = user_create(username="fuzz-admin", role=Role.ADMINISTRATOR, sites=kare_sites)
            membership_grant(user=admin, role=Role.DATA_MANAGER, sites=kare_sites)
            yield Token.objects.create(user=admin).key
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# The coverage phase sends every boundary and negative value of every parameter (thousands of requests);
# examples and fuzzing, positive and negative, keep the run short.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}, "generation": {"mode": "all"}})

# Loaded when the module is collected: serving the schema reads nothing from the database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_answers_without_server_errors_and_as_documented(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
