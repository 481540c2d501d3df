"""Reads of enrolment: screenings, the list of participants with its filters and ordering, an
identity, a participant's audit history, and the trial's recruitment by site and month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, DateField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, prefetch_related_objects
from django.db.models.functions import TruncMonth

from core import history, permissions
from core.db import one_to_one
from core.errors import Forbidden, Invalid, NotFound
from core.roles import READ_IDENTITY
from participants import blinding
from participants.blinding import presenter
from participants.models import (
    AdverseEvent,
    Allocation,
    Appointment,
    Consent,
    EmergencyUnblinding,
    Identity,
    InfusionSession,
    Participant,
    Screening,
    TherapySession,
    Visit,
    VitalSigns,
    Withdrawal,
)
from participants.selectors import participant_get, participants_visible
from trials.models import Arm, ArmLevel, Site, Trial

ORDERINGS = {"study_id", "enrolled_on", "site", "created_at"}
# Where a participant stands, as a list filters them: withdrawn (any scope) before randomised.
STATUSES = ("enrolled", "randomised", "withdrawn")


def screenings_visible(*, user) -> QuerySet[Screening]:
    return Screening.objects.filter(site_id__in=permissions.site_ids(user)).select_related("site", "trial")


def screening_get(*, user, pk: int) -> Screening:
    """A screening at one of the user's sites, with its participant when enrolled, or a 404."""
    screening = screenings_visible(user=user).select_related("participant", "protocol_version").filter(pk=pk).first()
    if screening is None:
        raise NotFound("no such screening")
    return screening


def participants_list(*, user, params) -> QuerySet[Participant]:
    """Participants filtered and ordered by query parameters, refusing any that would unblind.

    ``trial`` (code) is needed to filter or order by a factor; ``site`` (code), ``search`` (study id
    prefix), ``status`` (one of :data:`STATUSES`), ``arm`` (code, for those who may see every factor)
    and ``ordering`` (study_id, enrolled_on, site, created_at, or a visible factor) apply.
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
    if params.get("status"):
        qs = _with_status(qs, params["status"])
    order = []
    for term in filter(None, (t.strip() for t in params.get("ordering", "").split(","))):
        name = term.lstrip("-")
        desc = term.startswith("-")
        if name in ORDERINGS:
            order.append(("-" if desc else "") + ("site__code" if name == "site" else name))
        elif name in factor_orderings:
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


def _with_status(qs: QuerySet[Participant], status: str) -> QuerySet[Participant]:
    if status == "withdrawn":
        return qs.filter(withdrawals__isnull=False)
    if status == "randomised":
        return qs.filter(allocation__isnull=False, withdrawals__isnull=True)
    if status == "enrolled":
        return qs.filter(allocation__isnull=True, withdrawals__isnull=True)
    raise Invalid("unknown status", fields={"status": [f"Choose one of: {', '.join(STATUSES)}."]})


def participant_status(participant: Participant) -> str:
    """Where the participant stands (one of :data:`STATUSES`), from what :func:`participants_page`
    loaded: withdrawn in any scope, else randomised, else enrolled."""
    if participant.withdrawals.all():
        return "withdrawn"
    return "randomised" if one_to_one(participant, "allocation") is not None else "enrolled"


def screenings_list(*, user, trial_code: str = "", site_code: str = "", outcome: str = "") -> QuerySet[Screening]:
    """Screenings at the user's sites, of one trial, site or outcome when named, by trial and number."""
    found = screenings_visible(user=user).select_related("protocol_version")
    for value, field in ((trial_code, "trial__code"), (site_code, "site__code"), (outcome, "outcome")):
        if value:
            found = found.filter(**{field: value})
    return found.order_by("trial_id", "number")


def participants_page(*, user, params) -> QuerySet[Participant]:
    """:func:`participants_list` with everything a page of them shows, loaded in a fixed number of
    queries: consents, withdrawals, unblindings and the allocation's levels."""
    return (
        participants_list(user=user, params=params)
        .select_related("trial", "site", "screening", "allocation__arm")
        .prefetch_related("consents", "withdrawals", "unblindings", "allocation__arm__arm_levels__level__factor")
    )


def participant_loaded(*, user, study_id: str, trial_code: str | None = None) -> Participant:
    """The participant (404 across sites, as :func:`participant_get`), with their consents,
    withdrawals, emergency unblindings and allocation (its arm's levels) loaded."""
    participant = participant_get(user=user, study_id=study_id, trial_code=trial_code)
    prefetch_related_objects(
        [participant],
        "consents",
        "withdrawals",
        "unblindings",
        Prefetch(
            "allocation",
            Allocation.objects.select_related("arm").prefetch_related(
                Prefetch("arm__arm_levels", ArmLevel.objects.select_related("level__factor"))
            ),
        ),
    )
    return participant


def identity_get(*, user, participant: Participant) -> Identity:
    """The participant's name and contact details, for the roles that may read them at their site."""
    if not permissions.has_role(user, READ_IDENTITY, site=participant.site):
        raise Forbidden("your roles here do not include reading identities")
    return participant.identity


