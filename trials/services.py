"""Writes to the protocol: loading a protocol file as a trial's first version or an amendment."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from core import audit
from core.errors import Conflict, Invalid
from trials.models import Arm, ArmLevel, Factor, Level, ProtocolVersion, Site, Trial
from trials.protocol import Protocol


@dataclass(frozen=True)
class LoadResult:
    version: ProtocolVersion
    created_trial: bool
    created_version: bool

    @property
    def changed(self) -> bool:
        return self.created_version


def protocol_load(
    *,
    protocol: Protocol,
    actor: AbstractBaseUser | None = None,
    source: str = "",
    amend: bool = False,
    reason: str = "",
) -> LoadResult:
    """Store a validated protocol as a trial's first version, or as an amendment.

    Loading the document of the latest version again changes nothing. A different document is
    refused unless ``amend`` is set with a ``reason``; an amendment must carry a new version label
    and an effective date no earlier than the version it follows. Sites, factors, levels and arms
    are brought in line with the new version; one that recorded data still points at cannot be
    removed (:class:`Conflict`). All or nothing: on any refusal nothing is written.
    """
    sha = protocol.fingerprint()
    reason = reason.strip()
    with transaction.atomic():
        trial = Trial.objects.select_for_update().filter(code=protocol.trial.code).first()
        if trial is not None:
            latest = trial.versions.order_by("-number").first()
            if latest is not None and latest.sha256 == sha:
                return LoadResult(version=latest, created_trial=False, created_version=False)
            if not amend:
                raise Conflict(
                    f"{trial.code} already has version {latest.number} ({latest.label}) and this file differs "
                    "from it: load it as an amendment with a reason (--amend --reason)",
                    code="amendment_required",
                )
            _ensure_amendable(protocol, latest, reason)
            number = latest.number + 1
        else:
            number = 1

        with audit.context(actor=actor, reason=reason or "initial protocol version", source=source):
            created_trial = trial is None
            if created_trial:
                trial = Trial.objects.create(
                    code=protocol.trial.code,
                    title=protocol.trial.title,
                    sponsor=protocol.trial.sponsor,
                    registry_ids=list(protocol.trial.registry_ids),
                )
            else:
                _update(
                    trial,
                    title=protocol.trial.title,
                    sponsor=protocol.trial.sponsor,
                    registry_ids=list(protocol.trial.registry_ids),
                )
            try:
                version = ProtocolVersion.objects.create(
                    trial=trial,
                    number=number,
                    label=protocol.version.label,
                    effective_date=protocol.version.effective_date,
                    document=protocol.canonical(),
                    sha256=sha,
                    reason=reason,
                    source=source,
                    created_by=actor if getattr(actor, "pk", None) else None,
                )
            except IntegrityError:
                raise Conflict(
                    f"another version of {trial.code} was stored at the same time",
                    code="concurrent_amendment",
                ) from None
            _sync_structure(trial, protocol)
    return LoadResult(version=version, created_trial=created_trial, created_version=True)


def _ensure_amendable(protocol: Protocol, latest: ProtocolVersion, reason: str) -> None:
    """Refuse (400) an amendment without a reason, with the previous version's label, or taking
    effect before the previous version did."""
    if not reason:
        raise Invalid("an amendment needs a reason", fields={"reason": ["This field is required."]})
    if protocol.version.label == latest.label:
        raise Invalid(
            f"the amendment keeps the label {latest.label!r} of version {latest.number}: give it a new one",
            fields={"version.label": ["Must differ from the previous version's label."]},
        )
    if protocol.version.effective_date < latest.effective_date:
        raise Invalid(
            f"the amendment takes effect on {protocol.version.effective_date}, before version "
            f"{latest.number} did ({latest.effective_date})",
            fields={"version.effective_date": ["Must not be before the previous version's."]},
        )


def _update(obj, **values) -> None:
    """Save only when something changed, so that an unchanged row leaves no audit event."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)


def _delete(queryset, what: str) -> None:
    try:
        for obj in queryset:
            obj.delete()
    except ProtectedError:
        raise Conflict(
            f"the amendment removes {what} that recorded data or staff roles still refer to; keep it in the "
            "protocol (a site's roles can be revoked first)",
            code="in_use",
        ) from None


def _sync_structure(trial: Trial, protocol: Protocol) -> None:
    """Bring the rows of sites, factors, levels and arms in line with ``protocol``."""
    site_codes = [s.code for s in protocol.sites]
    for spec in protocol.sites:
        site = Site.objects.filter(trial=trial, code=spec.code).first()
        if site is None:
            Site.objects.create(trial=trial, code=spec.code, name=spec.name, time_zone=spec.time_zone)
        else:
            _update(site, name=spec.name, time_zone=spec.time_zone)
    _delete(Site.objects.filter(trial=trial).exclude(code__in=site_codes), "a site")

    levels: dict[tuple[str, str], Level] = {}
    for f_pos, f_spec in enumerate(protocol.factors):
        factor = Factor.objects.filter(trial=trial, code=f_spec.code).first()
        if factor is None:
            factor = Factor.objects.create(trial=trial, code=f_spec.code, title=f_spec.title, position=f_pos)
        else:
            _update(factor, title=f_spec.title, position=f_pos)
        for l_pos, l_spec in enumerate(f_spec.levels):
            level = Level.objects.filter(factor=factor, code=l_spec.code).first()
            if level is None:
                level = Level.objects.create(factor=factor, code=l_spec.code, title=l_spec.title, position=l_pos)
            else:
                _update(level, title=l_spec.title, position=l_pos)
            levels[(f_spec.code, l_spec.code)] = level

    arm_codes = [a.code for a in protocol.arms]
    _delete(Arm.objects.filter(trial=trial).exclude(code__in=arm_codes), "an arm")
    for a_pos, a_spec in enumerate(protocol.arms):
        arm = Arm.objects.filter(trial=trial, code=a_spec.code).first()
        if arm is None:
            arm = Arm.objects.create(
                trial=trial, code=a_spec.code, title=a_spec.title, ratio=a_spec.ratio, position=a_pos
            )
        else:
            _update(arm, title=a_spec.title, ratio=a_spec.ratio, position=a_pos)
        wanted = {levels[(f, lv)].pk for f, lv in a_spec.levels.items()}
        have = set(arm.arm_levels.values_list("level_id", flat=True))
        if wanted != have:
            if have and arm.pk and _arm_in_use(arm):
                raise Conflict(
                    f"the amendment changes the levels of arm {arm.code}, which participants are allocated to",
                    code="in_use",
                )
            _delete(ArmLevel.objects.filter(arm=arm).exclude(level_id__in=wanted), "an arm's level")
            for level_id in wanted - have:
                ArmLevel.objects.create(arm=arm, level_id=level_id)

    factor_codes = [f.code for f in protocol.factors]
    for factor in Factor.objects.filter(trial=trial):
        keep = [lv.code for lv in protocol.factor(factor.code).levels] if factor.code in factor_codes else []
        _delete(Level.objects.filter(factor=factor).exclude(code__in=keep), "a factor level")
    _delete(Factor.objects.filter(trial=trial).exclude(code__in=factor_codes), "a factor")


def _arm_in_use(arm: Arm) -> bool:
    """True when anything recorded points at the arm (allocations, list slots)."""
    for relation in arm._meta.related_objects:
        if relation.related_model is ArmLevel:
            continue
        accessor = relation.get_accessor_name()
        if accessor and getattr(arm, accessor).exists():
            return True
    return False
