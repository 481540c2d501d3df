"""What the report calls arms, factors and levels: their names, or coded groups when blinded.

A blinded report (for a data monitoring committee) shows each arm as a group letter (A, B, ...).
The letters come from a fixed shuffle of the arms, keyed on the trial's code and the deployment's
secret key: the same trial gets the same letters in every report (so a committee can follow a
group from one report to the next), while the report itself carries nothing that reveals which
arm a letter stands for. Nothing a blinded report prints names a factor level, an arm's code or
title, or the protocol's titles (a trial's title may name its drug).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import string

from django.conf import settings

from trials.protocol import CriterionKind


def names_any(text: str, words: list[str]) -> bool:
    """Whether ``text`` holds one of ``words`` as a whole word, ignoring case."""
    return any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", text, re.IGNORECASE) for w in words)


def group_letters(*, trial_code: str, arms: list[str]) -> dict[str, str]:
    """Arm code -> group letter, by a shuffle seeded from the trial code and the secret key."""
    key = hmac.new(settings.SECRET_KEY.encode(), f"blinded-groups:{trial_code}".encode(), hashlib.sha256)
    shuffled = list(arms)
    random.Random(key.hexdigest()).shuffle(shuffled)
    return {arm: string.ascii_uppercase[i] for i, arm in enumerate(shuffled)}


class Labels:
    """Names for the report. ``blinded``: arms become "Group X", ordered by letter."""

    def __init__(self, *, protocol, trial_code: str, blinded: bool):
        self.protocol = protocol
        self.blinded = blinded
        self.trial_code = trial_code
        arms = [a.code for a in protocol.arms]
        if blinded:
            self.letters = group_letters(trial_code=trial_code, arms=arms)
            self.order = sorted(arms, key=self.letters.__getitem__)
        else:
            self.letters = {}
            self.order = arms

    @property
    def title(self) -> str:
        if self.blinded:
            return f"{self.trial_code}: blinded report for the data monitoring committee"
        return f"{self.trial_code}: {self.protocol.trial.title}"

    def arm(self, code: str) -> str:
        """The arm's name for tables and legends."""
        if self.blinded:
            return f"Group {self.letters[code]}"
        return next(a.title for a in self.protocol.arms if a.code == code)

    def arm_short(self, code: str) -> str:
        return self.letters[code] if self.blinded else code

    def factor(self, code: str) -> str:
        return self.protocol.factor(code).title

    def level(self, factor: str, level: str) -> str:
        return next(lv.title for lv in self.protocol.factor(factor).levels if lv.code == level)

    def criterion(self, code: str) -> str:
        """A screening criterion as the protocol words it (its text), for the CONSORT diagram and table.

        A blinded report shows a text that names a level, an arm, a factor or the trial's title
        (a criterion may name the drug) as its kind and place in the protocol instead ("exclusion
        criterion 3"), never as its code, which may name them too.
        """
        criteria = self.protocol.eligibility.criteria
        criterion = next((c for c in criteria if c.code == code), None)
        if criterion is None:  # dropped by an amendment: no text to show, nor to check
            return "Unnamed criterion" if self.blinded else code
        if self.blinded and names_any(criterion.text, self.forbidden()):
            place = [c.code for c in criteria if c.kind == criterion.kind].index(code) + 1
            return f"{criterion.kind.value.capitalize()} criterion {place}"
        return criterion.text

    def failed_criteria(self, failed: dict[str, int]) -> list[tuple[str, list[tuple[str, int]]]]:
        """The criteria that screenings failed (code -> count), as headed groups in this order:
        inclusion criteria not met, exclusion criteria met, criteria no longer in the protocol;
        each criterion named by :meth:`criterion` with its count, in the order given. Groups
        without a criterion are left out."""
        kinds = {c.code: c.kind for c in self.protocol.eligibility.criteria}
        headings = {
            CriterionKind.INCLUSION: "Inclusion criteria not met",
            CriterionKind.EXCLUSION: "Exclusion criteria met",
            None: "Criteria no longer in the protocol",
        }
        groups = []
        for kind, heading in headings.items():
            items = [(self.criterion(code), n) for code, n in failed.items() if kinds.get(code) == kind]
            if items:
                groups.append((heading, items))
        return groups

    def forbidden(self) -> list[str]:
        """Words a blinded report must never contain: level codes and titles, arm codes and titles,
        factor and trial titles."""
        words = {self.protocol.trial.title}
        for factor in self.protocol.factors:
            words.add(factor.title)
            for level in factor.levels:
                words |= {level.code, level.title}
        for arm in self.protocol.arms:
            words |= {arm.code, arm.title}
        return sorted(w for w in words if w)
