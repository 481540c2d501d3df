"""What the database refuses by itself, even when a service's checks are skipped.

The services check each of these before writing; the constraints and triggers behind them are the
last line of defence (a bug in a service, a script, an admin action, a second client). Each test
makes the legitimate rows through the services, then attempts the forbidden write directly, once
through the ORM and once as plain SQL, and checks that it is refused and that nothing was written.

* one participant per randomisation slot, one allocation per participant;
* one active lock per trial and per participant, one unblinding for analysis per trial;
* no infusion without a weight, one infusion per visit;
* on PostgreSQL, the audit trail's event tables refuse UPDATE and DELETE.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import DatabaseError, IntegrityError, transaction

from core.history import event_model_for
from participants.locks import services as locks
from participants.models import Allocation, AnalysisUnblinding, DataLock, InfusionSession, ListSlot
from tests.participants.conftest import PASSWORD
from tests.participants.visits_fixtures import Clinic, client_for
from tests.raw_sql import execute, insert_copy, orm_copy

pytestmark = pytest.mark.django_db

# The two ways round the services: the ORM without its service, and SQL without the ORM.
WRITES = pytest.mark.parametrize("write", [orm_copy, insert_copy], ids=["orm", "sql"])
# No weight at all, or none worth the name; each refused by its own constraint.
WEIGHTLESS = pytest.mark.parametrize(
    ("weight", "match"),
    [
        (0, "infusion_weight_positive"),
        (None, r'infusionsession\.weight_kg|"weight_kg" of relation "participants_infusionsession"'),
    ],
    ids=["zero", "none"],
)


@contextlib.contextmanager
def _refused(match: str, error: type[Exception] = IntegrityError):
    """The write inside is refused by the database, with a message naming ``match`` (PostgreSQL names a
    partial unique index, SQLite its columns); the test's transaction survives it."""
    with pytest.raises(error, match=match), transaction.atomic():
        yield


@pytest.fixture
def allocated(people, lists):
    """A participant randomised through the service: an allocation holding a slot."""
    return people.randomised().allocation


@pytest.fixture
def data_manager(kare, make_user):
    return make_user("data_manager", kare)


# --- randomisation -----------------------------------------------------------------------------------


@WRITES
def test_a_slot_already_allocated_is_refused_to_a_second_participant(allocated, people, write):
    other = people.ready()
    before = Allocation.objects.count()

    with _refused("slot_id"):
        write(allocated, participant_id=other.pk)

    assert Allocation.objects.count() == before
    assert not Allocation.objects.filter(participant=other).exists()


@WRITES
def test_a_participant_already_allocated_is_refused_a_second_allocation(allocated, write):
    free_slot = ListSlot.objects.filter(list__stratum=allocated.stratum, allocation__isnull=True).first()
    before = Allocation.objects.count()

    with _refused("participant_id"):
        write(allocated, slot_id=free_slot.pk)

    assert Allocation.objects.count() == before
    assert not Allocation.objects.filter(slot=free_slot).exists()


# --- locks and unblinding for analysis -------------------------------------------------------------


@WRITES
def test_a_second_active_lock_of_the_trial_is_refused(kare, data_manager, write):
    lock = locks.data_lock(actor=data_manager, trial=kare, reason="interim analysis")

    with _refused(r"lock_one_active_per_trial|datalock\.trial_id"):
        write(lock, reason="locked again")

    assert list(DataLock.objects.all()) == [lock]


@WRITES
def test_a_second_active_lock_of_a_participant_is_refused(kare, allocated, data_manager, write):
    lock = locks.data_lock(actor=data_manager, trial=kare, participant=allocated.participant, reason="query resolved")

    with _refused(r"lock_one_active_per_participant|datalock\.participant_id"):
        write(lock, reason="locked again")

    assert list(DataLock.objects.all()) == [lock]


@WRITES
def test_a_second_unblinding_for_analysis_of_the_trial_is_refused(kare, data_manager, write, lock_analysis_plan):
    lock_analysis_plan(kare)
    locks.data_lock(actor=data_manager, trial=kare, reason="final")
    first = locks.trial_unblind_for_analysis(actor=data_manager, trial=kare, reason="final analysis", password=PASSWORD)

    with _refused("trial_id"):
        write(first, reason="unblinded again")

    assert list(AnalysisUnblinding.objects.all()) == [first]


# --- infusions ----------------------------------------------------------------------------------------


@pytest.fixture
def infusion(people, lists, make_user) -> InfusionSession:
    """An infusion recorded through the API at the participant's V2, by the weight of 80 kg."""
    clinic = Clinic(people, make_user)
    participant = clinic.randomised()
    client = client_for(clinic.coordinator)
    clinic.attend(client, participant, "V2", 7)
    response = clinic.infuse(client, participant, "V2", 7, weight="80.0")
    assert response.status_code == 201, response.json()
    return InfusionSession.objects.get(visit__appointment__participant=participant)


@WEIGHTLESS
def test_an_infusion_without_a_weight_is_refused_through_the_orm(infusion, weight, match):
    with _refused(match):
        InfusionSession.objects.filter(pk=infusion.pk).update(weight_kg=weight)

    infusion.refresh_from_db()
    assert str(infusion.weight_kg) == "80.0"


@WEIGHTLESS
def test_an_infusion_without_a_weight_is_refused_through_sql(infusion, weight, match):
    with _refused(match):
        execute(f"UPDATE {InfusionSession._meta.db_table} SET weight_kg = %s WHERE id = %s", [weight, infusion.pk])

    infusion.refresh_from_db()
    assert str(infusion.weight_kg) == "80.0"


@WRITES
def test_a_second_infusion_at_one_visit_is_refused(infusion, write):
    with _refused("visit_id"):
        write(infusion)

    assert list(InfusionSession.objects.all()) == [infusion]


# --- PostgreSQL: the audit trail is append-only ------------------------------------------------------


def _events_of(allocation: Allocation):
    return event_model_for(Allocation).objects.filter(pgh_obj_id=allocation.pk)


def _refused_by_the_trail(model):
    return _refused(f"Cannot update or delete rows from {event_model_for(model)._meta.db_table}", DatabaseError)


@pytest.mark.postgres
def test_an_allocation_event_refuses_an_update_through_the_orm(allocated):
    event = _events_of(allocated).get()
    event.stratum = "forged"

    with _refused_by_the_trail(Allocation):
        event.save()

    assert _events_of(allocated).get().stratum == allocated.stratum


@pytest.mark.postgres
def test_an_allocation_event_refuses_an_update_through_sql(allocated):
    table = event_model_for(Allocation)._meta.db_table

    with _refused_by_the_trail(Allocation):
        execute(f"UPDATE {table} SET stratum = 'forged' WHERE pgh_obj_id = %s", [allocated.pk])

    assert _events_of(allocated).get().stratum == allocated.stratum


@pytest.mark.postgres
def test_an_allocation_event_refuses_a_delete_through_the_orm(allocated):
    with _refused_by_the_trail(Allocation):
        _events_of(allocated).get().delete()

    assert _events_of(allocated).count() == 1


@pytest.mark.postgres
def test_an_allocation_event_refuses_a_delete_through_sql(allocated):
    table = event_model_for(Allocation)._meta.db_table

    with _refused_by_the_trail(Allocation):
        execute(f"DELETE FROM {table} WHERE pgh_obj_id = %s", [allocated.pk])

    assert _events_of(allocated).count() == 1
