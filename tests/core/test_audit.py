"""The audit trail: on PostgreSQL every change to protocol data leaves an append-only event naming
who and why; on SQLite the audit context does nothing and a system check says the trail is off."""

from __future__ import annotations

import copy
import datetime as dt
import io
from pathlib import Path

import pgtrigger
import pytest
import yaml
from django.apps import apps
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from pghistory.models import Context, Event

from core import audit
from core.history import event_model_for
from core.models import RoleDefinition, SiteMembership
from core.roles import Role
from trials.models import ProtocolVersion, Site, Trial

ROOT = Path(__file__).resolve().parents[2]
KARE_FILE = ROOT / "protocols" / "kare.yaml"
_KARE = yaml.safe_load(KARE_FILE.read_text(encoding="utf-8"))

sqlite_only = pytest.mark.sqlite  # the behaviour without an audit trail
# A real commit per service call, as in production (the roles written by migration are restored by
# tests/conftest.py after the flush).
committing = pytest.mark.django_db(transaction=True)


@pytest.fixture
def manager(django_user_model):
    return django_user_model.objects.create_user("manager", password="correct-horse-battery")


@pytest.fixture
def amend(tmp_path):
    """``amend(change, reason)``: load kare.yaml changed by ``change(doc)`` as version 1.1 as the manager."""

    def run(change, reason: str) -> None:
        doc = copy.deepcopy(_KARE)
        doc["version"] = {"label": "1.1", "effective_date": dt.date(2017, 1, 1)}
        change(doc)
        path = tmp_path / "kare-1.1.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        call_command(
            "load_protocol",
            str(path),
            "--amend",
            "--reason",
            reason,
            "--as",
            "manager",
            stdin=io.StringIO("correct-horse-battery\n"),
            stdout=io.StringIO(),
        )

    return run


def _load_kare_as_manager() -> None:
    call_command(
        "load_protocol",
        str(KARE_FILE),
        "--as",
        "manager",
        stdin=io.StringIO("correct-horse-battery\n"),
        stdout=io.StringIO(),
    )


def test_event_model_is_found_for_a_tracked_model():
    SiteEvent = event_model_for(Site)

    assert SiteEvent is not None
    assert SiteEvent.pgh_tracked_model is Site


def test_no_event_model_for_an_untracked_model():
    assert event_model_for(RoleDefinition) is None


# --- PostgreSQL: events with who and why ------------------------------------------------------


@pytest.mark.postgres
@committing
def test_creating_protocol_data_records_insert_events_with_actor_and_reason(manager):
    _load_kare_as_manager()

    events = list(event_model_for(Site).objects.filter(pgh_label="insert").select_related("pgh_context"))
    assert sorted(event.code for event in events) == ["exeter", "london"]
    for event in events:
        assert event.pgh_context.metadata["user"] == manager.pk
        assert event.pgh_context.metadata["username"] == "manager"
        assert event.pgh_context.metadata["reason"] == "initial protocol version"


@pytest.mark.postgres
@committing
def test_changing_protocol_data_records_update_events_with_the_reason(manager, amend):
    _load_kare_as_manager()

    amend(lambda doc: doc["trial"].update(title="KARE, renamed"), "the sponsor renamed the trial")

    [event] = event_model_for(Trial).objects.filter(pgh_label="update").select_related("pgh_context")
    assert event.title == "KARE, renamed"
    assert event.pgh_context.metadata["reason"] == "the sponsor renamed the trial"
    assert event.pgh_context.metadata["user"] == manager.pk


