"""Reasons items of a record are empty (not done, unknown, not applicable, declined): given by the
site's staff who enter data, only on an empty item they may see, audited, answering a query on the
item, changing the record's fingerprint, and gone when a correction enters the value; through the
service, the API and the page."""

from __future__ import annotations

import datetime as dt

import pytest

from core import history
from core.errors import Conflict, Forbidden, Invalid, NotFound
from participants.locks import services as locks
from participants.models import AdverseEvent, InfusionSession, Visit
from participants.safety import services as safety
from review.missing import empty_items, missing_reasons_record
from review.models import QueryState
from review.queries import services as queries
from review.records import fingerprint, record_of
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(trial):
    """An attended visit of the Exeter participant, with nobody recorded as having seen them."""
    found = Visit.objects.filter(appointment__participant=trial.participant, attended=True).first()
    Visit.objects.filter(pk=found.pk).update(seen_by=None)
    found.refresh_from_db()
    return found


@pytest.fixture
def adverse_event(trial):
    return safety.adverse_event_record(
        actor=trial.coordinator,
        participant=trial.participant,
        term="Headache",
        onset_date=trial.participant.allocation.allocated_on + dt.timedelta(days=1),
        grade=1,
        drug_causality="unlikely",
        therapy_causality="not_related",
        expected=False,
    )


def _give(actor, visit, code="not_done", note="the clinician left before signing", reason=""):
    return missing_reasons_record(
        actor=actor, kind="visit", record_id=visit.pk, given={"seen_by": {"code": code, "note": note}}, reason=reason
    )


def test_the_site_gives_a_reason_an_item_is_empty_and_the_trail_keeps_it(trial, visit):
    before = fingerprint(record_of(visit))
    record = _give(trial.coordinator, visit, reason="source notes unsigned")
    visit.refresh_from_db()
    assert visit.missing == {"seen_by": {"code": "not_done", "note": "the clinician left before signing"}}
    assert record.obj.missing == visit.missing
    assert fingerprint(record_of(visit)) != before  # a signature or a mark sees the change
    assert [(e.name, e.code) for e in empty_items(record_of(visit), trial.coordinator)] == [("seen_by", "not_done")]


@pytest.mark.postgres
def test_the_reason_is_audited_with_who_and_why(trial, visit):
    from django.db.models import Q

    _give(trial.coordinator, visit, reason="source notes unsigned")
    events = list(history.events_for([(Visit, Q(pgh_obj_id=visit.pk))]))
    last = events[-1]
    assert "missing" in (last["changes"] or {})
    assert last["reason"] == "source notes unsigned"
    assert last["actor"] == trial.coordinator.username


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"attended": {"code": "unknown", "note": ""}}, "items.attended"),  # has a value
        ({"actual_date": {"code": "unknown", "note": ""}}, "items.actual_date"),  # never empty
        ({"seen_by": {"code": "forgot", "note": ""}}, "items.seen_by"),  # not a reason
        ({"seen_by": {"code": "unknown", "note": "x" * 501}}, "items.seen_by"),  # note too long
        ({"password": {"code": "unknown", "note": ""}}, "items.password"),  # not an item
        ({}, "items"),
    ],
)
def test_a_bad_reason_is_refused_naming_the_item_and_nothing_is_saved(trial, visit, given, field):
    with pytest.raises(Invalid) as refused:
        missing_reasons_record(actor=trial.coordinator, kind="visit", record_id=visit.pk, given=given)
    assert field in refused.value.fields
    visit.refresh_from_db()
    assert visit.missing == {}


def test_a_monitor_may_not_give_reasons_and_another_site_finds_nothing(trial, visit):
    with pytest.raises(Forbidden):
        _give(trial.monitor, visit)
    with pytest.raises(NotFound):
        _give(trial.london_coordinator, visit)
    visit.refresh_from_db()
    assert visit.missing == {}


