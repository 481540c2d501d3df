"""The migration that split the one relatedness assessment into the study drug's and the therapy's."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from participants.models import AdverseEvent
from participants.safety import services as safety
from tests.participants.visits_fixtures import Clinic

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("participants", "0003_appointment_bookings_index")]


def _migrate(target=None) -> None:
    """To ``target``, or to the latest of every app (what stepping back undid included)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target or executor.loader.graph.leaf_nodes())


def test_the_old_assessment_becomes_the_drugs_and_the_therapys_reads_not_assessed(people, lists, make_user):
    clinic = Clinic(people, make_user)
    participant = clinic.randomised()
    ae = safety.adverse_event_record(
        actor=clinic.coordinator,
        participant=participant,
        term="Nausea",
        onset_date=participant.allocation.allocated_on,
        grade=1,
        drug_causality="probably",
        therapy_causality="unlikely",
        expected=True,
    )
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute("SELECT causality FROM participants_adverseevent WHERE id = %s", [ae.pk])
            assert cursor.fetchone() == ("probably",)
    finally:
        _migrate()
    migrated = AdverseEvent.objects.get(pk=ae.pk)
    assert (migrated.drug_causality, migrated.therapy_causality) == ("probably", "not_assessed")
    assert migrated.term == "Nausea"
