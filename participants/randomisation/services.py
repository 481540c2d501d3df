"""Writes of randomisation: the concealed lists (generated, topped up, verified), allocating a
participant, and bringing in participants randomised before the trial used the tracker.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets

from django.db import transaction
from django.db.models import Count, Max

from core import audit
from core.clock import today_at
from core.errors import Conflict, Invalid
from core.roles import IMPORT_DATA, MANAGE_RANDOMISATION_LIST, RANDOMISE
from participants import events
from participants.guards import consent_is_current, earliest_date, ensure_unlocked, require_role
from participants.models import (
    Allocation,
    AllocationMethod,
    Consent,
    ListSlot,
    Participant,
    RandomisationList,
    ScreeningOutcome,
    Sex,
)
from participants.randomisation import algorithms
from participants.schedule.services.appointments import appointments_materialise
from trials.models import Arm, Trial
from trials.protocol import RandomisationMethod


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
            keys.append(algorithms.stratum_key(site=site.code, values=combo, stratify_by=spec.stratify_by))
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
        trial_seed = existing.seed if existing else (seed or algorithms.new_seed())
        have = set(RandomisationList.objects.filter(trial=trial).values_list("stratum", flat=True))
        for stratum in strata(trial):
            if stratum in have:
                continue
            slots = algorithms.generate_list(
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
                fingerprint=algorithms.fingerprint(slots),
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
        algorithms.Slot(
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
            slots = algorithms.generate_list(
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
            rlist.fingerprint = algorithms.fingerprint(_stored_slots(rlist))
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
        regenerated = algorithms.generate_list(
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
                and algorithms.fingerprint(regenerated) == rlist.fingerprint == algorithms.fingerprint(stored),
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
        if spec.method == RandomisationMethod.PERMUTED_BLOCKS:
            allocation = _from_list(locked, trial=trial, spec=spec, on=on, actor=actor)
        else:
            allocation = _minimised(locked, trial=trial, spec=spec, on=on, actor=actor)
        appointments_materialise(participant=locked, allocation=allocation)
        events.schedule_changed(participant=locked, reason="randomisation")
        return allocation


def _from_list(locked: Participant, *, trial: Trial, spec, on: dt.date, actor) -> Allocation:
    """Take the next free slot of the participant's stratum, the stratum's list row-locked."""
    stratum = algorithms.stratum_key(site=locked.site.code, values={"sex": locked.sex}, stratify_by=spec.stratify_by)
    rlist = RandomisationList.objects.select_for_update().filter(trial=trial, stratum=stratum).first()
    if rlist is None:
        raise Conflict(
            f"no allocation list for stratum {stratum}: the unblinded statistician must generate it",
            code="no_list",
        )
    slot = (
        ListSlot.objects.filter(list=rlist, allocation__isnull=True).select_related("arm").order_by("position").first()
    )
    if slot is None:
        raise Conflict(
            f"the allocation list of stratum {stratum} is used up: the unblinded statistician must top it up",
            code="list_exhausted",
        )
    return Allocation.objects.create(
        participant=locked,
        arm=slot.arm,
        slot=slot,
        method=AllocationMethod.PERMUTED_BLOCKS,
        stratum=stratum,
        allocated_on=on,
        allocated_by=actor,
    )


def _minimised(locked: Participant, *, trial: Trial, spec, on: dt.date, actor) -> Allocation:
    """Allocate by minimisation, the trial row locked while the imbalance is counted."""
    Trial.objects.select_for_update().get(pk=trial.pk)
    arm_code = algorithms.minimise(
        arms=_arms(trial, trial.version_on(on).protocol),
        counts=_minimisation_counts(trial, spec.minimise_over),
        participant={f: (locked.site.code if f == "site" else locked.sex) for f in spec.minimise_over},
        random_element=spec.random_element,
        rng=random.Random(secrets.randbits(128)),
    )
    return Allocation.objects.create(
        participant=locked,
        arm=Arm.objects.get(trial=trial, code=arm_code),
        method=AllocationMethod.MINIMISATION,
        stratum="",
        allocated_on=on,
        allocated_by=actor,
    )


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
    require_role(actor, IMPORT_DATA, trial=trial, doing="import participants")
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
    elif randomised_on < (earliest := earliest_date(trial)):
        problems["randomised_on"] = [f"Give a date from {earliest} on."]
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
        events.schedule_changed(participant=participant, reason="imported")
    return participant