def participant_history(*, user, participant: Participant, per_site: dict | None = None) -> list[dict]:
    """The audit trail of the participant's own records (enrolment, consent, withdrawal, emergency
    unblinding, appointments, visits, infusions with their vitals, sessions, adverse events), oldest
    first, the allocation's arm and slot left out for one blinded to any factor (see
    :func:`participants.blinding.presenter.allocation_hidden_fields`), and an infusion's dose for
    one blind to the drug (:func:`participants.blinding.presenter.infusion_hidden_fields`), with the
    infusion's reasons for empty items.
    ``per_site``, the request's dict of blinding decisions (see :func:`participants.blinding.present`),
    saves deciding again."""
    events = history.events_for(
        [
            (Participant, Q(pgh_obj_id=participant.pk)),
            (Consent, Q(participant_id=participant.pk)),
            (Withdrawal, Q(participant_id=participant.pk)),
            (EmergencyUnblinding, Q(participant_id=participant.pk)),
            (Visit, Q(appointment__participant_id=participant.pk)),
            (VitalSigns, Q(infusion__visit__appointment__participant_id=participant.pk)),
            (TherapySession, Q(visit__appointment__participant_id=participant.pk)),
            (AdverseEvent, Q(participant_id=participant.pk)),
        ]
    )
    dose_hidden = tuple(presenter.infusion_hidden_fields(participant=participant, user=user, per_site=per_site))
    # The reasons items are empty go too when the dose does: the reason the dose given is empty
    # could say what it was.
    events += history.events_for(
        [(InfusionSession, Q(visit__appointment__participant_id=participant.pk))],
        hidden=(*dose_hidden, "missing") if dose_hidden else (),
    )
    # An appointment's kind ("therapy" for every session, whatever the programme) would read as a
    # level of the therapy factor to one blinded to it; its event code and title say the same.
    events += history.events_for([(Appointment, Q(participant_id=participant.pk))], hidden=("kind",))
    hidden = presenter.allocation_hidden_fields(participant=participant, user=user, per_site=per_site)
    events += history.events_for([(Allocation, Q(participant_id=participant.pk))], hidden=hidden)
    events.sort(key=lambda e: (e["at"], e["id"]))
    return events


@dataclass
class RecruitmentRow:
    """Counts of one site or one month: people screened, enrolled and randomised."""

    label: str
    screened: int = 0
    enrolled: int = 0
    randomised: int = 0
    cumulative: int = 0  # randomised up to and including this month (months only)
    month: dt.date | None = None


@dataclass
class Recruitment:
    """A trial's recruitment at the user's sites: per site, per month (every month from the first
    with any count to the last), the totals and the protocol's target sample size (None: none set)."""

    target: int | None
    sites: list[RecruitmentRow]
    months: list[RecruitmentRow]
    total: RecruitmentRow


def _counts(queryset, site_field: str, date_field: str) -> list[tuple[int, dt.date, int]]:
    """``(site id, first day of the month, count)`` of ``queryset`` grouped in the database."""
    return [
        (row["at_site"], row["month"], row["n"])
        for row in queryset.order_by()
        .annotate(at_site=F(site_field), month=TruncMonth(date_field, output_field=DateField()))
        .values("at_site", "month")
        .annotate(n=Count("pk"))
        .values("at_site", "month", "n")
    ]


def _month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def recruitment(*, user, trial: Trial) -> Recruitment:
    """Screened, enrolled and randomised per site and per month at the user's sites of ``trial``,
    counted in the database: four queries (the sites and one grouped count each), whatever the
    trial's size. A person counts in the month of their screening, enrolment or randomisation."""
    site_ids = permissions.site_ids(user, trial=trial)
    sites = list(Site.objects.filter(trial=trial, pk__in=site_ids).order_by("code"))
    counts = {
        "screened": _counts(Screening.objects.filter(trial=trial, site_id__in=site_ids), "site_id", "screened_on"),
        "enrolled": _counts(Participant.objects.filter(trial=trial, site_id__in=site_ids), "site_id", "enrolled_on"),
        "randomised": _counts(
            Allocation.objects.filter(participant__trial=trial, participant__site_id__in=site_ids),
            "participant__site_id",
            "allocated_on",
        ),
    }
    by_site = {site.pk: RecruitmentRow(label=site.name) for site in sites}
    by_month: dict[dt.date, RecruitmentRow] = {}
    total = RecruitmentRow(label="Total")
    for what, rows in counts.items():
        for site_id, month, n in rows:
            for row in (by_site[site_id], by_month.setdefault(month, RecruitmentRow(label="", month=month)), total):
                setattr(row, what, getattr(row, what) + n)
    months = []
    if by_month:
        running = 0
        for month in _month_range(min(by_month), max(by_month)):
            row = by_month.get(month) or RecruitmentRow(label="", month=month)
            running += row.randomised
            row.label, row.cumulative = month.strftime("%B %Y"), running
            months.append(row)
    target = trial.version_on().protocol.trial.target_sample_size
    return Recruitment(target=target, sites=list(by_site.values()), months=months, total=total)
