"""Reading the statistical analysis plan: the latest version, and whether it is locked."""

from __future__ import annotations

from core.errors import Conflict
from outcomes.models import AnalysisPlanVersion


def plan_latest(trial) -> AnalysisPlanVersion | None:
    """The trial's latest plan version (its lock, if any, loaded), or None."""
    return AnalysisPlanVersion.objects.filter(trial=trial).select_related("lock").order_by("-number").first()


def is_locked(version: AnalysisPlanVersion | None) -> bool:
    return version is not None and hasattr(version, "lock")


def ensure_plan_locked(*, trial, **_) -> None:
    """Refuse (409) unblinding ``trial`` for analysis while its latest plan version is not locked:
    the plan is finalised before the blind is broken (ICH E9). A listener of
    :data:`participants.locks.services.before_analysis_unblinding`."""
    latest = plan_latest(trial)
    if not is_locked(latest):
        what = "has no analysis plan" if latest is None else f"has analysis plan version {latest.number} unlocked"
        raise Conflict(
            f"{trial.code} {what}: lock the statistical analysis plan before unblinding for analysis",
            code="plan_not_locked",
        )