def test_locked_data_take_no_reason(trial, visit):
    locks.data_lock(actor=trial.data_manager, trial=trial.kare, participant=trial.participant, reason="interim")
    with pytest.raises(Conflict):
        _give(trial.coordinator, visit)


def test_a_drinking_day_says_why_it_is_empty_where_it_is_entered(trial):
    day = trial.participant.drinking.first()
    with pytest.raises(Invalid) as refused:
        missing_reasons_record(
            actor=trial.coordinator, kind="drinking_day", record_id=day.pk, given={"amount": {"code": "unknown"}}
        )
    assert "kind" in refused.value.fields


def test_someone_blind_to_the_drug_cannot_reach_the_dose_given(trial):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    InfusionSession.objects.filter(pk=infusion.pk).update(dose_mg_given=None, dissociation_score=None)
    infusion.refresh_from_db()
    names = [e.name for e in empty_items(record_of(infusion), trial.coordinator)]
    assert names == ["dissociation_score"]
    with pytest.raises(Invalid) as refused:
        missing_reasons_record(
            actor=trial.coordinator,
            kind="infusion",
            record_id=infusion.pk,
            given={"dose_mg_given": {"code": "not_done", "note": ""}},
        )
    assert "items.dose_mg_given" in refused.value.fields


def test_a_reason_answers_an_open_query_on_the_item(trial, visit):
    query = queries.query_raise(actor=trial.monitor, kind="visit", record_id=visit.pk, item="seen_by", text="Who?")
    _give(trial.coordinator, visit, reason="nobody signed the visit sheet")
    query.refresh_from_db()
    assert query.state == QueryState.ANSWERED
    assert query.messages.last().text == "nobody signed the visit sheet"


def test_a_correction_entering_the_value_takes_the_reason_away(trial, adverse_event):
    missing_reasons_record(
        actor=trial.coordinator,
        kind="adverse_event",
        record_id=adverse_event.pk,
        given={"end_date": {"code": "unknown", "note": "lost to contact"}, "outcome": {"code": "unknown", "note": ""}},
    )
    adverse_event.refresh_from_db()
    assert set(adverse_event.missing) == {"end_date", "outcome"}
    safety.adverse_event_update(
        actor=trial.coordinator,
        ae=adverse_event,
        reason="the participant rang back",
        end_date=adverse_event.onset_date + dt.timedelta(days=2),
    )
    assert set(AdverseEvent.objects.get(pk=adverse_event.pk).missing) == {"outcome"}


def test_a_blank_code_withdraws_a_reason(trial, visit):
    _give(trial.coordinator, visit)
    _give(trial.coordinator, visit, code="", note="", reason="given by mistake")
    visit.refresh_from_db()
    assert visit.missing == {}


def test_a_questionnaire_item_not_answered_takes_a_reason_of_its_own(trial):
    from outcomes.services import questionnaire_record

    response = questionnaire_record(
        actor=trial.coordinator,
        participant=trial.participant,
        instrument="audit",
        administered_on=trial.participant.allocation.allocated_on,
        items={str(n): (None if n == 3 else 0) for n in range(1, 11)},
    )
    names = [e.name for e in empty_items(record_of(response), trial.coordinator)]
    assert names == ["items.3"]
    missing_reasons_record(
        actor=trial.coordinator,
        kind="questionnaire",
        record_id=response.pk,
        given={"items.3": {"code": "declined", "note": "did not want to say"}},
    )
    response.refresh_from_db()
    assert response.missing == {"items.3": {"code": "declined", "note": "did not want to say"}}


# --- the API and the page -------------------------------------------------------------------------


