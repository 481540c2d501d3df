"""What a user may see of an allocation, decided here and only here, and shown through one presenter.

The protocol names, per factor, the roles that may see it (``visible_to``). A user sees a factor
of a participant when they hold one of those roles at the participant's site, or when they
themselves unblinded that participant in an emergency. Once the whole trial has been unblinded
for analysis (after the database lock), every member of the trial sees every factor
(:mod:`participants.blinding.decisions`).

Everything that could reveal a factor (the allocation and its arm, an infusion's drug and dose, a
session's programme, the audit history of an allocation, the levels in an export, a deviation's
text in a file) is shown through :mod:`participants.blinding.presenter`; filters, ordering,
per-arm counts and error messages ask the decisions. No view, serializer, export writer or admin
class decides or writes what is hidden itself. An arm's code is shown only to a user who may see
every factor, since it names all of them.
"""

from participants.blinding.decisions import (
    BLINDED,
    arm_levels,
    check_query,
    factors_visible_everywhere,
    hidden_factors,
    visible_factors,
    visible_for_participant,
)
from participants.blinding.presenter import present

__all__ = [
    "BLINDED",
    "arm_levels",
    "check_query",
    "factors_visible_everywhere",
    "hidden_factors",
    "present",
    "visible_factors",
    "visible_for_participant",
]
