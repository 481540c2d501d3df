"""Investigators' signatures: only the site's investigator signs, with their password and a code
of their second factor each time (a wrong one writes nothing and counts towards the lockout); a
signature is bound to the digest of what it signed, goes invalid at any later change and puts the
casebook back on the list; signing again adds a signature; the database refuses to change or delete
one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.errors import Conflict, Forbidden, Invalid
from participants.models import Visit
from participants.schedule.services import visits as schedule
from review.models import Signature
from review.selectors import participants_at
from review.signing import signature_sign, signatures_of, unsigned
from tests.conftest import PASSWORD
from tests.core.conftest import code_for, wrong_code

pytestmark = pytest.mark.django_db


def _sign(reviewed, participant, **kwargs):
    values = {
        "actor": reviewed.investigator,
        "participant": participant,
        "meaning": "approval",
        "password": PASSWORD,
        "otp_code": code_for(reviewed.device),
    }
    return signature_sign(**{**values, **kwargs})


def test_the_investigator_signs_a_casebook_with_the_printed_name_meaning_and_digest(reviewed):
    participant = reviewed.at_exeter[0]
    signature = _sign(reviewed, participant)
    assert signature.printed_name == "Ada Lovelace"
    assert (signature.scope, signature.meaning, signature.appointment) == ("casebook", "approval", None)
    assert signature.record_count > 10
    assert len(signature.fingerprint) == 64
    assert [s.valid for s in signatures_of(participant=participant)] == [True]


def test_a_coordinator_may_not_sign(reviewed):
    participant = reviewed.at_exeter[0]
    with pytest.raises(Forbidden):
        _sign(reviewed, participant, actor=reviewed.coordinator)
    assert not Signature.objects.exists()


def test_an_investigator_of_another_site_may_not_sign(reviewed):
    with pytest.raises(Forbidden):
        _sign(reviewed, reviewed.at_london[0])


def test_a_wrong_password_is_refused_and_writes_nothing(reviewed):
    from axes.models import AccessAttempt

    with pytest.raises(Invalid) as refused:
        _sign(reviewed, reviewed.at_exeter[0], password="not-the-password")
    assert list(refused.value.fields) == ["password"]
    assert not Signature.objects.exists()
    assert AccessAttempt.objects.filter(username=reviewed.investigator.username).exists()


def test_a_wrong_code_is_refused_and_writes_nothing(reviewed):
    with pytest.raises(Invalid) as refused:
        _sign(reviewed, reviewed.at_exeter[0], otp_code=wrong_code(reviewed.device))
    assert list(refused.value.fields) == ["otp_code"]
    assert not Signature.objects.exists()


def test_a_code_is_taken_once(reviewed):
    participant = reviewed.at_exeter[0]
    code = code_for(reviewed.device)
    _sign(reviewed, participant, otp_code=code)
    with pytest.raises(Invalid):
        _sign(reviewed, participant, otp_code=code)
    assert Signature.objects.count() == 1


def test_an_investigator_without_an_authenticator_is_asked_to_set_one_up(reviewed, make_user):
    other = make_user("investigator", reviewed.trial, sites=["exeter"])
    with pytest.raises(Conflict):
        _sign(reviewed, reviewed.at_exeter[0], actor=other, otp_code="123456")


def test_an_unknown_meaning_is_refused(reviewed):
    with pytest.raises(Invalid) as refused:
        _sign(reviewed, reviewed.at_exeter[0], meaning="witness")
    assert "meaning" in refused.value.fields


def test_a_signature_does_not_survive_a_change_and_the_casebook_returns_to_the_list(reviewed):
    participant = reviewed.at_exeter[0]
    people = list(participants_at(user=reviewed.investigator, trial=reviewed.trial))

    def casebooks():
        return [
            t.participant for t in unsigned(user=reviewed.investigator, participants=people) if t.appointment is None
        ]

    assert participant in casebooks()
    _sign(reviewed, participant)
    assert participant not in casebooks()
    visit = Visit.objects.filter(appointment__participant=participant, attended=True).first()
    schedule.visit_update(
        actor=reviewed.coordinator, visit=visit, actual_date=visit.actual_date - dt.timedelta(days=1), reason="typo"
    )
    assert [s.valid for s in signatures_of(participant=participant)] == [False]
    listed = [t for t in unsigned(user=reviewed.investigator, participants=people) if t.participant == participant]
    assert ("invalid", None) in [(t.state, t.appointment) for t in listed]
    _sign(reviewed, participant, meaning="responsibility")
    assert [s.valid for s in signatures_of(participant=participant)] == [False, True]
    assert participant not in casebooks()


def test_a_visit_signature_covers_that_visit_only(reviewed):
    participant = reviewed.at_exeter[0]
    first, second = Visit.objects.filter(appointment__participant=participant, attended=True)[:2]
    signature = _sign(reviewed, participant, appointment=first.appointment, meaning="review")
    assert signature.scope == "visit"
    assert signature.record_count >= 1
    schedule.visit_update(
        actor=reviewed.coordinator, visit=second, actual_date=second.actual_date - dt.timedelta(days=1), reason="typo"
    )
    assert [s.valid for s in signatures_of(participant=participant)] == [True]
    schedule.visit_update(
        actor=reviewed.coordinator, visit=first, actual_date=first.actual_date - dt.timedelta(days=1), reason="typo"
    )
    assert [s.valid for s in signatures_of(participant=participant)] == [False]


def test_another_participants_visit_is_refused(reviewed):
    mine, other = reviewed.at_exeter[:2]
    visit = Visit.objects.filter(appointment__participant=other).first()
    with pytest.raises(Invalid):
        _sign(reviewed, mine, appointment=visit.appointment)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement", ["UPDATE review_signature SET meaning = 'review'", "DELETE FROM review_signature"]
)
def test_the_database_refuses_to_change_or_delete_a_signature(reviewed, statement):
    _sign(reviewed, reviewed.at_exeter[0])
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert Signature.objects.get().meaning == "approval"


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement", ["UPDATE review_verificationmark SET fingerprint = 'x'", "DELETE FROM review_verificationmark"]
)
def test_the_database_refuses_to_change_or_delete_a_verification_mark(reviewed, statement):
    from review.verification import record_verify

    visit = Visit.objects.filter(appointment__participant__in=reviewed.at_exeter).first()
    record_verify(actor=reviewed.monitor, kind="visit", pk=visit.pk)
    with (
        pytest.raises(DatabaseError, match="Cannot update or delete"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_the_database_refuses_a_visit_signature_that_names_no_visit(reviewed):
    from django.db import IntegrityError

    from tests.raw_sql import insert_copy

    signature = _sign(reviewed, reviewed.at_exeter[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_copy(signature, scope="visit")