def test_the_api_lists_the_empty_items_and_saves_reasons(as_user, trial, visit):
    url = f"/api/records/visit/{visit.pk}/empty-items/"
    listed = as_user(trial.coordinator).get(url)
    assert listed.status_code == 200
    assert listed.json()["empty_items"] == [{"name": "seen_by", "label": "Seen by", "code": "", "note": ""}]
    saved = as_user(trial.coordinator).post(url, {"items": {"seen_by": {"code": "unknown"}}}, format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["missing"] == {"seen_by": {"code": "unknown", "note": ""}}


@pytest.mark.parametrize(
    "body", [{"items": {"seen_by": {"code": "maybe"}}}, {"items": {"seen_by": "unknown"}}, {"items": []}, {}]
)
def test_the_api_answers_bad_bodies_400(as_user, trial, visit, body):
    answer = as_user(trial.coordinator).post(f"/api/records/visit/{visit.pk}/empty-items/", body, format="json")
    assert answer.status_code == 400
    assert "error" in answer.json()


def test_the_api_hides_another_sites_record_and_an_unknown_kind(as_user, trial, visit):
    assert as_user(trial.london_coordinator).get(f"/api/records/visit/{visit.pk}/empty-items/").status_code == 404
    assert as_user(trial.coordinator).get(f"/api/records/password/{visit.pk}/empty-items/").status_code == 404


def test_the_page_saves_a_reason_and_puts_a_refusal_at_the_item(client, trial, visit):
    force_login_verified(client, trial.coordinator)
    url = f"/records/visit/{visit.pk}/empty-items/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Seen by: why it is empty" in page.content.decode()
    saved = client.post(url, {"code:seen_by": "not_applicable", "note:seen_by": "remote visit", "reason": ""})
    assert saved.status_code == 302
    visit.refresh_from_db()
    assert visit.missing == {"seen_by": {"code": "not_applicable", "note": "remote visit"}}
    force_login_verified(client, trial.monitor)
    refused = client.post(url, {"code:seen_by": "unknown", "note:seen_by": "", "reason": ""})
    assert refused.status_code == 403
    visit.refresh_from_db()
    assert visit.missing["seen_by"]["code"] == "not_applicable"


def test_the_reason_a_hidden_item_is_empty_is_hidden_with_it(as_user, trial):
    """A pharmacist (who sees the drug) says why the dose given is empty; the blinded coordinator
    reads no word of it, in the API or on a query's page."""
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    InfusionSession.objects.filter(pk=infusion.pk).update(dose_mg_given=None, dissociation_score=None)
    missing_reasons_record(
        actor=trial.pharmacist,
        kind="infusion",
        record_id=infusion.pk,
        given={
            "dose_mg_given": {"code": "unknown", "note": "ketamine vial count not recorded"},
            "dissociation_score": {"code": "not_done", "note": ""},
        },
    )
    shown = as_user(trial.coordinator).get(f"/api/records/infusion/{infusion.pk}/empty-items/").json()
    assert shown["missing"] == {"dissociation_score": {"code": "not_done", "note": ""}}
    record = record_of(InfusionSession.objects.get(pk=infusion.pk))
    assert "ketamine" not in record.shown_value("missing", trial.coordinator)
    assert "ketamine" in record.shown_value("missing", trial.pharmacist)


@pytest.mark.postgres
def test_the_casebooks_history_keeps_an_infusions_reasons_from_one_blind_to_the_dose(trial):
    from participants.enrolment.selectors import participant_history

    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    InfusionSession.objects.filter(pk=infusion.pk).update(dose_mg_given=None)
    missing_reasons_record(
        actor=trial.pharmacist,
        kind="infusion",
        record_id=infusion.pk,
        given={"dose_mg_given": {"code": "unknown", "note": "ketamine vial count not recorded"}},
    )

    def reasons_seen(user) -> list:
        events = participant_history(user=user, participant=trial.participant)
        infusions = [e for e in events if e["model"] == "participants.infusionsession"]
        return [e["changes"]["missing"] for e in infusions if "missing" in (e["changes"] or {})]

    assert "ketamine vial count not recorded" in str(reasons_seen(trial.pharmacist))
    assert reasons_seen(trial.coordinator) == []
