"""The biomarker check's data queries of earlier releases (outcomes.DataQuery) become review
queries when the database is migrated: on the abstinent day's grams, open ones open, closed ones
closed with their resolution, and the old table dropped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from outcomes.models import DrinkingRecord
from review.models import Query

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("outcomes", "0002_export_log_via_web"), ("review", "0001_verification_signatures")]
AFTER = [("outcomes", "0003_biomarker_queries_in_review"), ("review", "0002_queries")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    state = executor.migrate(targets)
    return state.apps


def test_the_old_queries_are_moved_with_their_resolutions(trial):
    participant = trial.participant
    abstinent = DrinkingRecord.objects.filter(participant=participant, grams=0).order_by("day")[:2]
    open_day, closed_day = list(abstinent)
    old = _migrate(BEFORE)
    try:
        sample = old.get_model("outcomes", "BiomarkerSample").objects.create(
            participant_id=participant.pk, kind="etg", taken_on=closed_day.day, value=800, positive=True
        )
        made = old.get_model("outcomes", "DataQuery").objects
        made.create(participant_id=participant.pk, day=open_day.day, sample=sample, text="EtG positive (open)")
        resolved = timezone.now() - dt.timedelta(days=1)
        made.create(
            participant_id=participant.pk,
            day=closed_day.day,
            sample=sample,
            text="EtG positive (closed)",
            status="closed",
            resolution="the participant drank at a wedding",
            resolved_by_id=trial.data_manager.pk,
            resolved_at=resolved,
        )
        made.filter(status="closed").update(created_at=resolved - dt.timedelta(days=3))
    finally:
        _migrate(AFTER)
    moved = {q.record_id: q for q in Query.objects.filter(check_code="biomarker_contradiction")}
    assert set(moved) == {open_day.pk, closed_day.pk}
    assert (moved[open_day.pk].state, moved[open_day.pk].item) == ("open", "grams")
    closed = moved[closed_day.pk]
    assert (closed.state, closed.closed_at) == ("closed", resolved)
    assert [(m.action, m.text) for m in closed.messages.all()] == [
        ("raised", "EtG positive (closed)"),
        ("closed", "the participant drank at a wedding"),
    ]
    assert "outcomes_dataquery" not in connection.introspection.table_names()
