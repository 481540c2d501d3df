"""The pages of data queries: raising one from the casebook, the site's answer and its refusal to
close, the dashboard's and the casebook's lists, another site's query a 404, and the trial page's
counts by site and age with the median days to close."""

from __future__ import annotations

import datetime as dt

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
