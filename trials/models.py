"""The protocol as stored: trials, their sites, immutable protocol versions, factors, levels, arms.

The whole validated document of each version is kept (``ProtocolVersion.document``) and read
through :class:`trials.protocol.Protocol`. The parts that other tables point at (sites, factors,
levels, arms) are also rows, so the database can guard references to them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cached_property

import pgtrigger
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from core import audit
from trials import protocol as protocol_doc

_PROTOCOLS: dict[str, protocol_doc.Protocol] = {}
# Bumped whenever this process saves a protocol version; a Trial's memo of versions in force is
# kept only while the generation it was made in lasts. See Trial.version_on.
_VERSION_GENERATION = [0]


def versions_changed() -> None:
    """Forget every Trial instance's memo of the version in force (called when a version is saved)."""
    _VERSION_GENERATION[0] += 1


@audit.track()
class Trial(models.Model):
    code = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=500)
    sponsor = models.CharField(max_length=500)
    registry_ids = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    def version_on(self, day: dt.date | None = None) -> ProtocolVersion:
        """The version in force on ``day`` (today by default): the latest effective by then.

        Before the first version's effective date the first version applies. The answer is
        remembered on this instance (a request's or a task's unit of work asks many times) until
        this process saves another version; the document is not read (see :attr:`ProtocolVersion.protocol`).
        """
        day = day or timezone.localdate()
        memo = self.__dict__.get("_version_memo")
        if memo is None or memo[0] != _VERSION_GENERATION[0]:
            memo = self.__dict__["_version_memo"] = (_VERSION_GENERATION[0], {})
        found = memo[1].get(day)
        if found is None:
            versions = self.versions.order_by("-number").defer("document")
            found = memo[1][day] = versions.filter(effective_date__lte=day).first() or versions.last()
        return found

    @property
    def latest_version(self) -> ProtocolVersion:
        return self.versions.order_by("-number").defer("document").first()


@audit.track()
class ProtocolVersion(models.Model):
    """One version of a trial's protocol. Immutable: the database refuses UPDATE and DELETE."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    label = models.CharField(max_length=100)
    effective_date = models.DateField()
    document = models.JSONField()
    sha256 = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["trial_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "number"], name="protocolversion_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="protocolversion_number_positive"),
            models.CheckConstraint(condition=Q(number=1) | ~Q(reason=""), name="protocolversion_amendment_has_reason"),
        ]
        triggers = [
            pgtrigger.Protect(name="immutable", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.trial.code} v{self.number} ({self.label})"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        versions_changed()  # now, for this transaction, and again once others can see it
        transaction.on_commit(versions_changed)

    @cached_property
    def protocol(self) -> protocol_doc.Protocol:
        """The document as a validated :class:`~trials.protocol.Protocol`.

        Versions are immutable, so the parsed document is kept per process, keyed by its hash;
        :meth:`Trial.version_on` leaves the document unread, and it is read from the database only
        when this process has not parsed it yet.
        """
        cached = _PROTOCOLS.get(self.sha256)
        if cached is None:
            cached = _PROTOCOLS[self.sha256] = protocol_doc.from_document(self.document)
        return cached

    @property
    def is_amendment(self) -> bool:
        return self.number > 1


@audit.track()
class Site(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="sites")
    code = models.CharField(max_length=40)
    name = models.CharField(max_length=500)
    time_zone = models.CharField(max_length=64, default="Europe/London")

    class Meta:
        ordering = ["trial_id", "code"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="site_unique_code")]

    def __str__(self) -> str:
        return f"{self.trial.code}/{self.code}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


@audit.track()
class Factor(models.Model):
    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="factors")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["trial_id", "position"]
        constraints = [models.UniqueConstraint(fields=["trial", "code"], name="factor_unique_code")]

    def __str__(self) -> str:
        return f"{self.trial.code}/{self.code}"


@audit.track()
class Level(models.Model):
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="levels")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["factor_id", "position"]
        constraints = [models.UniqueConstraint(fields=["factor", "code"], name="level_unique_code")]

    def __str__(self) -> str:
        return f"{self.factor.code}={self.code}"


@audit.track()
class Arm(models.Model):
    """A cell of the factorial design: one level of every factor."""

    trial = models.ForeignKey(Trial, on_delete=models.PROTECT, related_name="arms")
    code = models.CharField(max_length=40)
    title = models.CharField(max_length=500)
    ratio = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField()
    levels = models.ManyToManyField(Level, through="ArmLevel", related_name="arms")

    class Meta:
        ordering = ["trial_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["trial", "code"], name="arm_unique_code"),
            models.CheckConstraint(condition=Q(ratio__gte=1), name="arm_ratio_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.trial.code}/{self.code}"


@audit.track()
class ArmLevel(models.Model):
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="arm_levels")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="arm_levels")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["arm", "level"], name="armlevel_unique")]

    def __str__(self) -> str:
        return f"{self.arm_id}:{self.level_id}"