@pytest.mark.postgres
@committing
def test_deleting_protocol_data_records_delete_events_with_the_reason(manager, amend):
    _load_kare_as_manager()
    london = Site.objects.get(code="london")

    amend(lambda doc: doc["sites"].pop(1), "London closed")

    [event] = event_model_for(Site).objects.filter(pgh_label="delete").select_related("pgh_context")
    assert (event.pgh_obj_id, event.code) == (london.pk, "london")
    assert event.pgh_context.metadata["reason"] == "London closed"
    assert event.pgh_context.metadata["username"] == "manager"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_refused_amendment_leaves_no_events(manager, amend):
    _load_kare_as_manager()
    SiteEvent = event_model_for(Site)
    before = SiteEvent.objects.count()

    with pytest.raises(CommandError, match="before version 1 did"):
        amend(
            lambda doc: (doc["sites"].pop(1), doc["version"].update(effective_date=dt.date(2015, 1, 1))),
            "backdated",
        )

    assert SiteEvent.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_writes_through_the_api_are_audited_with_the_requesting_user(kare, make_user, as_user):
    admin = make_user(Role.ADMINISTRATOR, kare, username="admin")

    response = as_user(admin).post(
        "/api/users/", {"username": "carol", "role": "investigator", "trial": "KARE", "sites": ["exeter"]}
    )

    assert response.status_code == 201
    [event] = event_model_for(SiteMembership).objects.filter(user_id=response.json()["id"])
    assert event.pgh_context.metadata["user"] == admin.pk
    assert event.pgh_context.metadata["url"] == "/api/users/"
    assert event.pgh_context.metadata["reason"] == "added through the API"


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_nested_audit_context_that_only_adds_shares_the_context_row(kare):
    with audit.context(actor=None, source="import"):
        Site.objects.create(trial=kare, code="bath", name="Bath")
        with audit.context(reason="inner"):
            Site.objects.create(trial=kare, code="bristol", name="Bristol")

    events = event_model_for(Site).objects.filter(code__in=["bath", "bristol"])
    assert len({event.pgh_context_id for event in events}) == 1
    assert events[0].pgh_context.metadata == {"source": "import", "reason": "inner"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_nested_context_with_another_reason_never_rewrites_the_reason_of_what_came_before(kare, make_user):
    """Two services in one request, each with its reason: each event keeps the reason it was made
    for (pghistory alone would write the second reason over the first's context row)."""
    someone = make_user("coordinator", kare)
    with audit.context(actor=someone, reason="outer"):
        Site.objects.create(trial=kare, code="bath", name="Bath")
        with audit.context(actor=someone, reason="inner"):
            Site.objects.create(trial=kare, code="bristol", name="Bristol")
        Site.objects.create(trial=kare, code="cardiff", name="Cardiff")

    reasons = {
        e.code: (e.pgh_context.metadata["reason"], e.pgh_context.metadata["username"])
        for e in event_model_for(Site)
        .objects.filter(code__in=["bath", "bristol", "cardiff"])
        .select_related("pgh_context")
    }
    assert reasons == {
        "bath": ("outer", someone.username),
        "bristol": ("inner", someone.username),
        "cardiff": ("outer", someone.username),
    }


def _context_update(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE pghistory_context SET metadata = jsonb_set(metadata, '{reason}', '\"forged\"') WHERE id = %s",
        "UPDATE pghistory_context SET metadata = metadata - 'reason' WHERE id = %s",
        "UPDATE pghistory_context SET created_at = created_at - interval '1 day' WHERE id = %s",
    ],
    ids=["rewrite-reason", "remove-reason", "backdate"],
)
def test_the_database_keeps_an_audit_contexts_attribution(kare, statement):
    with audit.context(actor=None, reason="the true reason"):
        Site.objects.create(trial=kare, code="bath", name="Bath")
    context = event_model_for(Site).objects.get(code="bath").pgh_context
    with pytest.raises(DatabaseError, match="audit context"):
        _context_update(statement, [str(context.pk)])
    context.refresh_from_db()
    assert context.metadata["reason"] == "the true reason"


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_lets_an_audit_context_grow(kare):
    with audit.context(actor=None, reason="the true reason"):
        Site.objects.create(trial=kare, code="bath", name="Bath")
    context = event_model_for(Site).objects.get(code="bath").pgh_context
    _context_update(
        'UPDATE pghistory_context SET metadata = metadata || \'{"task": "later"}\' WHERE id = %s', [str(context.pk)]
    )
    context.refresh_from_db()
    assert context.metadata == {"reason": "the true reason", "task": "later"}


# --- PostgreSQL: the trail is append-only ------------------------------------------------------


