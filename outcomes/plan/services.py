"""Writes to the statistical analysis plan: storing a plan file as a trial's first version or an
amendment, and locking the latest version before the blind is broken.

Loading mirrors the protocol's (:func:`trials.services.protocol_load`): the same document again
changes nothing, a different one is an amendment that needs a reason, and every problem of the
file, checked against the trial's protocol in force, is named with its path (400). After the
trial was unblinded for analysis no version is stored (409): a plan written after seeing the
arms is not a plan. Locking needs an investigator of the trial (the chief investigator signs the
plan off), a reason and their password again; only the latest version is locked, once.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core import audit
from core.errors import Conflict, Invalid
from core.roles import MANAGE_PROTOCOL, Role
from outcomes.models import AnalysisPlanLock, AnalysisPlanVersion
from outcomes.plan.document import AnalysisPlan, check_against
from participants.guards import require_role
from participants.locks.services import ensure_reason_and_password
from participants.models import AnalysisUnblinding

LOCK_PLAN = frozenset({Role.INVESTIGATOR})


def _refuse_after_unblinding(trial) -> None:
    if AnalysisUnblinding.objects.filter(trial=trial).exists():
        raise Conflict("the trial was unblinded for analysis: its analysis plan no longer changes", code="unblinded")


def analysis_plan_load(
    *, trial, plan: AnalysisPlan, actor=None, source: str = "", amend: bool = False, reason: str = ""
) -> tuple[AnalysisPlanVersion, bool]:
    """Store ``plan`` as the trial's first plan version or an amendment; returns the version and
    whether it is new. ``actor`` None is the system (a command run by the operator); a person needs
    a role that manages the protocol (403)."""
    if actor is not None:
        require_role(actor, MANAGE_PROTOCOL, trial=trial, doing="load the analysis plan")
    problems = check_against(plan, trial.version_on().protocol)
    if problems:
        raise Invalid("the analysis plan does not fit the trial's protocol", fields=dict(_grouped(problems)))
    sha = plan.fingerprint()
    reason = (reason or "").strip()
    with transaction.atomic():
        latest = AnalysisPlanVersion.objects.select_for_update().filter(trial=trial).order_by("-number").first()
        if latest is not None and latest.sha256 == sha:
            return latest, False  # the same plan again changes nothing, before or after unblinding
        _refuse_after_unblinding(trial)
        if latest is not None and not amend:
            raise Conflict(
                f"{trial.code} has analysis plan version {latest.number} ({latest.label}) and this file differs: "
                "load it as an amendment with a reason",
                code="amendment_required",
            )
        if latest is not None and not reason:
            raise Invalid("an amendment needs a reason", fields={"reason": ["Say why the plan changes."]})
        with audit.context(actor=actor, reason=reason or "first analysis plan", source=source):
            try:
                version = AnalysisPlanVersion.objects.create(
                    trial=trial,
                    number=(latest.number + 1) if latest else 1,
                    label=plan.version.label,
                    document=plan.canonical(),
                    sha256=sha,
                    reason=reason,
                    source=source,
                    created_by=actor,
                )
            except IntegrityError:
                raise Conflict("another plan version was stored at the same time", code="concurrent") from None
    return version, True


def _grouped(problems: list[tuple[str, str]]):
    out: dict[str, list[str]] = {}
    for path, message in problems:
        out.setdefault(path, []).append(message)
    return out.items()


def analysis_plan_lock(*, actor, trial, reason: str, password: str, request=None) -> AnalysisPlanLock:
    """Lock the trial's latest plan version. Refused: not an investigator of the trial (403); no
    reason or a wrong password (400, the password counting towards the sign-in lockout); no plan,
    or the latest version locked already (409); the trial unblinded for analysis (409)."""
    require_role(actor, LOCK_PLAN, trial=trial, doing="lock the analysis plan")
    ensure_reason_and_password(actor, reason, password, what="locking the analysis plan", request=request)
    with transaction.atomic(), audit.context(actor=actor, reason=reason.strip()):
        _refuse_after_unblinding(trial)
        latest = AnalysisPlanVersion.objects.select_for_update().filter(trial=trial).order_by("-number").first()
        if latest is None:
            raise Conflict(f"{trial.code} has no analysis plan to lock", code="no_plan")
        if AnalysisPlanLock.objects.filter(plan=latest).exists():
            raise Conflict(f"analysis plan version {latest.number} is locked already", code="locked")
        return AnalysisPlanLock.objects.create(plan=latest, locked_by=actor, reason=reason.strip())
