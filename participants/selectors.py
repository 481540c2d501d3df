"""Reads of participants every concept needs, scoped to the sites a user belongs to (another site's
ids are a 404).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from core import permissions
from core.errors import Invalid, NotFound
from participants.models import Participant


def participants_visible(*, user) -> QuerySet[Participant]:
    return Participant.objects.filter(site_id__in=permissions.site_ids(user)).select_related(
        "site", "trial", "screening"
    )


def participant_get(*, user, study_id: str, trial_code: str | None = None) -> Participant:
    """The participant with ``study_id`` at one of the user's sites, or a 404 that reveals nothing."""
    found = participants_visible(user=user).filter(study_id=study_id)
    if trial_code:
        found = found.filter(trial__code=trial_code)
    found = list(found[:2])
    if not found:
        raise NotFound("no such participant")
    if len(found) > 1:
        raise Invalid("this study id is used in several of your trials", fields={"trial": ["Name the trial."]})
    participant = found[0]
    # The request's own Trial, read with the user's roles: the protocol version it has looked up
    # already is not read again (see Trial.version_on).
    participant.trial = next(
        (m.site.trial for m in permissions.memberships(user) if m.site.trial_id == participant.trial_id),
        participant.trial,
    )
    return participant


def staff_member(*, site, username: str):
    """The active person called ``username`` who holds a role at ``site``, or None."""
    return get_user_model().objects.filter(username=username, memberships__site=site, is_active=True).first()


def staff_at(*, site) -> list[tuple[str, str]]:
    """The active people who hold a role at ``site``, as (username, name to show), by name: who can
    have seen a participant there."""
    people = get_user_model().objects.filter(memberships__site=site, is_active=True).distinct()
    shown = [(p.get_username(), p.get_full_name() or p.get_username()) for p in people]
    return sorted(shown, key=lambda person: (person[1].casefold(), person[0]))
