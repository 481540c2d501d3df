"""Writes of enrolment: screening, enrolment with the identity, consent, withdrawal, the baseline,
and a change of the identity's name or contact details.

Each service checks the actor's role at the participant's site (:class:`Forbidden` otherwise),
validates (:class:`Invalid`, a 400 with field messages), checks the protocol's preconditions
(:class:`Conflict`, a 409) and writes inside one transaction with the audit context.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from core import audit
from core.clock import today_at
from core.errors import Conflict, Invalid
from core.roles import (
    RECORD_WITHDRAWAL,
    SCREEN_AND_ENROL,
)
from participants import events
from participants.guards import earliest_date, ensure_date_between, ensure_may_enter_data, ensure_unlocked, require_role
from participants.models import (
    Consent,
    Identity,
    Participant,
    Screening,
    ScreeningOutcome,
    Sex,
    Withdrawal,
    WithdrawalScope,
)
from participants.study_ids import new_study_id
from trials.models import Site, Trial
from trials.protocol import CriterionKind


def _date_not_future(value: dt.date, *, site: Site, field: str) -> None:
    if value > today_at(site):
        raise Invalid(f"{field} is in the future", fields={field: ["The date cannot be in the future."]})


# --- screening --------------------------------------------------------------------------------


def screening_record(
    *,
    actor,
    site: Site,
    screened_on: dt.date,
    answers: dict[str, bool],
    outcome: str | None = None,
    outcome_text: str = "",
) -> Screening:
    """Record one person assessed for eligibility, criterion by criterion.

    ``answers`` must answer every criterion of the protocol in force (``True``: an inclusion
    criterion is met, an exclusion criterion is present). The outcome is derived: not eligible
    when an inclusion criterion is unmet or an exclusion present (those codes are kept), else
    eligible. ``outcome`` may say ``declined`` or ``other`` (with ``outcome_text``) for an eligible
    person who did not go on; it cannot make an ineligible person eligible.
    """
    trial = site.trial
    require_role(actor, SCREEN_AND_ENROL, site=site, doing="screen people at this site")
    _date_not_future(screened_on, site=site, field="screened_on")
    ensure_date_between(screened_on, earliest_date(site.trial), today_at(site), field="screened_on")
    ensure_unlocked(trial=trial)
    version = trial.version_on(screened_on)
    criteria = version.protocol.eligibility.criteria
    codes = {c.code for c in criteria}
    problems: dict[str, list[str]] = {}
    for code in sorted(set(answers) - codes):
        problems[f"answers.{code}"] = ["Not a criterion of this protocol."]
    for code in sorted(codes - set(answers)):
        problems[f"answers.{code}"] = ["This criterion must be answered."]
    for code, value in answers.items():
        if code in codes and not isinstance(value, bool):
            problems[f"answers.{code}"] = ["Answer true or false."]
    if problems:
        raise Invalid("the eligibility checklist is incomplete or wrong", fields=problems)
    failed = [
        c.code
        for c in criteria
        if (c.kind == CriterionKind.INCLUSION and not answers[c.code])
        or (c.kind == CriterionKind.EXCLUSION and answers[c.code])
    ]
    derived = ScreeningOutcome.NOT_ELIGIBLE if failed else ScreeningOutcome.ELIGIBLE
    if outcome in (None, "", derived):
        final = derived
    elif outcome in (ScreeningOutcome.DECLINED, ScreeningOutcome.OTHER) and not failed:
        final = ScreeningOutcome(outcome)
    elif outcome == ScreeningOutcome.ELIGIBLE and failed:
        raise Invalid(
            "the checklist makes this person not eligible",
            fields={"outcome": [f"Criteria not met: {', '.join(failed)}."]},
        )
    elif outcome in (ScreeningOutcome.DECLINED, ScreeningOutcome.OTHER):
        raise Invalid(
            "a person who is not eligible is recorded as not eligible",
            fields={"outcome": [f"Criteria not met: {', '.join(failed)}."]},
        )
    else:
        raise Invalid("unknown outcome", fields={"outcome": [f"Unknown outcome {outcome!r}."]})
    outcome_text = (outcome_text or "").strip()
    if final == ScreeningOutcome.OTHER and not outcome_text:
        raise Invalid("say what happened", fields={"outcome_text": ["Required when the outcome is other."]})
    with transaction.atomic(), audit.context(actor=actor, reason="screening"):
        Trial.objects.select_for_update().get(pk=trial.pk)  # numbers are given out one at a time
        count = Screening.objects.filter(trial=trial).count()
        return Screening.objects.create(
            trial=trial,
            site=site,
            protocol_version=version,
            number=f"S{count + 1:05d}",
            screened_on=screened_on,
            answers=answers,
            outcome=final,
            failed_criteria=failed,
            outcome_text=outcome_text,
            created_by=actor,
        )


# --- enrolment and consent --------------------------------------------------------------------


def _age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _age_at_consent(protocol, age: int | None, born: dt.date | None, consented_on: dt.date, problems: dict):
    """The age at consent, given or derived from the date of birth (which must agree with it), within
    the protocol's range; the problems found go into ``problems``."""
    if born is not None:
        if born >= consented_on:
            problems["date_of_birth"] = ["The date of birth must be before the consent."]
        else:
            derived = _age_on(born, consented_on)
            if age is not None and age != derived:
                problems["age_at_consent"] = [f"The date of birth gives {derived}."]
            age = derived
    limits = protocol.eligibility.age
    if age is None:
        problems.setdefault("age_at_consent", ["Give the age at consent or the date of birth."])
    elif not (limits.min <= age <= limits.max):
        problems.setdefault("age_at_consent", [f"The protocol enrols ages {limits.min} to {limits.max}."])
    return age


