"""The records under review: every kind registered by the apps covers every clinical field of its
model; a record is read only at the user's sites; its fingerprint changes with its content and
nothing else, fits no other record, and is keyed; a blinded reader is never given a hidden item;
and a correction made through a service is announced to the review with its items and reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from core.errors import NotFound
from participants.models import InfusionSession, Visit
from participants.schedule import services as schedule
from review import changes
from review.records import fingerprint, fingerprint_of_many, kind_of, kinds, record_get, record_of, records_of

pytestmark = pytest.mark.django_db

# Columns that say who typed a record and when, or which record it hangs from: not its content.
BOOKKEEPING = {
    "id",
    "participant",
    "visit",
    "appointment",
    "trial",
    "site",
    "screening",
    "protocol_version",
    "number",
    "study_id",
    "created_at",
    "updated_at",
    "entered_at",
    "allocated_at",
    "recorded_by",
    "entered_by",
    "created_by",
    "enrolled_by",
    "allocated_by",
    "change_reason",
    "entered_by_participant",
}


@pytest.fixture
def trial_in_progress(kare):
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=11)
    staff = simulation.add_staff()
    people = simulation.recruit(6)
    simulation.follow(people)
    exeter, london = (kare.sites.get(code=code) for code in ("exeter", "london"))
    return {"people": people, "exeter": staff.coordinators[exeter.pk], "london": staff.coordinators[london.pk]}


def test_the_apps_register_every_kind_of_record_under_review():
    assert [k.code for k in kinds()] == [
        "adverse_event",
        "baseline",
        "biomarker",
        "consent",
        "drinking_day",
        "infusion",
        "questionnaire",
        "randomisation",
        "screening",
        "session",
        "visit",
        "withdrawal",
    ]


@pytest.mark.parametrize("kind", [k.code for k in kinds()])
def test_each_kind_names_every_clinical_field_of_its_model(kind):
    found = kind_of(kind)
    fields = {f.name for f in found.model._meta.concrete_fields} - BOOKKEEPING - set(found.derived)
    assert {item.name for item in found.items} == fields


def test_an_unknown_kind_is_not_found():
    with pytest.raises(NotFound):
        kind_of("password")


def test_a_record_is_read_only_at_the_users_sites(trial_in_progress):
    at_exeter = next(p for p in trial_in_progress["people"] if p.site.code == "exeter")
    visit = Visit.objects.filter(appointment__participant=at_exeter).first()
    record = record_get(user=trial_in_progress["exeter"], kind="visit", pk=visit.pk)
    assert (record.participant, record.obj) == (at_exeter, visit)
    with pytest.raises(NotFound):
        record_get(user=trial_in_progress["london"], kind="visit", pk=visit.pk)
    with pytest.raises(NotFound):
        record_get(user=trial_in_progress["exeter"], kind="infusion", pk=visit.pk + 10_000)


def test_a_participants_records_are_gathered_kind_by_kind(trial_in_progress):
    participant = trial_in_progress["people"][0]
    gathered = records_of(participant=participant)
    codes = {r.kind.code for r in gathered}
    assert {"baseline", "consent", "randomisation", "visit", "drinking_day"} <= codes
    assert all(r.participant == participant for r in gathered)
    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    at_visit = records_of(participant=participant, appointment=visit.appointment)
    assert visit in [r.obj for r in at_visit]
    assert {r.kind.code for r in at_visit} <= {"visit", "infusion", "session"}


def test_a_fingerprint_follows_the_content_and_fits_no_other_record(trial_in_progress, kare):
    participant = trial_in_progress["people"][0]
    first, second = Visit.objects.filter(appointment__participant=participant, attended=True)[:2]
    before = fingerprint(record_of(first))
    assert fingerprint(record_of(Visit.objects.get(pk=first.pk))) == before  # read again: the same
    assert fingerprint(record_of(second)) != before
    casebook = fingerprint_of_many(records_of(participant=participant))
    assert fingerprint_of_many(reversed(records_of(participant=participant))) == casebook

    corrected = schedule.visit_update(
        actor=trial_in_progress["exeter"] if participant.site.code == "exeter" else trial_in_progress["london"],
        visit=first,
        actual_date=first.actual_date - dt.timedelta(days=1),
        reason="the date was typed wrong",
    )
    assert fingerprint(record_of(corrected)) != before
    assert fingerprint(record_of(corrected), items=["attended"]) == fingerprint(record_of(first), items=["attended"])
    assert fingerprint_of_many(records_of(participant=participant)) != casebook


def test_a_fingerprint_is_keyed_so_a_hidden_value_cannot_be_guessed_from_it(trial_in_progress):
    infusion = InfusionSession.objects.first()
    digest = fingerprint(record_of(infusion))
    with override_settings(SECRET_KEY="another-key-" + "x" * 50):
        assert fingerprint(record_of(infusion)) != digest


def test_a_blinded_reader_is_never_given_the_dose_and_one_who_may_see_the_drug_is(trial_in_progress, make_user, kare):
    infusion = InfusionSession.objects.select_related("visit__appointment__participant").first()
    participant = infusion.visit.appointment.participant
    coordinator = trial_in_progress[participant.site.code]
    blinded = record_get(user=coordinator, kind="infusion", pk=infusion.pk)
    assert {"mg_per_kg", "dose_mg", "dose_mg_given"} <= blinded.hidden(coordinator)
    assert blinded.shown_value("dose_mg", coordinator) == "(hidden)"
    assert blinded.shown_value("volume_ml", coordinator) != "(hidden)"
    pharmacist = make_user("pharmacist", kare)
    seen = record_get(user=pharmacist, kind="infusion", pk=infusion.pk)
    assert seen.hidden(pharmacist) == frozenset()
    assert seen.shown_value("dose_mg", pharmacist) == format(infusion.dose_mg.normalize(), "f")
    allocation = record_get(user=coordinator, kind="randomisation", pk=participant.allocation.pk)
    assert {"arm", "slot"} <= allocation.hidden(coordinator)


def test_a_correction_is_announced_with_its_items_and_reason(trial_in_progress):
    heard = []

    def listener(**kwargs):
        heard.append(kwargs)

    changes.subscribe(listener)
    try:
        participant = trial_in_progress["people"][0]
        visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
        coordinator = trial_in_progress[participant.site.code]
        schedule.visit_update(
            actor=coordinator, visit=visit, actual_date=visit.actual_date, reason="nothing changes"
        )  # the same date: no correction, nothing announced
        assert heard == []
        schedule.visit_update(
            actor=coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
        )
    finally:
        changes.unsubscribe(listener)
    assert len(heard) == 1
    assert heard[0]["record"].obj == visit
    assert (heard[0]["items"], heard[0]["actor"], heard[0]["reason"]) == (
        frozenset({"actual_date"}),
        coordinator,
        "typo",
    )


@pytest.fixture
def heard():
    told = []

    def listener(**kwargs):
        told.append(kwargs)

    changes.subscribe(listener)
    yield told
    changes.unsubscribe(listener)


def test_an_infusion_corrected_is_announced_with_the_values_and_the_vitals_it_changed(trial_in_progress, heard):
    infusion = InfusionSession.objects.select_related("visit__appointment__participant__site").first()
    coordinator = trial_in_progress[infusion.visit.appointment.participant.site.code]
    schedule.infusion_update(actor=coordinator, infusion=infusion, reason="misread the pump", volume_ml=Decimal("48.0"))
    assert [(h["record"].obj.pk, h["items"], h["reason"]) for h in heard] == [
        (infusion.pk, frozenset({"volume_ml"}), "misread the pump")
    ]


def test_a_session_corrected_is_announced(trial_in_progress, heard):
    from participants.models import TherapySession

    session = (
        TherapySession.objects.select_related("visit__appointment__participant__site").filter(attended=True).first()
    )
    coordinator = trial_in_progress[session.visit.appointment.participant.site.code]
    schedule.session_update(actor=coordinator, session=session, reason="ran long", minutes=session.minutes + 5)
    assert [(h["record"].obj.pk, h["items"]) for h in heard] == [(session.pk, frozenset({"minutes"}))]


def test_a_drinking_day_cleared_is_announced_before_it_goes(trial_in_progress, heard):
    from outcomes.models import DrinkingRecord
    from outcomes.services import drinking_days_record

    record = DrinkingRecord.objects.select_related("participant__site").filter(source="tlfb").first()
    coordinator = trial_in_progress[record.participant.site.code]
    drinking_days_record(
        actor=coordinator, participant=record.participant, days=[], clear=[record.day], reason="not the participant's"
    )
    assert [(h["record"].kind.code, h["record"].pk, h["items"]) for h in heard] == [
        ("drinking_day", record.pk, frozenset({"amount", "unit", "grams"}))
    ]
    assert not DrinkingRecord.objects.filter(pk=record.pk).exists()
