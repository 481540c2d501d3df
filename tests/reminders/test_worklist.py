"""The escalation worklist's overdue appointments: found in the database by each site's own date,
and not an infusion or a session of a participant withdrawn from the intervention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.enrolment.services import withdrawal_record
from reminders.selectors import worklist_entries
from tests.reminders.conftest import london

pytestmark = pytest.mark.django_db


def _overdue(user) -> set[str]:
    return {e["event_code"] for e in worklist_entries(user=user, kinds=frozenset({"overdue"}))}


def test_a_participant_withdrawn_from_the_intervention_has_no_infusion_or_session_overdue(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised()
    clock.go(london(2026, 3, 1, 12))  # every window but V10's has closed without a visit
    before = _overdue(contacts.coordinator)
    assert {"V2", "V3", "V9"} <= before
    withdrawal_record(
        actor=contacts.coordinator,
        participant=participant,
        scope="intervention",
        withdrawn_on=dt.date(2026, 2, 1),
        reason="prefers not to have infusions",
    )
    after = _overdue(contacts.coordinator)
    assert "V9" in after  # the follow-up goes on
    assert not after & {"V2", "V3", "V4", "V5", "V6", "V7", "V8"}


def test_the_worklist_reads_only_the_appointments_whose_window_closed(clock, contacts):
    clock.go(london(2025, 7, 28, 11))
    contacts.randomised()
    clock.go(london(2025, 8, 20, 12))
    with CaptureQueriesContext(connection) as queries:
        assert "V2" in _overdue(contacts.coordinator)  # its window closed on 11 August
    read = [q["sql"] for q in queries if 'FROM "participants_appointment"' in q["sql"]]
    assert len(read) == 1
    assert '"participants_appointment"."window_end" < ' in read[0]
