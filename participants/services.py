"""Every write about participants: screening, enrolment, consent, withdrawal, randomisation, unblinding.

Each service checks the actor's role at the participant's site (:class:`Forbidden` otherwise),
validates (:class:`Invalid`, a 400 with field messages), checks the protocol's preconditions
(:class:`Conflict`, a 409) and writes inside one transaction with the audit context.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from core import audit, permissions
from core.clock import today_at
from core.errors import Conflict, Forbidden, Invalid
from core.roles import (
    MANAGE_RANDOMISATION_LIST,
    RANDOMISE,
    RECORD_WITHDRAWAL,
    SCREEN_AND_ENROL,
)
from participants import randomisation
from participants.appointments import appointments_materialise
from participants.guards import consent_is_current, ensure_may_enter_data, ensure_unlocked, require_role
from participants.models import (
    Allocation,
    AllocationMethod,
    Consent,
    EmergencyUnblinding,
    Identity,
    ListSlot,
    Participant,
    RandomisationList,
    Screening,
    ScreeningOutcome,
    Sex,
    StaffNotification,
    Withdrawal,
    WithdrawalScope,
)
from participants.study_ids import new_study_id
from participants.tasks import staff_notifications_queue
from reminders.planning import reminders_plan
from trials.models import Arm, Site, Trial
from trials.protocol import CriterionKind, RandomisationMethod


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
    if date_of_birth is not None:
        if date_of_birth >= consented_on:
            problems["date_of_birth"] = ["The date of birth must be before the consent."]
        else:
            derived = _age_on(date_of_birth, consented_on)
            if age_at_consent is not None and age_at_consent != derived:
                problems["age_at_consent"] = [f"The date of birth gives {derived}."]
            age_at_consent = derived
    if age_at_consent is None:
        problems.setdefault("age_at_consent", ["Give the age at consent or the date of birth."])
    elif not (protocol.eligibility.age.min <= age_at_consent <= protocol.eligibility.age.max):
        problems.setdefault(
            "age_at_consent",
            [f"The protocol enrols ages {protocol.eligibility.age.min} to {protocol.eligibility.age.max}."],
        )
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
        reminders_plan(participant=locked, reason=f"withdrawal ({scope})")  # cancels what no longer applies
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


# --- the allocation list -------------------------------------------------------------------------


def _arms(trial: Trial, protocol) -> list[tuple[str, int]]:
    return [(arm.code, arm.ratio) for arm in protocol.arms]


def strata(trial: Trial) -> list[str]:
    """Every stratum of the trial: its sites crossed with the protocol's stratifiers."""
    spec = trial.version_on().protocol.randomisation
    keys = []
    for site in trial.sites.order_by("code"):
        combos = [{}]
        for factor in spec.stratify_by:
            if factor == "site":
                continue
            combos = [{**c, factor: value} for c in combos for value in Sex.values]
        for combo in combos:
            keys.append(randomisation.stratum_key(site=site.code, values=combo, stratify_by=spec.stratify_by))
    return keys


def randomisation_lists_generate(
    *, actor, trial: Trial, blocks: int, seed: str | None = None
) -> list[RandomisationList]:
    """Generate the concealed list of every stratum that has none yet, ``blocks`` blocks each.

    Only the unblinded statistician may. Each stratum's list is drawn from the trial's secret seed
    (one per trial, new unless given) and stored with its SHA-256 fingerprint. Strata that already
    have a list are left as they are (top them up instead).
    """
    require_role(actor, MANAGE_RANDOMISATION_LIST, trial=trial, doing="generate allocation lists")
    protocol = trial.version_on().protocol
    spec = protocol.randomisation
    if spec.method != RandomisationMethod.PERMUTED_BLOCKS:
        raise Conflict(f"{trial.code} randomises by {spec.method.value}: it has no list", code="no_list")
    if not (1 <= blocks <= 10000):
        raise Invalid("blocks out of range", fields={"blocks": ["Give 1 to 10000 blocks per stratum."]})
    arms = {a.code: a for a in Arm.objects.filter(trial=trial)}
    created = []
    with transaction.atomic(), audit.context(actor=actor, reason="allocation list generated"):
        Trial.objects.select_for_update().get(pk=trial.pk)
        existing = RandomisationList.objects.filter(trial=trial).first()
        trial_seed = existing.seed if existing else (seed or randomisation.new_seed())
        have = set(RandomisationList.objects.filter(trial=trial).values_list("stratum", flat=True))
        for stratum in strata(trial):
            if stratum in have:
                continue
            slots = randomisation.generate_list(
                seed=trial_seed,
                stratum=stratum,
                arms=_arms(trial, protocol),
                block_sizes=spec.block_sizes,
                blocks=blocks,
            )
            rlist = RandomisationList.objects.create(
                trial=trial,
                stratum=stratum,
                seed=trial_seed,
                blocks=blocks,
                fingerprint=randomisation.fingerprint(slots),
                created_by=actor,
            )
            ListSlot.objects.bulk_create(
                ListSlot(list=rlist, position=s.position, block=s.block, block_size=s.block_size, arm=arms[s.arm])
                for s in slots
            )
            created.append(rlist)
    return created


