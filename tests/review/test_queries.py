"""Data queries: each state change and each refusal, the automatic ones never twice, a correction
answering with its reason, and a query on a hidden item absent for whoever may not see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from core.errors import Conflict, Forbidden, Invalid, NotFound
from outcomes.models import DrinkingRecord
from outcomes.services import drinking_days_record
from outcomes.services.days import DayEntry
from participants.models import InfusionSession, Visit
from participants.schedule import services as schedule
from review.models import Query, QueryMessage
from review.queries import selectors, services
from review.records import record_of

pytestmark = pytest.mark.django_db


def _day(trial) -> DrinkingRecord:
    return DrinkingRecord.objects.filter(participant=trial.participant, source="tlfb").order_by("day").first()


@pytest.fixture
def raised(trial):
    day = _day(trial)
    return services.query_raise(
        actor=trial.monitor, kind="drinking_day", record_id=day.pk, item="grams", text="The source says 4 units."
    )


def _actions(query):
    return list(query.messages.values_list("action", flat=True))


def test_a_monitor_raises_a_query_on_an_item_with_its_question(trial, raised):
    assert (raised.state, raised.item, raised.raised_by, raised.participant) == (
        "open",
        "grams",
        trial.monitor,
        trial.participant,
    )
    assert [(m.action, m.text, m.author) for m in raised.messages.all()] == [
        ("raised", "The source says 4 units.", trial.monitor)
    ]


def test_a_coordinator_may_not_raise_a_query(trial):
    with pytest.raises(Forbidden):
        services.query_raise(actor=trial.coordinator, kind="drinking_day", record_id=_day(trial).pk, text="?")
    assert not Query.objects.exists()


def test_a_record_at_another_site_is_not_found_for_the_raiser(trial):
    with pytest.raises(NotFound):
        services.query_raise(actor=trial.london_monitor, kind="drinking_day", record_id=_day(trial).pk, text="?")


@pytest.mark.parametrize(("item", "text", "field"), [("password", "?", "item"), ("grams", "  ", "text")])
def test_an_unknown_item_or_an_empty_question_is_refused_at_its_field(trial, item, text, field):
    with pytest.raises(Invalid) as refused:
        services.query_raise(actor=trial.monitor, kind="drinking_day", record_id=_day(trial).pk, item=item, text=text)
    assert set(refused.value.fields) == {field}
    assert not Query.objects.exists()


def test_the_site_answers_and_the_raiser_closes(trial, raised):
    answered = services.query_answer(actor=trial.coordinator, query=raised, text="Checked: 0 is right.")
    assert answered.state == "answered"
    assert answered.answered_at is not None
    closed = services.query_close(actor=trial.monitor, query=answered, text="Agreed.")
    assert closed.state == "closed"
    assert closed.closed_at is not None
    assert _actions(closed) == ["raised", "answered", "closed"]


def test_a_site_answering_its_own_query_as_closed_is_refused(trial, raised):
    services.query_answer(actor=trial.coordinator, query=raised, text="Fixed.")
    for site_staff in (trial.coordinator, trial.investigator):
        with pytest.raises(Forbidden):
            services.query_close(actor=site_staff, query=raised, text="Closing it ourselves.")
    assert Query.objects.get(pk=raised.pk).state == "answered"


def test_the_raiser_may_not_answer_their_own_query(trial):
    from core.models import SiteMembership

    # an investigator who is also the site's data manager raises, then tries to answer as the site
    SiteMembership.objects.create(user=trial.investigator, site=trial.participant.site, role_id="data_manager")
    query = services.query_raise(
        actor=trial.investigator, kind="drinking_day", record_id=_day(trial).pk, item="grams", text="?"
    )
    with pytest.raises(Forbidden):
        services.query_answer(actor=trial.investigator, query=query, text="Answered by myself.")
    assert Query.objects.get(pk=query.pk).state == "open"


def test_a_monitor_may_not_answer_for_the_site(trial, raised):
    with pytest.raises(Forbidden):
        services.query_answer(actor=trial.monitor, query=raised, text="I answer myself.")
    with pytest.raises(Forbidden):
        services.query_answer(actor=trial.data_manager, query=raised, text="So do I.")


def test_an_answered_query_cannot_be_answered_again(trial, raised):
    services.query_answer(actor=trial.coordinator, query=raised, text="Once.")
    with pytest.raises(Conflict):
        services.query_answer(actor=trial.investigator, query=raised, text="Twice.")
    assert _actions(raised) == ["raised", "answered"]


def test_the_raiser_reopens_an_answered_query_saying_why(trial, raised):
    services.query_answer(actor=trial.coordinator, query=raised, text="Fine as it is.")
    with pytest.raises(Forbidden):
        services.query_reopen(actor=trial.coordinator, query=raised, text="?")
    with pytest.raises(Invalid):
        services.query_reopen(actor=trial.monitor, query=raised, text="")
    reopened = services.query_reopen(actor=trial.monitor, query=raised, text="The source still says 4 units.")
    assert reopened.state == "open"
    services.query_answer(actor=trial.coordinator, query=reopened, text="Corrected on paper too.")
    services.query_close(actor=trial.monitor, query=reopened)
    again = services.query_reopen(actor=trial.monitor, query=reopened, text="One more look.")
    assert (again.state, again.closed_at) == ("open", None)
    assert _actions(again) == ["raised", "answered", "reopened", "answered", "closed", "reopened"]


def test_an_open_query_cannot_be_reopened_nor_a_closed_one_closed(trial, raised):
    with pytest.raises(Conflict):
        services.query_reopen(actor=trial.monitor, query=raised, text="?")
    services.query_close(actor=trial.monitor, query=raised)
    with pytest.raises(Conflict):
        services.query_close(actor=trial.monitor, query=raised)


def test_comments_keep_the_state_and_stop_when_closed(trial, raised):
    services.query_comment(actor=trial.coordinator, query=raised, text="Looking for the paper form.")
    services.query_comment(actor=trial.monitor, query=raised, text="Thanks.")
    assert Query.objects.get(pk=raised.pk).state == "open"
    with pytest.raises(Forbidden):
        services.query_comment(actor=trial.pharmacist, query=raised, text="!")
    services.query_close(actor=trial.monitor, query=raised)
    with pytest.raises(Conflict):
        services.query_comment(actor=trial.coordinator, query=raised, text="Late.")


def test_correcting_the_item_with_a_reason_answers_the_query_with_it(trial, raised):
    day = _day(trial)
    whole = services.query_raise(actor=trial.data_manager, kind="drinking_day", record_id=day.pk, text="Check all.")
    other = services.query_raise(actor=trial.monitor, kind="drinking_day", record_id=day.pk, item="unit", text="?")
    drinking_days_record(
        actor=trial.coordinator,
        participant=trial.participant,
        days=[DayEntry(day=day.day, amount=day.amount + 4, unit=day.unit, reason="the source says 4 units")],
        visit_code=day.visit_code,
    )
    for query in (raised, whole):
        query.refresh_from_db()
        assert query.state == "answered"
        last = query.messages.last()
        assert (last.action, last.text, last.author) == ("corrected", "the source says 4 units", trial.coordinator)
    other.refresh_from_db()
    assert other.state == "open"  # the unit did not change


def test_a_corrected_visit_date_answers_the_query_on_it(trial):
    visit = Visit.objects.filter(appointment__participant=trial.participant, attended=True).first()
    query = services.query_raise(actor=trial.monitor, kind="visit", record_id=visit.pk, item="actual_date", text="?")
    schedule.visit_update(
        actor=trial.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    query.refresh_from_db()
    assert query.state == "answered"
    assert query.messages.last().text == "typo"


def test_an_automatic_query_is_raised_once_while_unfinished(trial):
    record = record_of(_day(trial))
    first = services.query_raise_automatic(record=record, item="grams", check="range", text="Too much.")
    assert first is not None
    assert first.raised_by is None
    assert services.query_raise_automatic(record=record, item="grams", check="range", text="Too much.") is None
    services.query_answer(actor=trial.coordinator, query=first, text="Right.")
    assert services.query_raise_automatic(record=record, item="grams", check="range", text="Too much.") is None
    services.query_close(actor=trial.data_manager, query=first)
    assert services.query_raise_automatic(record=record, item="grams", check="range", text="Too much.") is not None


def test_the_database_refuses_a_second_unfinished_automatic_query(trial):
    record = record_of(_day(trial))
    query = services.query_raise_automatic(record=record, item="grams", check="range", text="Too much.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Query.objects.create(
            trial=query.trial,
            site=query.site,
            participant=query.participant,
            kind=query.kind,
            record_id=query.record_id,
            item="grams",
            check_code="range",
            created_at=query.created_at,
        )


def test_only_a_data_manager_closes_an_edit_checks_query(trial):
    query = services.query_raise_automatic(record=record_of(_day(trial)), item="grams", check="range", text="!")
    for refused in (trial.monitor, trial.coordinator):
        with pytest.raises(Forbidden):
            services.query_close(actor=refused, query=query)
    assert services.query_close(actor=trial.data_manager, query=query).state == "closed"


def test_reopening_where_the_check_has_raised_again_is_a_conflict(trial):
    record = record_of(_day(trial))
    first = services.query_raise_automatic(record=record, item="grams", check="range", text="!")
    services.query_close(actor=trial.data_manager, query=first)
    services.query_raise_automatic(record=record, item="grams", check="range", text="!")
    with pytest.raises(Conflict):
        services.query_reopen(actor=trial.data_manager, query=first, text="again")
    assert Query.objects.get(pk=first.pk).state == "closed"


def test_another_sites_query_is_not_found(trial, raised):
    with pytest.raises(NotFound):
        selectors.query_get(user=trial.london_coordinator, pk=raised.pk)
    assert selectors.queries_list(user=trial.london_coordinator) == []
    assert [q.pk for q in selectors.queries_list(user=trial.coordinator)] == [raised.pk]


def test_a_query_on_a_dose_is_absent_for_a_blinded_coordinator(trial):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    on_dose = services.query_raise(
        actor=trial.data_manager, kind="infusion", record_id=infusion.pk, item="volume_ml", text="Volume?"
    )
    # In KARE nobody who raises queries sees the drug: the query on the dose is written as the
    # database would hold one raised by a data manager who does.
    hidden = Query.objects.create(
        trial=on_dose.trial,
        site=on_dose.site,
        participant=on_dose.participant,
        kind="infusion",
        record_id=infusion.pk,
        item="dose_mg",
        raised_by=trial.data_manager,
        created_at=on_dose.created_at,
    )
    shown = [q.pk for q in selectors.queries_list(user=trial.coordinator)]
    assert on_dose.pk in shown
    assert hidden.pk not in shown
    with pytest.raises(NotFound):
        selectors.query_get(user=trial.coordinator, pk=hidden.pk)
    assert selectors.query_get(user=trial.pharmacist, pk=hidden.pk) == hidden


def test_a_blinded_raiser_cannot_raise_on_the_dose(trial):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    with pytest.raises(Invalid):
        services.query_raise(actor=trial.monitor, kind="infusion", record_id=infusion.pk, item="dose_mg", text="?")


@pytest.mark.postgres
def test_the_thread_is_append_only(trial, raised):
    message = raised.messages.get()
    with pytest.raises(Exception, match="append"), transaction.atomic():
        QueryMessage.objects.filter(pk=message.pk).update(text="rewritten")
    with pytest.raises(Exception, match="append"), transaction.atomic():
        QueryMessage.objects.filter(pk=message.pk).delete()


def test_the_dashboards_oldest_open_queries_skip_hidden_ones_past_the_first_page(trial):
    infusion = InfusionSession.objects.filter(visit__appointment__participant=trial.participant).first()
    on_volume = services.query_raise(
        actor=trial.data_manager, kind="infusion", record_id=infusion.pk, item="volume_ml", text="?"
    )
    for _ in range(2):  # the two oldest are on the dose, hidden from the coordinator
        hidden = Query.objects.get(pk=on_volume.pk)
        hidden.pk, hidden.item = None, "dose_mg"
        hidden.created_at -= dt.timedelta(days=1)
        hidden.save()
    visible = [on_volume.pk, _raised_on_day(trial).pk]
    assert [q.pk for q in selectors.open_queries(user=trial.coordinator, limit=2)] == visible
    assert len(selectors.open_queries(user=trial.pharmacist, limit=None)) == 4


def _raised_on_day(trial):
    return services.query_raise(actor=trial.monitor, kind="drinking_day", record_id=_day(trial).pk, text="?")


def test_locked_data_are_asked_nothing_more_but_a_query_may_still_be_closed(trial, raised):
    from participants.locks import services as locks

    answered = services.query_raise(
        actor=trial.monitor, kind="drinking_day", record_id=raised.record_id, item="amount", text="And the amount?"
    )
    services.query_answer(actor=trial.coordinator, query=answered, text="Checked: as entered.")
    locks.data_lock(actor=trial.data_manager, trial=trial.kare, participant=trial.participant, reason="final SDV done")
    messages_before = QueryMessage.objects.count()
    with pytest.raises(Conflict, match="locked"):
        services.query_raise(actor=trial.monitor, kind="drinking_day", record_id=raised.record_id, text="One more?")
    with pytest.raises(Conflict, match="locked"):
        services.query_answer(actor=trial.coordinator, query=raised, text="As in the source.")
    with pytest.raises(Conflict, match="locked"):
        services.query_comment(actor=trial.monitor, query=raised, text="Still open?")
    with pytest.raises(Conflict, match="locked"):
        services.query_reopen(actor=trial.monitor, query=answered, text="Look again.")
    assert QueryMessage.objects.count() == messages_before
    services.query_close(actor=trial.monitor, query=answered, text="Fine.")
    assert Query.objects.get(pk=answered.pk).state == "closed"
    record = record_of(_day(trial))
    assert services.query_raise_automatic(record=record, item="grams", check="out_of_range", text="Too much") is None
