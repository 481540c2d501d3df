"""Reads of enrolment: screenings, and the list of participants with its filters and ordering."""

from __future__ import annotations

from django.db.models import QuerySet

from core import permissions
from core.errors import Invalid, NotFound
from participants import blinding
from participants.models import Participant, Screening
from participants.selectors import participants_visible
from trials.models import Trial

ORDERINGS = {"study_id", "enrolled_on", "site", "created_at"}


def screenings_visible(*, user) -> QuerySet[Screening]:
    return Screening.objects.filter(site_id__in=permissions.site_ids(user)).select_related("site", "trial")


def screening_get(*, user, pk: int) -> Screening:
    screening = screenings_visible(user=user).filter(pk=pk).first()
    if screening is None:
        raise NotFound("no such screening")
    return screening


def participants_list(*, user, params) -> QuerySet[Participant]:
    """Participants filtered and ordered by query parameters, refusing any that would unblind.

    ``trial`` (code) is needed to filter or order by a factor; ``site`` (code), ``search`` (study id
    prefix), ``arm`` (code, for those who may see every factor) and ``ordering`` (study_id,
    enrolled_on, site, created_at, or a visible factor) apply.
    """
    qs = participants_visible(user=user)
    trial_code = params.get("trial")
    trial = None
    if trial_code:
        trial = Trial.objects.filter(code=trial_code, pk__in=permissions.trial_ids(user)).first()
        if trial is None:
            raise Invalid("unknown trial", fields={"trial": ["Unknown trial."]})
        qs = qs.filter(trial=trial)
    factor_filters: dict[str, str] = {}
    factor_orderings: set[str] = set()
    if trial is not None:
        factor_filters = blinding.check_query(user=user, trial=trial, params=params)
        factor_orderings = set(blinding.factors_visible_everywhere(user=user, trial=trial))
    else:
        # Without a trial no factor is known to be visible everywhere: refuse any factor query.
        for t in Trial.objects.filter(pk__in=permissions.trial_ids(user)):
            blinding.check_query(user=user, trial=t, params=params)
    for factor, level in factor_filters.items():
        qs = qs.filter(
            allocation__arm__arm_levels__level__factor__code=factor, allocation__arm__arm_levels__level__code=level
        )
    if params.get("arm"):  # check_query has refused it unless every factor is visible
        from trials.models import Arm

        codes = set(
            Arm.objects.filter(trial_id__in=[trial.pk] if trial else permissions.trial_ids(user)).values_list(
                "code", flat=True
            )
        )
        if params["arm"] not in codes:
            raise Invalid("unknown arm", fields={"arm": [f"Choose one of: {', '.join(sorted(codes))}."]})
        qs = qs.filter(allocation__arm__code=params["arm"])
    if params.get("site"):
        qs = qs.filter(site__code=params["site"])
    if params.get("search"):
        qs = qs.filter(study_id__istartswith=params["search"].strip())
    order = []
    for term in filter(None, (t.strip() for t in params.get("ordering", "").split(","))):
        name = term.lstrip("-")
        desc = term.startswith("-")
        if name in ORDERINGS:
            order.append(("-" if desc else "") + ("site__code" if name == "site" else name))
        elif name in factor_orderings:
            from django.db.models import OuterRef, Subquery

            from trials.models import ArmLevel

            level = ArmLevel.objects.filter(arm_id=OuterRef("allocation__arm_id"), level__factor__code=name).values(
                "level__code"
            )[:1]
            qs = qs.annotate(**{f"_order_{name}": Subquery(level)})
            order.append(("-" if desc else "") + f"_order_{name}")
        elif (
            name == "arm"
            and trial is not None
            and factor_orderings >= {f.code for f in trial.version_on().protocol.factors}
        ):
            order.append(("-" if desc else "") + "allocation__arm__position")
        else:
            raise Invalid("unknown ordering", fields={"ordering": [f"Cannot order by {name!r}."]})
    return qs.order_by(*order, "trial_id", "study_id").distinct()
