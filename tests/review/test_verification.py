"""Source data verification: the protocol's plan (in full, or a stable sample), a monitor's marks
on a form or an item, a record that changes after it was verified reading as changed (its mark
never vouches for the new value), the monitor changing no data, and progress per participant and
site."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import Forbidden, Invalid, NotFound
from participants.models import InfusionSession, Visit
from participants.schedule.services import visits as schedule
from review.models import VerificationMark
from review.records import record_get
from review.selectors import participants_at
from review.verification import (
    CHANGED,
    FULL,
    NOT_SELECTED,
    SAMPLED,
    TO_VERIFY,
    VERIFIED,
    plan_of,
    progress,
    record_verify,
    sampled,
    states_of,
)

pytestmark = pytest.mark.django_db


def _visit_at_exeter(reviewed) -> Visit:
    return (
        Visit.objects.filter(appointment__participant__in=reviewed.at_exeter, attended=True)
        .select_related("appointment__participant")
        .first()
    )


def _states(reviewed, user, participant):
    return {
        (s.record.kind.code, s.record.pk): s for s in states_of(user=user, participants=[participant])[participant.pk]
    }


def test_sampling_is_the_same_every_time_and_none_or_all_at_the_ends():
    assert sampled("visit", 12, 0.2) == sampled("visit", 12, 0.2)
    assert not any(sampled("visit", pk, 0) for pk in range(500))
    assert all(sampled("visit", pk, 1) for pk in range(500))


@settings(max_examples=25, deadline=None)
@given(
    fraction=st.decimals(min_value=Decimal("0.05"), max_value=Decimal("0.95"), places=2),
    start=st.integers(min_value=1, max_value=10**9),
    kind=st.sampled_from(["visit", "session", "biomarker", "questionnaire"]),
)
def test_the_sample_honours_the_fraction(fraction, start, kind):
    n = 4000
    chosen = sum(sampled(kind, pk, fraction) for pk in range(start, start + n))
    # four standard deviations of a binomial share at most 0.5 * 0.5: 0.032 for 4000 records
    assert abs(chosen / n - float(fraction)) < 0.032


def test_the_plan_verifies_the_protocols_kinds_in_full_and_samples_the_rest(reviewed):
    participant = reviewed.at_exeter[0]
    protocol = reviewed.trial.version_on().protocol
    states = states_of(user=reviewed.monitor, participants=[participant])[participant.pk]
    anchor = participant.allocation.allocated_on
    for state in states:
        code = state.record.kind.code
        if code in ("consent", "screening", "randomisation", "infusion"):
            assert state.plan == FULL
        elif code == "drinking_day":
            inside = anchor <= state.record.obj.day <= anchor + dt.timedelta(days=181)
            assert state.plan == (
                FULL if inside else (SAMPLED if sampled(code, state.record.pk, Decimal("0.2")) else None)
            )
        elif code == "adverse_event" and state.record.obj.seriousness:
            assert state.plan == FULL
        else:
            expected = SAMPLED if sampled(code, state.record.pk, protocol.monitoring.sample_fraction) else None
            assert state.plan == expected
        assert state.state == (TO_VERIFY if state.plan else NOT_SELECTED)


def test_a_drinking_day_before_the_primary_window_is_only_sampled(reviewed):
    participant = reviewed.at_exeter[0]
    protocol = reviewed.trial.version_on().protocol
    record = next(
        s.record
        for s in states_of(user=reviewed.monitor, participants=[participant])[participant.pk]
        if s.record.kind.code == "drinking_day" and s.record.obj.day < participant.allocation.allocated_on
    )
    assert plan_of(record, protocol=protocol, anchor=participant.allocation.allocated_on) != FULL


def test_a_monitor_verifies_a_form_and_it_reads_verified(reviewed):
    visit = _visit_at_exeter(reviewed)
    mark = record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk)
    assert mark.item == ""
    assert "actual_date" in mark.items
    assert mark.site_id == reviewed.exeter.pk
    state = _states(reviewed, reviewed.monitor, visit.appointment.participant)[("visit", visit.pk)]
    assert state.state == VERIFIED


def test_verifying_twice_unchanged_writes_one_mark(reviewed):
    visit = _visit_at_exeter(reviewed)
    first = record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk)
    assert record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk) == first
    assert VerificationMark.objects.count() == 1


def test_a_verified_field_does_not_keep_its_mark_after_an_edit(reviewed):
    visit = _visit_at_exeter(reviewed)
    record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk, item="actual_date")
    record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk, item="attended")
    participant = visit.appointment.participant
    assert _states(reviewed, reviewed.monitor, participant)[("visit", visit.pk)].items["actual_date"] == VERIFIED
    schedule.visit_update(
        actor=reviewed.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    state = _states(reviewed, reviewed.monitor, participant)[("visit", visit.pk)]
    assert state.items == {"actual_date": CHANGED, "attended": VERIFIED}
    assert state.state == CHANGED
    assert VerificationMark.objects.count() == 2  # the marks stay, for the record of what was checked


def test_a_verified_form_reads_changed_after_an_edit_until_verified_again(reviewed):
    visit = _visit_at_exeter(reviewed)
    participant = visit.appointment.participant
    record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk)
    schedule.visit_update(
        actor=reviewed.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    found = progress(states_of(user=reviewed.monitor, participants=[participant]), {participant.pk: participant})
    assert ("visit", visit.pk) in [(s.record.kind.code, s.record.pk) for s in found["changed"]]
    record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk)
    assert _states(reviewed, reviewed.monitor, participant)[("visit", visit.pk)].state == VERIFIED


def test_only_a_monitor_at_the_site_verifies(reviewed, make_user):
    visit = _visit_at_exeter(reviewed)
    with pytest.raises(Forbidden):
        record_verify(actor=reviewed.coordinator, kind="visit", pk=visit.pk)
    with pytest.raises(NotFound):
        record_verify(actor=make_user("monitor", reviewed.trial, sites=["london"]), kind="visit", pk=visit.pk)
    assert not VerificationMark.objects.exists()


def test_an_item_hidden_from_the_monitor_is_refused_as_unknown_and_the_form_covers_the_rest(reviewed):
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    with pytest.raises(Invalid) as refused:
        record_verify(actor=reviewed.monitor, kind="infusion", pk=infusion.pk, item="dose_mg")
    assert refused.value.fields["item"] == ["Infusion has no item 'dose_mg'."]
    with pytest.raises(Invalid) as unknown:
        record_verify(actor=reviewed.monitor, kind="infusion", pk=infusion.pk, item="no_such")
    assert unknown.value.message == refused.value.message
    mark = record_verify(actor=reviewed.monitor, kind="infusion", pk=infusion.pk)
    assert not {"dose_mg", "mg_per_kg", "dose_mg_given"} & set(mark.items)
    participant = infusion.visit.appointment.participant
    assert _states(reviewed, reviewed.monitor, participant)[("infusion", infusion.pk)].state == VERIFIED


def test_progress_counts_the_plan_per_participant_and_site(reviewed):
    people = list(participants_at(user=reviewed.monitor, trial=reviewed.trial))
    assert {p.site_id for p in people} == {reviewed.exeter.pk}
    states = states_of(user=reviewed.monitor, participants=people)
    participant = people[0]
    consent = next(s for s in states[participant.pk] if s.record.kind.code == "consent")
    record_verify(actor=reviewed.monitor, kind="consent", pk=consent.record.pk)
    found = progress(states_of(user=reviewed.monitor, participants=people), {p.pk: p for p in people})
    planned = sum(1 for s in states[participant.pk] if s.plan)
    mine = found["participants"][participant.pk]
    assert (mine.planned, mine.verified, mine.changed) == (planned, 1, 0)
    site = found["sites"][reviewed.exeter.pk]
    assert site.planned == sum(1 for rows in states.values() for s in rows if s.plan)
    assert site.verified == 1
    assert site.percent == round(100 / site.planned)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/appointments/{appointment}/visit/", {"actual_date": "{today}", "attended": True}),
        ("patch", "/api/appointments/{visited}/visit/", {"actual_date": "{visit_date}", "reason": "typo"}),
        (
            "put",
            "/api/participants/{study_id}/drinking-days/",
            {"days": [{"date": "{yesterday}", "amount": "0", "unit": "g"}], "reason": "recall"},
        ),
        ("post", "/api/participants/{study_id}/biomarkers/", {"kind": "etg", "taken_on": "{today}", "value": "10"}),
        (
            "post",
            "/api/participants/{study_id}/adverse-events/",
            {
                "term": "Headache",
                "onset_date": "{today}",
                "grade": 1,
                "drug_causality": "not_related",
                "therapy_causality": "not_related",
                "expected": False,
            },
        ),
    ],
)
def test_a_monitor_changes_no_data(reviewed, as_user, method, path, body):
    visit = _visit_at_exeter(reviewed)
    participant = visit.appointment.participant
    pending = participant.appointments.filter(visit__isnull=True).first()
    values = {
        "appointment": pending.pk,
        "visited": visit.appointment.pk,
        "study_id": participant.study_id,
        "today": dt.date.today().isoformat(),
        "yesterday": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
        "visit_date": visit.actual_date.isoformat(),
    }
    filled = _fill(body, values)
    answer = getattr(as_user(reviewed.monitor), method)(path.format(**values), filled, format="json")
    assert answer.status_code == 403, answer.content


def _fill(value, values):
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    if isinstance(value, str) and value.startswith("{"):
        return value.format(**values)
    return value


def test_a_record_is_read_for_verification_only_at_the_monitors_sites(reviewed):
    london = reviewed.at_london[0]
    with pytest.raises(NotFound):
        record_get(user=reviewed.monitor, kind="baseline", pk=london.pk)