def _stored_slots(rlist: RandomisationList) -> list:
    return [
        randomisation.Slot(
            stratum=rlist.stratum, position=s.position, block=s.block, block_size=s.block_size, arm=s.arm.code
        )
        for s in rlist.slots.select_related("arm").order_by("position")
    ]


def randomisation_list_top_up(
    *, actor, trial: Trial, blocks: int, stratum: str | None = None
) -> list[RandomisationList]:
    """Append ``blocks`` more blocks to a stratum's list (every stratum by default).

    The new blocks continue the same seeded sequence, so no allocated (or unallocated) slot
    changes, and the fingerprint after top-up equals that of a list generated whole.
    """
    require_role(actor, MANAGE_RANDOMISATION_LIST, trial=trial, doing="top up allocation lists")
    if not (1 <= blocks <= 10000):
        raise Invalid("blocks out of range", fields={"blocks": ["Give 1 to 10000 blocks per stratum."]})
    protocol = trial.version_on().protocol
    arms = {a.code: a for a in Arm.objects.filter(trial=trial)}
    lists = RandomisationList.objects.filter(trial=trial)
    if stratum is not None:
        lists = lists.filter(stratum=stratum)
    done = []
    with transaction.atomic(), audit.context(actor=actor, reason="allocation list topped up"):
        locked = list(lists.select_for_update().order_by("stratum"))
        if not locked:
            raise Invalid("no such list", fields={"stratum": ["No allocation list for this stratum."]})
        for rlist in locked:
            last = rlist.slots.aggregate(position=Max("position"), block=Max("block"))
            slots = randomisation.generate_list(
                seed=rlist.seed,
                stratum=rlist.stratum,
                arms=_arms(trial, protocol),
                block_sizes=protocol.randomisation.block_sizes,
                blocks=blocks,
                first_block=(last["block"] if last["block"] is not None else -1) + 1,
                first_position=(last["position"] or 0) + 1,
            )
            ListSlot.objects.bulk_create(
                ListSlot(list=rlist, position=s.position, block=s.block, block_size=s.block_size, arm=arms[s.arm])
                for s in slots
            )
            rlist.blocks += blocks
            rlist.fingerprint = randomisation.fingerprint(_stored_slots(rlist))
            rlist.save(update_fields=["blocks", "fingerprint", "updated_at"])
            done.append(rlist)
    return done


def randomisation_lists_verify(*, actor, trial: Trial) -> list[dict]:
    """Regenerate each stratum's list from its seed and compare: stored slots, fingerprint, both."""
    require_role(actor, MANAGE_RANDOMISATION_LIST, trial=trial, doing="verify allocation lists")
    protocol = trial.version_on().protocol
    results = []
    for rlist in RandomisationList.objects.filter(trial=trial).order_by("stratum"):
        stored = _stored_slots(rlist)
        regenerated = randomisation.generate_list(
            seed=rlist.seed,
            stratum=rlist.stratum,
            arms=_arms(trial, protocol),
            block_sizes=protocol.randomisation.block_sizes,
            blocks=rlist.blocks,
        )
        results.append(
            {
                "stratum": rlist.stratum,
                "slots": len(stored),
                "fingerprint": rlist.fingerprint,
                "matches": stored == regenerated
                and randomisation.fingerprint(regenerated) == rlist.fingerprint == randomisation.fingerprint(stored),
            }
        )
    return results


# --- randomising --------------------------------------------------------------------------------


