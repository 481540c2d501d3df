"""The concealed allocation lists and the allocations made from them.

The allocation lives in its own table (:class:`Allocation`) and is only ever shown through
:mod:`participants.blinding`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit
from participants.models.enrolment import Participant


@audit.track()
class RandomisationList(models.Model):
    """The concealed allocation list of one stratum, generated in advance from a secret seed.

    Only the unblinded statistician may see it. ``fingerprint`` is the SHA-256 of the list; the
    list regenerated from ``seed`` must give the same fingerprint.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="randomisation_lists")
    stratum = models.CharField(max_length=200)
    seed = models.CharField(max_length=64)
    blocks = models.PositiveIntegerField()
    fingerprint = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["trial_id", "stratum"]
        constraints = [models.UniqueConstraint(fields=["trial", "stratum"], name="randlist_unique_stratum")]

    def __str__(self) -> str:
        return f"{self.trial_id}:{self.stratum}"


@audit.track()
class ListSlot(models.Model):
    """One position of a stratum's list: the arm the next participant there receives."""

    list = models.ForeignKey(RandomisationList, on_delete=models.PROTECT, related_name="slots")
    position = models.PositiveIntegerField()
    block = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.ForeignKey("trials.Arm", on_delete=models.PROTECT, related_name="slots")

    class Meta:
        ordering = ["list_id", "position"]
        constraints = [models.UniqueConstraint(fields=["list", "position"], name="slot_unique_position")]

    def __str__(self) -> str:
        return f"{self.list_id}#{self.position}"


class AllocationMethod(models.TextChoices):
    PERMUTED_BLOCKS = "permuted_blocks", "Permuted blocks"
    MINIMISATION = "minimisation", "Minimisation"
    IMPORTED = "imported", "Imported"


@audit.track()
class Allocation(models.Model):
    """The arm a participant was randomised to. One per participant; one participant per slot."""

    participant = models.OneToOneField(Participant, on_delete=models.PROTECT, related_name="allocation")
    arm = models.ForeignKey("trials.Arm", on_delete=models.PROTECT, related_name="allocations")
    slot = models.OneToOneField(ListSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="allocation")
    method = models.CharField(max_length=20, choices=AllocationMethod.choices)
    stratum = models.CharField(max_length=200)
    allocated_on = models.DateField()
    allocated_at = models.DateTimeField(auto_now_add=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["participant_id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="permuted_blocks") | Q(slot__isnull=False), name="allocation_blocks_have_slot"
            )
        ]

    def __str__(self) -> str:
        return f"allocation of {self.participant_id}"