def participant_enrol(
    *,
    actor,
    screening: Screening,
    sex: str,
    consent_form_version: str,
    consented_on: dt.date,
    first_name: str,
    last_name: str,
    age_at_consent: int | None = None,
    date_of_birth: dt.date | None = None,
    email: str = "",
    phone: str = "",
    address: str = "",
    baseline_weight_kg: Decimal | None = None,
) -> Participant:
    """Enrol an eligible, consenting person: the participant, their identity and first consent.

    Refused: a screening that is not ``eligible`` or already enrolled (409); an unknown sex, an age
    outside the protocol's range, a consent before the screening or in the future, a consent form
    version the protocol does not have, a weight outside the plausible range (400). The study id
    is random with a check character.
    """
    site = screening.site
    trial = screening.trial
    require_role(actor, SCREEN_AND_ENROL, site=site, doing="enrol people at this site")
    ensure_unlocked(trial=trial)
    protocol = trial.version_on(consented_on).protocol
    problems: dict[str, list[str]] = {}
    if sex not in Sex.values:
        problems["sex"] = ["Use M or F."]
    if consented_on < screening.screened_on:
        problems["consented_on"] = [f"Consent cannot come before the screening ({screening.screened_on})."]
    elif consented_on > today_at(site):
        problems["consented_on"] = ["The date cannot be in the future."]
    forms = {f.version for f in protocol.consent_forms}
    if consent_form_version not in forms:
        problems["consent_form_version"] = [f"Choose one of: {', '.join(sorted(forms))}."]
    age_at_consent = _age_at_consent(protocol, age_at_consent, date_of_birth, consented_on, problems)
    if not (first_name or "").strip():
        problems["first_name"] = ["This field is required."]
    if not (last_name or "").strip():
        problems["last_name"] = ["This field is required."]
    if baseline_weight_kg is not None:
        _check_weight(protocol, baseline_weight_kg, problems, field="baseline_weight_kg")
    if problems:
        raise Invalid("the enrolment is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="enrolment"):
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if locked.outcome != ScreeningOutcome.ELIGIBLE:
            raise Conflict(f"screening {locked.number} is {locked.outcome}, not eligible", code="not_eligible")
        if Participant.objects.filter(screening=locked).exists():
            raise Conflict(f"screening {locked.number} is already enrolled", code="already_enrolled")
        participant = _create_participant(
            trial=trial,
            site=site,
            screening=locked,
            sex=sex,
            age_at_consent=age_at_consent,
            baseline_weight_kg=baseline_weight_kg,
            enrolled_on=consented_on,
            enrolled_by=actor,
        )
        Identity.objects.create(
            participant=participant,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            date_of_birth=date_of_birth,
            email=email or None,
            phone=phone or None,
            address=address or None,
        )
        Consent.objects.create(
            participant=participant, form_version=consent_form_version, consented_on=consented_on, taken_by=actor
        )
    return participant


def _check_weight(protocol, weight, problems: dict, *, field: str) -> None:
    low, high = protocol.dosing.weight_kg if protocol.dosing else (Decimal(1), Decimal(500))
    try:
        value = Decimal(str(weight))
    except InvalidOperation:
        problems[field] = ["A number of kilograms is required."]
        return
    if not (low <= value <= high):
        problems[field] = [f"The protocol accepts {low} to {high} kg."]


def _create_participant(**values) -> Participant:
    """Create with a fresh random study id, drawing again on the rare collision."""
    for _ in range(10):
        try:
            with transaction.atomic():
                return Participant.objects.create(study_id=new_study_id(), **values)
        except IntegrityError:
            continue
    raise Conflict("could not draw a free study id; try again", code="study_id_exhausted")


def consent_record(*, actor, participant: Participant, form_version: str, consented_on: dt.date) -> Consent:
    """Record a (re-)consent to a version of the protocol's consent form.

    Refused: an unknown form version, a date in the future or before the last consent, a form
    already consented to (409), a participant who withdrew consent for data use (409).
    """
    site = participant.site
    require_role(actor, SCREEN_AND_ENROL, site=site, doing="take consent at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    protocol = participant.trial.version_on(consented_on).protocol
    forms = {f.version for f in protocol.consent_forms}
    if form_version not in forms:
        raise Invalid("unknown consent form", fields={"form_version": [f"Choose one of: {', '.join(sorted(forms))}."]})
    _date_not_future(consented_on, site=site, field="consented_on")
    last = participant.consents.order_by("-consented_on").first()
    if last is not None and consented_on < last.consented_on:
        raise Invalid(
            "consent cannot come before the previous one",
            fields={"consented_on": [f"The previous consent was on {last.consented_on}."]},
        )
    with transaction.atomic(), audit.context(actor=actor, reason="consent"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.withdrawals.filter(scope=WithdrawalScope.DATA_USE).exists():
            raise Conflict("the participant withdrew consent for further data use", code="withdrawn")
        if locked.consents.filter(form_version=form_version).exists():
            raise Conflict(f"consent to form {form_version} is already recorded", code="duplicate")
        return Consent.objects.create(
            participant=locked, form_version=form_version, consented_on=consented_on, taken_by=actor
        )


def withdrawal_record(*, actor, participant: Participant, scope: str, withdrawn_on: dt.date, reason: str) -> Withdrawal:
    """Record a withdrawal with its scope and reason. Each scope is recorded once (409 again)."""
    require_role(actor, RECORD_WITHDRAWAL, site=participant.site, doing="record withdrawals at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    problems: dict[str, list[str]] = {}
    if scope not in WithdrawalScope.values:
        problems["scope"] = [f"Choose one of: {', '.join(WithdrawalScope.values)}."]
    if not (reason or "").strip():
        problems["reason"] = ["This field is required."]
    if withdrawn_on > today_at(participant.site):
        problems["withdrawn_on"] = ["The date cannot be in the future."]
    elif withdrawn_on < participant.enrolled_on:
        problems["withdrawn_on"] = [f"The participant was enrolled on {participant.enrolled_on}."]
    if problems:
        raise Invalid("the withdrawal is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.withdrawals.filter(scope=scope).exists():
            raise Conflict(f"a withdrawal ({scope}) is already recorded", code="duplicate")
        withdrawal = Withdrawal.objects.create(
            participant=locked, scope=scope, withdrawn_on=withdrawn_on, reason=reason.strip(), recorded_by=actor
        )
        events.schedule_changed(participant=locked, reason=f"withdrawal ({scope})")  # cancels what no longer applies
        return withdrawal


def baseline_complete(*, actor, participant: Participant, completed_on: dt.date, weight_kg: Decimal) -> Participant:
    """Mark the baseline assessment complete with the baseline weight (a randomisation precondition)."""
    require_role(actor, SCREEN_AND_ENROL, site=participant.site, doing="record baselines at this site")
    protocol = participant.trial.version_on(completed_on).protocol
    problems: dict[str, list[str]] = {}
    _check_weight(protocol, weight_kg, problems, field="weight_kg")
    if completed_on > today_at(participant.site):
        problems["completed_on"] = ["The date cannot be in the future."]
    elif completed_on < participant.enrolled_on:
        problems["completed_on"] = [f"The participant was enrolled on {participant.enrolled_on}."]
    if problems:
        raise Invalid("the baseline is not valid", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="baseline complete"):
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        ensure_may_enter_data(locked)
        if locked.baseline_completed_on is not None:
            raise Conflict(f"the baseline was completed on {locked.baseline_completed_on}", code="duplicate")
        locked.baseline_completed_on = completed_on
        locked.baseline_weight_kg = Decimal(str(weight_kg))
        locked.save(update_fields=["baseline_completed_on", "baseline_weight_kg"])
        return locked


# --- identity -----------------------------------------------------------------------------------

IDENTITY_FIELDS = ("first_name", "last_name", "date_of_birth", "email", "phone", "address")
# Optional details: a blank value clears them.
IDENTITY_OPTIONAL = frozenset({"date_of_birth", "email", "phone", "address"})
PHONE_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _identity_problems(participant: Participant, changes: dict, reason: str) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for name in sorted(set(changes) - set(IDENTITY_FIELDS)):
        problems[name] = ["Not a detail of the identity."]
    for name in ("first_name", "last_name"):
        if name in changes and not (changes[name] or "").strip():
            problems[name] = ["This field is required."]
    if changes.get("email"):
        try:
            validate_email(changes["email"].strip())
        except ValidationError:
            problems["email"] = ["Enter a valid email address."]
    if changes.get("phone") and not PHONE_E164.match(changes["phone"].strip()):
        problems["phone"] = ["Use the international format, e.g. +447700900123."]
    born = changes.get("date_of_birth")
    if born is not None:
        if born >= participant.enrolled_on:
            problems["date_of_birth"] = [f"The date of birth must be before the consent ({participant.enrolled_on})."]
        elif participant.age_at_consent is not None and _age_on(born, participant.enrolled_on) != (
            recorded := participant.age_at_consent
        ):
            problems["date_of_birth"] = [
                f"It gives an age of {_age_on(born, participant.enrolled_on)} at consent; {recorded} was recorded."
            ]
    if not (reason or "").strip():
        problems["reason"] = ["Say why the details change."]
    return problems


def identity_update(*, actor, participant: Participant, reason: str, **changes) -> Identity:
    """Change the participant's name or contact details (``first_name``, ``last_name``,
    ``date_of_birth``, ``email``, ``phone``, ``address``), with the reason kept in the audit trail.

    Details not given are left as they are; a blank optional detail is cleared. Only the roles that
    enrol may (403), and not while the participant's data are locked (409). Refused (400): an
    unknown detail, a blank name, an email or a phone (E.164) that is not one, a date of birth that
    does not give the age recorded at consent, no reason. A participant brought in without an
    identity is given one when both names are given.
    """
    require_role(actor, SCREEN_AND_ENROL, site=participant.site, doing="change identities at this site")
    ensure_unlocked(trial=participant.trial, participant=participant)
    problems = _identity_problems(participant, changes, reason)
    if problems:
        raise Invalid("the change of identity is not valid", fields=problems)
    values = {}
    for name, value in changes.items():
        value = value.strip() if isinstance(value, str) else value
        values[name] = None if name in IDENTITY_OPTIONAL and value in ("", None) else value
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        identity = Identity.objects.select_for_update().filter(participant=participant).first()
        if identity is None:
            if not (values.get("first_name") and values.get("last_name")):
                raise Invalid(
                    "no identity is recorded yet",
                    fields={n: ["Give both names."] for n in ("first_name", "last_name") if not values.get(n)},
                )
            return Identity.objects.create(participant=participant, **values)
        changed = [name for name, value in values.items() if getattr(identity, name) != value]
        for name in changed:
            setattr(identity, name, values[name])
        if changed:
            identity.save(update_fields=changed)
        return identity