def _refused(sql: str, params=(), *, table: str) -> None:
    """The statement is refused by the trigger guarding ``table``; the test's transaction survives."""
    with (
        pytest.raises(DatabaseError, match=f"Cannot update or delete rows from {table} "),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("model", [Site, Trial], ids=["site", "trial"])
def test_event_table_refuses_update(kare, model):
    table = event_model_for(model)._meta.db_table

    _refused(f"UPDATE {table} SET pgh_label = 'forged'", table=table)

    assert not event_model_for(model).objects.filter(pgh_label="forged").exists()


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("model", [Site, Trial], ids=["site", "trial"])
def test_event_table_refuses_delete(kare, model):
    event_model = event_model_for(model)
    before = event_model.objects.count()

    _refused(f"DELETE FROM {event_model._meta.db_table}", table=event_model._meta.db_table)

    assert before > 0
    assert event_model.objects.count() == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_protocol_version_refuses_update(kare):
    _refused(f"UPDATE {ProtocolVersion._meta.db_table} SET reason = 'rewritten'", table=ProtocolVersion._meta.db_table)

    assert ProtocolVersion.objects.get(trial=kare).reason == ""


@pytest.mark.postgres
@pytest.mark.django_db
def test_protocol_version_refuses_delete(kare):
    _refused(f"DELETE FROM {ProtocolVersion._meta.db_table}", table=ProtocolVersion._meta.db_table)

    assert ProtocolVersion.objects.filter(trial=kare).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_protocol_version_refuses_an_orm_save(kare):
    version = ProtocolVersion.objects.get(trial=kare)
    version.label = "changed"

    with (
        pytest.raises(DatabaseError, match=f"Cannot update or delete rows from {ProtocolVersion._meta.db_table} "),
        transaction.atomic(),
    ):
        version.save()

    assert ProtocolVersion.objects.get(trial=kare).label == "1.0"


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_event_table_has_its_append_only_trigger_installed():
    """Other tests write to a few event tables and see the write refused; this one checks that no
    event table of any app is left without the trigger that refuses it, installed and enabled."""
    event_models = [model for model in apps.get_models() if issubclass(model, Event)]
    unprotected = {}
    for model in event_models:
        found = pgtrigger.registered(f"{model._meta.label}:append_only")
        if not found:
            unprotected[model._meta.label] = "no append_only trigger"
            continue
        ((_, trigger),) = found
        status = trigger.get_installation_status(model)
        if status != ("INSTALLED", True) or str(trigger.operation) != str(pgtrigger.Update | pgtrigger.Delete):
            unprotected[model._meta.label] = f"{status}, on {trigger.operation}"

    assert {model._meta.app_label for model in event_models} >= {"trials", "participants", "outcomes", "reminders"}
    assert unprotected == {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_audit_trail_check_is_silent_on_postgresql():
    ids = [message.id for message in run_checks(databases=["default"])]

    assert "trialtracker.W001" not in ids


# --- SQLite: no trail, and a warning saying so ---------------------------------------------------


@sqlite_only
@pytest.mark.django_db
def test_audit_context_is_a_no_op_on_sqlite(kare, django_user_model):
    actor = django_user_model.objects.create_user("manager", password="correct-horse-battery")

    with audit.context(actor=actor, reason="no trail here"):
        Site.objects.create(trial=kare, code="bath", name="Bath")

    assert Site.objects.filter(code="bath").exists()
    assert not audit.enabled()
    assert not Context.objects.exists()


@sqlite_only
@pytest.mark.django_db
def test_check_command_warns_that_the_audit_trail_is_off_on_sqlite():
    err = io.StringIO()

    call_command("check", databases=["default"], stdout=io.StringIO(), stderr=err)

    assert "trialtracker.W001" in err.getvalue()
    assert "The audit trail is off" in err.getvalue()


@sqlite_only
@pytest.mark.django_db
def test_audit_trail_check_warns_on_sqlite():
    [warning] = [m for m in run_checks(databases=["default"]) if m.id == "trialtracker.W001"]

    assert "sqlite" in warning.msg


@pytest.mark.postgres
@pytest.mark.django_db
def test_events_of_one_transaction_come_out_in_the_order_they_happened():
    from core.history import events_for

    with transaction.atomic(), audit.context(reason="renamed many times"):  # one transaction: one time
        trial = Trial.objects.create(code="T", title="title 0", sponsor="s")
        for n in range(1, 12):
            trial.title = f"title {n}"
            trial.save(update_fields=["title"])
    events = events_for([(Trial, Q(pgh_obj_id=trial.pk))])
    assert len({e["at"] for e in events}) == 1
    assert [e["label"] for e in events] == ["insert"] + ["update"] * 11
    assert [e["values"]["title"] for e in events] == [f"title {n}" for n in range(12)]
