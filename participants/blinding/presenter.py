"""Showing what could reveal a factor, as a user may see it."""

from __future__ import annotations

from typing import Any

from participants.blinding.decisions import BLINDED, arm_levels, visible_for_participant


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
