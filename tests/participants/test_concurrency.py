"""Concurrent requests on PostgreSQL: randomisation gives no slot twice and nobody twice, with no
errors; unscheduled visits added at once get distinct codes.

Each thread has its own database connection (closed at the end), as each request would. The
roles the migrations wrote, which the flush after a transactional test removes, are restored by
``tests/conftest.py`` (not by ``serialized_rollback``: under pytest-xdist its snapshot is empty, and
restoring it left a process's later tests without content types or permissions).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from core import permissions
from participants.models import Allocation, ListSlot
from participants.randomisation import services as randomisation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16
PER_THREAD = 20
STRATA = (("exeter", "M"), ("exeter", "F"))


def _in_threads(count: int, work: Callable[[int], object]) -> list:
    """Run ``work(i)`` for i in 0..count-1 on ``count`` threads started together; results in order."""
    start = threading.Barrier(count)

    def run(i: int):
        try:
            start.wait()
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def _prepare(people, strata: Sequence[tuple[str, str]], count: int) -> list:
    """``count`` randomisable participants, alternating over ``strata``, committed in one transaction."""
    with transaction.atomic():
        return [people.ready(site=strata[i % len(strata)][0], sex=strata[i % len(strata)][1]) for i in range(count)]


def _capture(call: Callable[[], object]) -> tuple[object | None, Exception | None]:
    try:
        return call(), None
    except Exception as exc:  # every error counts against the test
        return None, exc


def test_concurrent_randomisations_share_no_slot_and_allocate_everyone_once(people, statistician):
    randomisation.randomisation_lists_generate(actor=statistician, trial=people.trial, blocks=45, seed="c" * 32)
    permissions.roles(people.coordinator)  # fill the membership cache before threads share the user
    participants = _prepare(people, STRATA, THREADS * PER_THREAD)

    def randomise_batch(t: int):
        batch = participants[t::THREADS]  # both strata in every thread
        return [
            _capture(lambda p=p: randomisation.participant_randomise(actor=people.coordinator, participant=p))
            for p in batch
        ]

    outcomes = [outcome for batch in _in_threads(THREADS, randomise_batch) for outcome in batch]
    errors = [repr(error) for _, error in outcomes if error is not None]
    assert errors == []
    allocations = list(
        Allocation.objects.values_list("participant_id", "slot_id", "slot__list__stratum", "slot__position")
    )
    assert len(allocations) == THREADS * PER_THREAD
    assert [n for n in Counter(a[1] for a in allocations).values() if n > 1] == []
    assert [n for n in Counter(a[0] for a in allocations).values() if n > 1] == []
    # Slots are taken in order: each stratum used exactly its first positions, none skipped.
    for stratum in {a[2] for a in allocations}:
        used = sorted(a[3] for a in allocations if a[2] == stratum)
        assert used == list(range(1, len(used) + 1)), stratum
    assert ListSlot.objects.filter(allocation__isnull=False).count() == THREADS * PER_THREAD


def test_one_participant_randomised_by_many_threads_at_once_is_allocated_once(people, statistician):
    randomisation.randomisation_lists_generate(actor=statistician, trial=people.trial, blocks=2, seed="d" * 32)
    participant = people.ready()
    permissions.roles(people.coordinator)

    def randomise(_: int):
        return _capture(lambda: randomisation.participant_randomise(actor=people.coordinator, participant=participant))

    outcomes = _in_threads(20, randomise)
    assert [repr(error) for _, error in outcomes if error is not None] == []
    allocation = Allocation.objects.get(participant=participant)
    assert {result.pk for result, _ in outcomes} == {allocation.pk}
    assert Allocation.objects.count() == 1


def test_concurrent_unscheduled_visits_get_distinct_codes_and_sequences(people, statistician):
    from participants.models import Appointment
    from participants.schedule.services import appointment_add_unscheduled

    randomisation.randomisation_lists_generate(actor=statistician, trial=people.trial, blocks=2, seed="u" * 32)
    permissions.roles(people.coordinator)
    participant = people.randomised()
    day = participant.allocation.allocated_on

    def add(i: int):
        return _capture(
            lambda: appointment_add_unscheduled(
                actor=people.coordinator, participant=participant, booked_date=day, title=f"AE check {i}", reason="AE"
            )
        )

    results = _in_threads(8, add)
    assert [error for _, error in results if error is not None] == []
    added = Appointment.objects.filter(participant=participant, unscheduled=True)
    assert sorted(added.values_list("event_code", flat=True)) == sorted(f"U{n}" for n in range(1, 9))
    sequences = list(Appointment.objects.filter(participant=participant).values_list("sequence", flat=True))
    assert len(sequences) == len(set(sequences))
