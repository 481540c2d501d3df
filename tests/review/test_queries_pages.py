"""The pages of data queries: raising one from the casebook, the site's answer and its refusal to
close, the dashboard's and the casebook's lists, another site's query a 404, the trial page's
counts by site and age with the median days to close, and the query page's link to the page its
record is corrected on."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from outcomes.models import DrinkingRecord
from review.models import Query
from review.queries import selectors, services
from review.records import record_of
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


def _day(trial) -> DrinkingRecord:
    return DrinkingRecord.objects.filter(participant=trial.participant).order_by("day").first()


def _as(client, user):
    force_login_verified(client, user)
    return client


def _raised(trial) -> Query:
    return services.query_raise(
        actor=trial.monitor, kind="drinking_day", record_id=_day(trial).pk, item="grams", text="4 units?"
    )


def test_the_casebook_offers_a_monitor_to_raise_a_query_and_the_site_none(client, trial):
    casebook = f"/participants/{trial.participant.study_id}/"
    link = f"/queries/new/?kind=drinking_day&amp;record={_day(trial).pk}"
    assert link in _as(client, trial.monitor).get(casebook).content.decode()
    assert link not in _as(client, trial.coordinator).get(casebook).content.decode()


def test_a_monitor_raises_a_query_picking_the_item(client, trial):
    page = _as(client, trial.monitor)
    url = f"/queries/new/?kind=drinking_day&record={_day(trial).pk}"
    form = page.get(url)
    assert form.status_code == 200
    assert 'value="grams"' in form.content.decode()
    empty = page.post(url, {"item": "grams", "text": ""})
    assert empty.status_code == 400
    assert not Query.objects.exists()
    done = page.post(url, {"item": "grams", "text": "The diary says 4 units."})
    query = Query.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/queries/{query.pk}/"
    assert (query.item, query.raised_by) == ("grams", trial.monitor)


def test_the_raise_form_is_refused_to_the_site(client, trial):
    assert (
        _as(client, trial.coordinator).get(f"/queries/new/?kind=drinking_day&record={_day(trial).pk}").status_code
        == 403
    )


def test_the_site_answers_on_the_page_and_is_refused_closing(client, trial):
    query = _raised(trial)
    page = _as(client, trial.coordinator)
    shown = page.get(f"/queries/{query.pk}/").content.decode()
    assert "Answer the query" in shown
    assert "Close the query" not in shown
    assert page.post(f"/queries/{query.pk}/", {"action": "answer", "answer-text": "0 is right."}).status_code == 302
    refused = page.post(f"/queries/{query.pk}/", {"action": "close", "close-text": "Closing it ourselves."})
    assert refused.status_code == 403
    assert Query.objects.get(pk=query.pk).state == "answered"


def test_the_raiser_closes_on_the_page(client, trial):
    query = _raised(trial)
    services.query_answer(actor=trial.coordinator, query=query, text="Fixed.")
    page = _as(client, trial.monitor)
    assert "Close the query" in page.get(f"/queries/{query.pk}/").content.decode()
    assert page.post(f"/queries/{query.pk}/", {"action": "close", "close-text": ""}).status_code == 302
    assert Query.objects.get(pk=query.pk).state == "closed"


def test_a_query_on_a_day_cleared_back_to_missing_is_answered_and_closed_on_its_page(client, trial):
    from outcomes.services import drinking_days_record

    query = _raised(trial)
    day = _day(trial)
    drinking_days_record(
        actor=trial.coordinator, participant=trial.participant, days=[], clear=[day.day], source=day.source,
        reason="the participant was in hospital that day",
    )  # fmt: skip
    query.refresh_from_db()
    assert query.state == "answered"
    assert query.messages.last().text == "the participant was in hospital that day"
    page = _as(client, trial.monitor)
    html = page.get(f"/queries/{query.pk}/").content.decode()
    assert "The record is no longer there" in html
    assert page.post(f"/queries/{query.pk}/", {"action": "close", "close-text": ""}).status_code == 302
    assert Query.objects.get(pk=query.pk).state == "closed"


def test_another_sites_query_page_is_404(client, trial):
    query = _raised(trial)
    assert _as(client, trial.london_coordinator).get(f"/queries/{query.pk}/").status_code == 404


def test_the_dashboard_casebook_and_list_show_the_open_query(client, trial):
    query = _raised(trial)
    page = _as(client, trial.coordinator)
    link = f'href="/queries/{query.pk}/"'
    assert link in page.get("/").content.decode()
    assert link in page.get(f"/participants/{trial.participant.study_id}/").content.decode()
    assert link in page.get("/queries/").content.decode()
    assert link not in page.get("/queries/?state=closed").content.decode()


def test_the_dashboard_shows_the_raiser_their_answered_queries_to_review(client, trial):
    query = _raised(trial)
    link = f'href="/queries/{query.pk}/"'
    monitor = _as(client, trial.monitor)
    assert "Answered, awaiting your review" not in monitor.get("/").content.decode()

    services.query_answer(actor=trial.coordinator, query=query, text="Checked the source: 4 units.")

    html = monitor.get("/").content.decode()
    review = html[html.index("Answered, awaiting your review") :]
    assert link in review[: review.index("All data queries")]
    assert selectors.answered_queries(user=trial.data_manager) == []  # not theirs to close
    assert "Answered, awaiting your review" not in _as(client, trial.coordinator).get("/").content.decode()


def _aged(trial, *, days: int, closed_after: int | None = None) -> Query:
    query = (
        _raised(trial)
        if closed_after is None
        else services.query_raise_automatic(
            record=record_of(_day(trial)),
            item="grams",
            check=f"aged-{days}",
            text="!",
        )
    )
    created = timezone.now() - dt.timedelta(days=days, hours=1)
    closed = created + dt.timedelta(days=closed_after) if closed_after is not None else None
    Query.objects.filter(pk=query.pk).update(created_at=created, state="closed" if closed else "open", closed_at=closed)
    return query


def test_the_trial_page_counts_queries_by_site_and_age_and_the_median_days_to_close(client, trial):
    for days in (0, 3, 7, 8, 30, 31, 90):
        _aged(trial, days=days)
    for days, took in ((20, 2), (21, 4), (22, 9)):
        _aged(trial, days=days, closed_after=took)
    metrics = selectors.query_metrics(user=trial.data_manager, trial=trial.kare)
    [exeter] = metrics.sites
    assert (exeter.site, exeter.bands, exeter.total) == ("Exeter", (3, 2, 2), 7)
    assert (metrics.closed, metrics.median_days_to_close) == (3, 4.0)
    shown = _as(client, trial.data_manager).get("/trials/KARE/").content.decode()
    assert "in a median of 4.0 days" in shown


def _record_link(html: str) -> str:
    """The address of the query page's link to the record's own page ("" when it has none)."""
    found = re.search(r'<a href="([^"]+)">Open the record on its page</a>', html)
    return found.group(1).replace("&amp;", "&") if found else ""


def test_a_query_on_a_drinking_day_links_the_site_to_the_calendar_at_that_day(client, trial):
    query = _raised(trial)
    day = _day(trial).day
    page = _as(client, trial.coordinator)
    html = page.get(f"/queries/{query.pk}/").content.decode()
    link = _record_link(html)
    assert link.startswith(f"/participants/{trial.participant.study_id}/drinking/?")
    assert "correcting it there, with a reason, answers this query" in html
    calendar = page.get(link)
    assert calendar.status_code == 200
    assert f'name="day-{day.isoformat()}"' in calendar.content.decode()


def test_a_query_on_a_breathalyser_day_links_no_calendar(client, trial):
    from decimal import Decimal

    from core.clock import today_at
    from outcomes.services import DayEntry, drinking_days_record

    yesterday = today_at(trial.participant.site) - dt.timedelta(days=1)
    [day] = drinking_days_record(
        actor=trial.coordinator,
        participant=trial.participant,
        days=[DayEntry(day=yesterday, amount=Decimal(0), unit="g")],
        source="breathalyser",
    )
    query = services.query_raise(actor=trial.monitor, kind="drinking_day", record_id=day.pk, text="Reading?")
    assert _record_link(_as(client, trial.coordinator).get(f"/queries/{query.pk}/").content.decode()) == ""


@pytest.mark.parametrize("kind", ["visit", "infusion", "session"])
def test_a_query_on_a_visits_record_links_the_page_it_is_corrected_on(client, trial, kind):
    from participants.models import InfusionSession, TherapySession, Visit

    model = {"visit": Visit, "infusion": InfusionSession, "session": TherapySession}[kind]
    participant = "appointment__participant" if kind == "visit" else "visit__appointment__participant"
    record = model.objects.filter(**{participant: trial.participant}).first()
    query = services.query_raise(actor=trial.monitor, kind=kind, record_id=record.pk, text="Check the source.")
    page = _as(client, trial.coordinator)
    link = _record_link(page.get(f"/queries/{query.pk}/").content.decode())
    appointment = record.appointment_id if kind == "visit" else record.visit.appointment_id
    assert link.startswith(f"/appointments/{appointment}/")
    assert page.get(link).status_code == 200


def test_a_query_on_an_adverse_event_links_its_page(client, trial):
    from participants.safety.services import adverse_event_record

    ae = adverse_event_record(
        actor=trial.coordinator,
        participant=trial.participant,
        term="Nausea",
        onset_date=trial.participant.allocation.allocated_on,
        grade=1,
        drug_causality="unlikely",
        therapy_causality="not_related",
        expected=True,
    )
    query = services.query_raise(actor=trial.monitor, kind="adverse_event", record_id=ae.pk, text="Grade?")
    page = _as(client, trial.coordinator)
    link = _record_link(page.get(f"/queries/{query.pk}/").content.decode())
    assert link == f"/adverse-events/{ae.pk}/"
    assert page.get(link).status_code == 200


def test_a_query_on_a_record_without_a_page_of_its_own_links_none(client, trial):
    from participants.models import Allocation

    allocation = Allocation.objects.get(participant=trial.participant)
    query = services.query_raise(actor=trial.monitor, kind="randomisation", record_id=allocation.pk, text="Date?")
    html = _as(client, trial.monitor).get(f"/queries/{query.pk}/").content.decode()
    assert _record_link(html) == ""