def ensure_randomisable(participant: Participant) -> None:
    """Refuse (409, with the reason) a participant the protocol does not allow to randomise yet."""
    if participant.screening is None or participant.screening.outcome != ScreeningOutcome.ELIGIBLE:
        raise Conflict("the participant is not recorded as eligible", code="not_eligible")
    if participant.withdrawals.exists():
        raise Conflict("the participant has withdrawn", code="withdrawn")
    if not consent_is_current(participant):
        raise Conflict("the participant has not consented to the current consent form", code="consent_required")
    if participant.baseline_completed_on is None:
        raise Conflict("the baseline assessment is not complete", code="baseline_incomplete")


def participant_randomise(*, actor, participant: Participant, on: dt.date | None = None) -> Allocation:
    """Allocate the participant, once.

    Idempotent: randomising again returns the existing allocation. The participant's appointments
    are materialised from the schedule in the same transaction. With permuted blocks the next
    free slot of the participant's stratum is taken under a row lock on the stratum's list; with
    minimisation the trial row is locked while the imbalance is computed. Unique constraints make
    a slot serve one participant and a participant hold one allocation.
    """
    require_role(actor, RANDOMISE, site=participant.site, doing="randomise at this site")
    with transaction.atomic(), audit.context(actor=actor, reason="randomisation"):
        locked = (
            Participant.objects.select_for_update(of=("self",))  # PostgreSQL locks no outer-joined row
            .select_related("trial", "site", "screening")
            .get(pk=participant.pk)
        )
        existing = Allocation.objects.filter(participant=locked).first()
        if existing is not None:
            return existing
        ensure_unlocked(trial=locked.trial, participant=locked)
        ensure_randomisable(locked)
        trial = locked.trial
        on = on or today_at(locked.site)
        spec = trial.version_on(on).protocol.randomisation
        values = {"sex": locked.sex}
        if spec.method == RandomisationMethod.PERMUTED_BLOCKS:
            stratum = randomisation.stratum_key(site=locked.site.code, values=values, stratify_by=spec.stratify_by)
            rlist = RandomisationList.objects.select_for_update().filter(trial=trial, stratum=stratum).first()
            if rlist is None:
                raise Conflict(
                    f"no allocation list for stratum {stratum}: the unblinded statistician must generate it",
                    code="no_list",
                )
            slot = (
                ListSlot.objects.filter(list=rlist, allocation__isnull=True)
                .select_related("arm")
                .order_by("position")
                .first()
            )
            if slot is None:
                raise Conflict(
                    f"the allocation list of stratum {stratum} is used up: the unblinded statistician must top it up",
                    code="list_exhausted",
                )
            allocation = Allocation.objects.create(
                participant=locked,
                arm=slot.arm,
                slot=slot,
                method=AllocationMethod.PERMUTED_BLOCKS,
                stratum=stratum,
                allocated_on=on,
                allocated_by=actor,
            )
            appointments_materialise(participant=locked, allocation=allocation)
            reminders_plan(participant=locked, reason="randomisation")
            return allocation
        Trial.objects.select_for_update().get(pk=trial.pk)
        arm_code = randomisation.minimise(
            arms=_arms(trial, trial.version_on(on).protocol),
            counts=_minimisation_counts(trial, spec.minimise_over),
            participant={f: (locked.site.code if f == "site" else locked.sex) for f in spec.minimise_over},
            random_element=spec.random_element,
            rng=random.Random(secrets.randbits(128)),
        )
        allocation = Allocation.objects.create(
            participant=locked,
            arm=Arm.objects.get(trial=trial, code=arm_code),
            method=AllocationMethod.MINIMISATION,
            stratum="",
            allocated_on=on,
            allocated_by=actor,
        )
        appointments_materialise(participant=locked, allocation=allocation)
        reminders_plan(participant=locked, reason="randomisation")
        return allocation


