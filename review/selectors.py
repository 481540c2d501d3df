"""Reads the review's pages and API share that are not about one concept: a participant and an
appointment at the user's sites, found through the registered record kinds (review sits below
participants and imports none of its modules), with the same 404 the participants' selectors give.
"""

from __future__ import annotations

from core import permissions
from core.errors import Invalid, NotFound
from review.records import kind_of


def participant_model():
    """The participants' model, as the ``baseline`` kind registers it."""
    return kind_of("baseline").model


def appointment_model():
    """The appointments' model, which a visit hangs from."""
    return kind_of("visit").model._meta.get_field("appointment").related_model


def participant_get(*, user, study_id: str, trial_code: str | None = None):
    """The participant with ``study_id`` at one of the user's sites, or a 404 that reveals nothing;
    a study id used in several of the user's trials asks which (400 on ``trial``)."""
    found = (
        participant_model()
        .objects.select_related("site", "trial")
        .filter(study_id=study_id, site_id__in=permissions.site_ids(user))
    )
    if trial_code:
        found = found.filter(trial__code=trial_code)
    found = list(found[:2])
    if not found:
        raise NotFound("no such participant")
    if len(found) > 1:
        raise Invalid("this study id is used in several of your trials", fields={"trial": ["Name the trial."]})
    return found[0]


def participants_at(*, user, trial=None, site_ids: set[int] | None = None):
    """The participants at the user's sites (of ``trial``; of ``site_ids`` among them), by study id."""
    sites = permissions.site_ids(user, trial=trial)
    if site_ids is not None:
        sites &= site_ids
    return participant_model().objects.select_related("site", "trial").filter(site_id__in=sites).order_by("study_id")


def appointment_get(*, participant, pk: int):
    """The participant's appointment ``pk``, or a 404 (another participant's is not theirs)."""
    found = appointment_model().objects.filter(participant=participant, pk=pk).first()
    if found is None:
        raise NotFound("no such visit")
    return found
