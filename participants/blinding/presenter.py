"""Showing what could reveal a factor, as a user may see it: the one presenter.

Views, pages, exports and the admin show an allocation, an infusion's drug and dose, a session's
programme, the audit history of an allocation, factor levels and a deviation's text only through
these functions, which ask :mod:`participants.blinding.decisions` who may see what. Nothing else
writes ``"blinded"`` or a neutral label, or leaves a field out because of a factor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from participants.blinding.decisions import (
    BLINDED,
    arm_levels,
    factors_visible_everywhere,
    visible_factors,
    visible_for_participant,
)
from participants.models import Allocation, DeviationKind, EmergencyUnblinding, Participant
from trials.models import ArmLevel

# What an infusion is called for someone who may not see the drug, when the protocol names nothing.
NEUTRAL_DRUG = "study drug"
NEUTRAL_SESSION = "psychological session"
# An infusion's fields that reveal the drug level (the dose follows the level's mg/kg).
DOSE_FIELDS = ("mg_per_kg", "dose_mg", "dose_mg_given")
# An allocation's fields that name the arm, shown only to one who sees every factor.
ALLOCATION_ARM_FIELDS = ("arm", "slot")
# Automatic deviations whose text the services write from the record alone, with no staff text in
# it (a rescheduling's and an interval override's end with the reason staff gave), and the one whose
# text quotes the infusion length of the participant's drug level.
DESCRIBED = frozenset({DeviationKind.OUT_OF_WINDOW, DeviationKind.DOSE})
DESCRIBED_WITH_DOSING = frozenset({DeviationKind.DURATION})


def present(*, allocation, user, per_site: dict | None = None) -> dict[str, Any]:
    """The allocation as ``user`` may see it: levels of hidden factors read ``"blinded"``, the arm
    only when every factor is visible."""
    participant = allocation.participant
    visible = visible_for_participant(user=user, participant=participant, per_site=per_site)
    levels = arm_levels(allocation)
    all_visible = set(levels) <= visible
    return {
        "study_id": participant.study_id,
        "allocated_on": allocation.allocated_on,
        "allocated_at": allocation.allocated_at,
        "arm": allocation.arm.code if all_visible else BLINDED,
        "levels": {factor: (level if factor in visible else BLINDED) for factor, level in levels.items()},
    }


def trial_title(*, user, trial) -> str:
    """The trial's title for one who may see every factor at every one of their sites; else its
    short title (or code): a title may name a level ("Ketamine for ...")."""
    protocol = trial.version_on().protocol
    every = {f.code for f in protocol.factors}
    if every <= factors_visible_everywhere(user=user, trial=trial):
        return protocol.trial.title
    return protocol.trial.short_title or trial.code


def allocation_hidden_fields(*, participant: Participant, user, per_site: dict | None = None) -> tuple[str, ...]:
    """The allocation's fields left out of its audit history for ``user``: the arm and the slot,
    unless they may see every factor of the participant. ``per_site`` as for :func:`present`."""
    factors = {f.code for f in participant.trial.version_on().protocol.factors}
    if factors <= visible_for_participant(user=user, participant=participant, per_site=per_site):
        return ()
    return ALLOCATION_ARM_FIELDS


def infusion_hidden_fields(*, participant: Participant, user, per_site: dict | None = None) -> tuple[str, ...]:
    """An infusion's fields left out of its audit history for ``user``: the dose, mg/kg and dose
    given, and the clinician's interval reason (staff's words, which may name the drug), unless
    they may see the dosing factor. ``per_site`` as for :func:`present`."""
    protocol = participant.trial.version_on().protocol
    visible = visible_for_participant(user=user, participant=participant, per_site=per_site)
    if protocol.dosing is None or protocol.dosing.factor in visible:
        return ()
    return (*DOSE_FIELDS, "interval_override_reason")


def infusion_drug(*, infusion, user) -> dict[str, Any]:
    """An infusion's drug, mg/kg and computed dose as ``user`` may see them: the drug's name and the
    dose for one who may see the dosing factor, else the neutral name and no dose."""
    appointment = infusion.visit.appointment
    participant = appointment.participant
    protocol = appointment.protocol_version.protocol
    factor = protocol.dosing.factor
    if factor not in visible_for_participant(user=user, participant=participant):
        return {"drug": NEUTRAL_DRUG, "mg_per_kg": None, "dose_mg": None}
    level = arm_levels(participant.allocation)[factor]
    return {"drug": protocol.dose_for(level).drug, "mg_per_kg": infusion.mg_per_kg, "dose_mg": infusion.dose_mg}


def infusion_preview(*, appointment, user, dose_for, weight_kg=None) -> dict[str, Any]:
    """What an infusion about to be recorded at ``appointment`` shows ``user``: ``dose_visible``,
    the drug's name (the protocol's neutral label for one who may not see the dosing factor) and,
    for one who may see it and a ``weight_kg`` the protocol accepts, the mg/kg and the dose from
    ``dose_for`` (the infusion service's calculator, passed in by the schedule that owns it). Never
    a dose, and the calculator is never called, for one blinded to the drug."""
    participant = appointment.participant
    protocol = appointment.protocol_version.protocol
    factor = protocol.dosing.factor
    try:
        allocation = participant.allocation
    except ObjectDoesNotExist:
        allocation = None
    hidden = factor not in visible_for_participant(user=user, participant=participant)
    if hidden or allocation is None:
        label = protocol.factor(factor).blinded_label or NEUTRAL_DRUG
        return {"dose_visible": False, "drug": label, "mg_per_kg": None, "dose_mg": None}
    level = arm_levels(allocation)[factor]
    shown = {"dose_visible": True, "drug": protocol.dose_for(level).drug, "mg_per_kg": None, "dose_mg": None}
    low, high = protocol.dosing.weight_kg
    if weight_kg is not None and low <= weight_kg <= high:
        shown["mg_per_kg"], shown["dose_mg"] = dose_for(protocol=protocol, level=level, weight_kg=weight_kg)
    return shown


def programme(*, appointment, user) -> str:
    """The title of the participant's therapy programme for one who may see the therapy factor, else
    the protocol's neutral label."""
    participant = appointment.participant
    protocol = appointment.protocol_version.protocol
    factor = protocol.therapy.factor
    if factor not in visible_for_participant(user=user, participant=participant):
        return protocol.factor(factor).blinded_label or NEUTRAL_SESSION
    level = arm_levels(participant.allocation)[factor]
    return next(p.title for p in protocol.therapy.programmes if p.level == level)


def levels_of_participants(
    *, trial, factors: Iterable[str], site_ids=None, participant_ids=None
) -> dict[int, dict[str, str]]:
    """``{participant id: {factor: level}}`` of the trial's allocated participants, holding only
    ``factors`` (those the caller's blinding decision allows; nothing when there are none), at
    ``site_ids`` and among ``participant_ids`` when given."""
    factors = list(factors)
    if not factors:
        return {}
    arms: dict[int, dict[str, str]] = {}
    for arm_id, factor, level in ArmLevel.objects.filter(arm__trial=trial, level__factor__code__in=factors).values_list(
        "arm_id", "level__factor__code", "level__code"
    ):
        arms.setdefault(arm_id, {})[factor] = level
    allocations = Allocation.objects.filter(participant__trial=trial)
    if site_ids is not None:
        allocations = allocations.filter(participant__site_id__in=site_ids)
    if participant_ids is not None:
        allocations = allocations.filter(participant_id__in=list(participant_ids))
    return {pid: arms.get(arm, {}) for pid, arm in allocations.values_list("participant_id", "arm_id")}


def levels_as_seen(*, user, trial, participant_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``{participant id: {factor: level}}`` holding, for each participant, the factors ``user`` may
    see at that participant's site (every factor of one they unblinded in an emergency). Blinding is
    decided once per site."""
    ids = set(participant_ids)
    if not ids:
        return {}
    sites = dict(Participant.objects.filter(pk__in=ids).values_list("pk", "site_id"))
    unblinded = set(
        EmergencyUnblinding.objects.filter(requested_by=user, participant_id__in=ids).values_list(
            "participant_id", flat=True
        )
    )
    every = [f.code for f in trial.version_on().protocol.factors]
    levels = levels_of_participants(trial=trial, factors=every, participant_ids=ids)
    per_site: dict[int, frozenset[str]] = {}
    seen: dict[int, dict[str, str]] = {}
    for pid in ids:
        site = sites[pid]
        if site not in per_site:
            per_site[site] = visible_factors(user=user, trial=trial, site=site)
        visible = set(every) if pid in unblinded else per_site[site]
        seen[pid] = {f: lv for f, lv in levels.get(pid, {}).items() if f in visible}
    return seen


def dose_shown(*, protocol, factors: Iterable[str]) -> bool:
    """Whether a file carrying ``factors`` may carry infusion doses (they reveal the dosing factor)."""
    dosing = getattr(protocol, "dosing", None)
    return dosing is None or dosing.factor in set(factors)


WITHHELD = "(withheld: the description could reveal the allocation)"


def hidden_words(*, protocol, hidden: Iterable[str]) -> list[str]:
    """Words that name a level of a ``hidden`` factor: the levels' codes and titles, the drugs of the
    dosing regimen for them, and every arm's code and title."""
    hidden = set(hidden)
    words = [w for f in protocol.factors if f.code in hidden for level in f.levels for w in (level.code, level.title)]
    if protocol.dosing is not None and protocol.dosing.factor in hidden:
        words += [dose.drug for dose in protocol.dosing.regimen if getattr(dose, "drug", "")]
    words += [w for arm in protocol.arms for w in (arm.code, arm.title)]
    return [w for w in words if w]


def deviation_description(deviation, *, user, per_site: dict | None = None) -> str:
    """A deviation's description as ``user`` may read it on a page or through the API: whole for one
    who sees every factor of its participant; for one blinded to a factor, the tracker's own text only
    where it cannot reveal it (:func:`deviation_text_shown`), and staff's own words only when they name
    no level, drug or arm of it (whole words, any case: a description should never name the
    allocation, and this keeps the slips that do from the blinded). Otherwise :data:`WITHHELD`."""
    participant = deviation.participant
    protocol = participant.trial.version_on().protocol
    visible = visible_for_participant(user=user, participant=participant, per_site=per_site)
    hidden = {f.code for f in protocol.factors} - set(visible)
    if not hidden:
        return deviation.description
    if deviation.automatic:
        shown = deviation_text_shown(deviation, dose_shown=dose_shown(protocol=protocol, factors=visible))
        return deviation.description if shown else WITHHELD
    if word_named(deviation.description, hidden_words(protocol=protocol, hidden=hidden)):
        return WITHHELD
    return deviation.description


def word_named(text: str, words: Iterable[str]) -> str:
    """The first of ``words`` that ``text`` names (whole words, any case), or ""."""
    for word in words:
        if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.IGNORECASE):
            return word
    return ""


def allocation_word_in(text: str, *, protocol) -> str:
    """The first level, drug or arm of any of ``protocol``'s factors that ``text`` names, or "": for
    text everyone at a site reads whatever they may see, such as an appointment's place."""
    return word_named(text, hidden_words(protocol=protocol, hidden={f.code for f in protocol.factors}))


def deviation_text_shown(deviation, *, dose_shown: bool) -> bool:
    """Whether a deviation's description may go into a file: only the tracker's own text, from the
    record alone, and the duration one only with the dosing factor (it quotes the infusion length of
    the participant's drug level)."""
    if not deviation.automatic:
        return False
    return deviation.kind in DESCRIBED or (deviation.kind in DESCRIBED_WITH_DOSING and dose_shown)