def _minimisation_counts(trial: Trial, factors: list[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    columns = {"site": "participant__site__code", "sex": "participant__sex"}
    for factor in factors:
        rows = (
            Allocation.objects.filter(participant__trial=trial)
            .values(columns[factor], "arm__code")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            counts.setdefault(f"{factor}={row[columns[factor]]}", {})[row["arm__code"]] = row["n"]
    return counts


# --- moving a running trial onto the tracker ----------------------------------------------------


def participant_import(
    *, actor, trial: Trial, study_id: str, site_code: str, sex: str, randomised_on: dt.date, levels: dict[str, str]
) -> Participant:
    """Bring in a participant randomised before the trial used the tracker, with their allocation.

    Administrators only. The study id is kept as given; the anchor is the randomisation date; a
    consent to the consent form then in force is recorded on that date, as taken before import. The
    arm is the one whose levels are ``levels`` (one level per factor of the protocol). Refused
    (400, naming the field): an unknown site, sex or level, a missing factor, a future date, a study
    id already in the trial. The caller owns the transaction (an import is all or nothing).
    """
    if not (actor is not None and (actor.is_superuser or permissions.has_role(actor, {"administrator"}, trial=trial))):
        raise Forbidden("only administrators may import participants")
    ensure_unlocked(trial=trial)
    problems: dict[str, list[str]] = {}
    study_id = (study_id or "").strip()
    if not study_id or len(study_id) > 20:
        problems["study_id"] = ["Give a study id of 1 to 20 characters."]
    site = trial.sites.filter(code=site_code).first()
    if site is None:
        problems["site"] = [
            f"Unknown site {site_code!r}; known: {', '.join(trial.sites.values_list('code', flat=True))}."
        ]
    if sex not in Sex.values:
        problems["sex"] = ["Use M or F."]
    if site is not None and randomised_on > today_at(site):
        problems["randomised_on"] = ["The date cannot be in the future."]
    protocol = trial.version_on(randomised_on).protocol
    wanted: dict[str, str] = {}
    for factor in protocol.factors:
        level = (levels.get(factor.code) or "").strip()
        codes = [lv.code for lv in factor.levels]
        if level not in codes:
            problems[factor.code] = [f"Choose one of: {', '.join(codes)}."]
        else:
            wanted[factor.code] = level
    arm = None
    if not problems:
        arm_spec = next(a for a in protocol.arms if a.levels == wanted)
        arm = Arm.objects.get(trial=trial, code=arm_spec.code)
        if Participant.objects.filter(trial=trial, study_id=study_id).exists():
            problems["study_id"] = [f"{study_id} is already in {trial.code}."]
    if problems:
        raise Invalid("the participant cannot be imported", fields=problems)
    with audit.context(actor=actor, reason="imported"):
        participant = Participant.objects.create(
            trial=trial, site=site, study_id=study_id, sex=sex, enrolled_on=randomised_on, enrolled_by=actor
        )
        allocation = Allocation.objects.create(
            participant=participant,
            arm=arm,
            method=AllocationMethod.IMPORTED,
            stratum="",
            allocated_on=randomised_on,
            allocated_by=actor,
        )
        # Consent was taken before the trial used the tracker; the importing administrator vouches
        # for the form in force then, so that data entry is not refused for want of a consent row.
        Consent.objects.create(
            participant=participant,
            form_version=protocol.current_consent_form().version,
            consented_on=randomised_on,
            taken_by=actor,
        )
        appointments_materialise(participant=participant, allocation=allocation)
    return participant


# --- emergency unblinding -------------------------------------------------------------------------


def participant_unblind(*, actor, participant: Participant, reason: str, password: str) -> EmergencyUnblinding:
    """Reveal one participant's allocation to ``actor`` in an emergency.

    Only roles the protocol allows, at the participant's site, with a reason and the actor's
    password entered again. The event is audited, the participant is flagged as unblinded, and a
    notification is queued for each member of the trial's unblinded team.
    """
    protocol = participant.trial.version_on().protocol
    require_role(
        actor, protocol.unblinding.emergency_roles, site=participant.site, doing="unblind participants at this site"
    )
    problems: dict[str, list[str]] = {}
    if not (reason or "").strip():
        problems["reason"] = ["This field is required."]
    if not password or not actor.check_password(password):
        problems["password"] = ["The password is not right."]
    if problems:
        raise Invalid("unblinding needs a reason and your password", fields=problems)
    if not Allocation.objects.filter(participant=participant).exists():
        raise Conflict("the participant is not randomised", code="not_randomised")
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        event = EmergencyUnblinding.objects.create(participant=participant, requested_by=actor, reason=reason.strip())
        team = (
            get_user_model()
            .objects.filter(
                memberships__site__trial=participant.trial,
                memberships__role_id__in=protocol.unblinding.notify_roles,
                is_active=True,
            )
            .distinct()
        )
        for member in team:
            StaffNotification.objects.create(
                recipient=member,
                kind="emergency_unblinding",
                subject=f"{participant.trial.code}: emergency unblinding of {participant.study_id}",
                body=(
                    f"{actor.get_username()} unblinded participant {participant.study_id} at site "
                    f"{participant.site.code} on {event.created_at:%Y-%m-%d %H:%M} UTC.\nReason: {event.reason}"
                ),
            )
    staff_notifications_queue()
    return event
