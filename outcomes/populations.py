"""What each participant received, and the analysis populations it puts them in: one definition for
the subject-level dataset (``adsl``: ``SAFFL``, ``PPROTFL``) and the analysis report's CONSORT
counts (*received*), so that the two never disagree.

* exposure: the infusions recorded (any, and those recorded as completed) and the psychological
  sessions attended; the same for every level of every factor (the placebo is infused and the
  education delivered as the drug and the therapy are), so none of it tells an arm;
* received (the safety population): at least one infusion recorded or one session attended;
* per protocol: as the statistical analysis plan defines it (``populations.per_protocol``: the
  least infusions completed and sessions attended, and whether a deviation reviewed as important
  excludes), once the trial has a plan; without one, received, every infusion the protocol plans
  (``dosing.infusions``) recorded as completed, and no protocol deviation reviewed as important.
  A deviation not yet reviewed does not count: the flag is meant to be read once every deviation
  has been reviewed, before the blind is broken.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from participants.models import Deviation, InfusionSession, TherapySession
from trials.protocol import Protocol


@dataclass(frozen=True)
class Exposure:
    infusions: int = 0  # infusions recorded, completed or stopped early
    infusions_completed: int = 0
    sessions: int = 0  # psychological sessions attended
    important_deviations: int = 0  # deviations reviewed as important

    @property
    def received(self) -> bool:
        """At least one infusion recorded or one session attended (the safety population)."""
        return self.infusions > 0 or self.sessions > 0

    def per_protocol(self, protocol: Protocol, rule=None) -> bool:
        """Under the analysis plan's ``rule`` (its ``populations.per_protocol``) when given: received,
        at least its infusions completed and sessions attended, and no deviation reviewed as
        important where it excludes them. Without one: received, every planned infusion completed,
        and no deviation reviewed as important."""
        if rule is not None:
            clean = self.important_deviations == 0 or not rule.exclude_important_deviations
            enough = self.infusions_completed >= rule.min_infusions and self.sessions >= rule.min_sessions
            return self.received and enough and clean
        planned = protocol.dosing.infusions if protocol.dosing else 0
        return self.received and self.infusions_completed >= planned and self.important_deviations == 0


def exposure_of(participants) -> dict[int, Exposure]:
    """``{participant id: Exposure}`` of ``participants`` (a queryset); a participant who received
    nothing and has no important deviation is absent (read it as ``Exposure()``). Four queries."""
    infusions: Counter[int] = Counter()
    completed: Counter[int] = Counter()
    for pid, done in InfusionSession.objects.filter(visit__appointment__participant__in=participants).values_list(
        "visit__appointment__participant_id", "completed"
    ):
        infusions[pid] += 1
        completed[pid] += bool(done)
    sessions = Counter(
        TherapySession.objects.filter(visit__appointment__participant__in=participants, attended=True).values_list(
            "visit__appointment__participant_id", flat=True
        )
    )
    deviations = Counter(
        Deviation.objects.filter(participant__in=participants, important=True).values_list("participant_id", flat=True)
    )
    return {
        pid: Exposure(infusions[pid], completed[pid], sessions[pid], deviations[pid])
        for pid in set(infusions) | set(sessions) | set(deviations)
    }
