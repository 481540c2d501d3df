"""The checks a service runs before it writes: the actor's role, whether they are blind to the
allocation, and whether a participant's data may be entered at all.

Every service that records clinical data calls :func:`require_role` (403 otherwise) and
:func:`ensure_may_enter_data` (409: the data are locked, the participant withdrew consent for data
use, or must re-consent to a new form); those of outcome, adverse-event and questionnaire data
call :func:`require_blinded` too (403 for whoever may see the allocation). They sit below the
services that use them, and below the data lock's own services (:mod:`participants.locks`), so that
none of those modules imports another in a loop.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from core import permissions
from core.errors import Conflict, Forbidden, Invalid
from participants.models import (
    Allocation,
    AnalysisUnblinding,
    Consent,
    DataLock,
    Participant,
    Withdrawal,
    WithdrawalScope,
)


def require_role(actor, roles, *, site=None, trial=None, doing: str) -> None:
    """Refuse with :class:`Forbidden` unless ``actor`` holds one of ``roles`` at ``site``/``trial``."""
    if actor is None or not permissions.has_role(actor, roles, site=site, trial=trial):
        raise Forbidden(f"your roles here do not allow you to {doing}")


def require_blinded(actor, *, trial, site=None, doing: str) -> None:
    """Refuse with :class:`Forbidden` an ``actor`` who holds, at ``site`` (at any site of ``trial``
    without one), a role that sees a factor the protocol in force has assessed blind (the factor's
    ``visible_to``, unless its ``assessed_blind`` is false).

    Separation of duties: whoever may see the allocation does not enter or change outcome,
    adverse-event or questionnaire data, even holding a role that enters data there as well.
    """
    protocol = trial.version_on().protocol
    seeing = {role for factor in protocol.factors if factor.assessed_blind for role in factor.visible_to}
    if actor is None or permissions.roles(actor, site=site, trial=None if site is not None else trial) & seeing:
        where = "here" if site is not None else "in this trial"
        raise Forbidden(f"your roles {where} let you see the allocation, and whoever sees it may not {doing}")


def consent_is_current(participant: Participant, *, on: dt.date | None = None) -> bool:
    """True when the participant consented to the consent form version now in force."""
    current = participant.trial.version_on(on).protocol.current_consent_form().version
    if "consents" in getattr(participant, "_prefetched_objects_cache", {}):
        return any(c.form_version == current for c in participant.consents.all())
    return participant.consents.filter(form_version=current).exists()


def ensure_may_enter_data(participant: Participant) -> None:
    """Refuse (409) further data entry for a participant whose data are locked, who must re-consent
    or who withdrew consent for data use.

    Every service that records clinical data calls this: three EXISTS queries (cheaper to build
    than one query combining them) after the version in force, which the trial instance remembers.
    """
    current = participant.trial.version_on().protocol.current_consent_form().version
    locks = DataLock.objects.filter(trial_id=participant.trial_id, unlocked_at__isnull=True)
    if locks.filter(Q(participant__isnull=True) | Q(participant_id=participant.pk)).exists():
        ensure_unlocked(trial=participant.trial, participant=participant)  # raises, naming the lock
    if Withdrawal.objects.filter(participant_id=participant.pk, scope=WithdrawalScope.DATA_USE).exists():
        raise Conflict("the participant withdrew consent for further data use", code="withdrawn")
    if not Consent.objects.filter(participant_id=participant.pk, form_version=current).exists():
        raise Conflict(
            "the consent form has a new version: re-consent before further data entry", code="reconsent_required"
        )


# A trial brought onto the tracker may have begun years before its first protocol version here.
YEARS_BEFORE_THE_PROTOCOL = 10
# How long after the schedule's last window a booking may still be made (a visit put off).
DAYS_AFTER_THE_SCHEDULE = 366


def earliest_date(trial) -> dt.date:
    """The earliest date any record of ``trial`` may carry: ten years before its first protocol
    version took effect."""
    first = trial.versions.order_by("number").only("effective_date").first()
    start = first.effective_date if first is not None else dt.date.today()
    return start.replace(year=start.year - YEARS_BEFORE_THE_PROTOCOL, day=min(start.day, 28))


def earliest_record(participant: Participant) -> dt.date:
    """The earliest date a record about ``participant`` may carry: their screening (or enrolment)
    less the protocol's look-back, the furthest back a timeline follow-back reaches."""
    start = participant.enrolled_on
    if participant.screening_id is not None:
        start = min(start, participant.screening.screened_on)
    lookback = participant.trial.version_on().protocol.outcomes.baseline_lookback_days
    return start - dt.timedelta(days=lookback)


def latest_booking(participant: Participant) -> dt.date:
    """The latest date a visit of ``participant`` may be booked on: a year after the last window of
    the schedule closes, counted from the randomisation (or the enrolment before it)."""
    protocol = participant.trial.version_on().protocol
    anchor = anchor_date(participant) or participant.enrolled_on
    # A chained event counts from an earlier one: the days of the whole schedule bound every window.
    span = sum(max(event.day, 0) + max(event.window[1], 0) for event in protocol.schedule)
    return anchor + dt.timedelta(days=span + DAYS_AFTER_THE_SCHEDULE)


def ensure_date_between(value: dt.date, earliest: dt.date, latest: dt.date, *, field: str) -> None:
    """Refuse (400, naming ``field``) a date outside ``[earliest, latest]``: a date in year 1 or 9999
    is a typing slip, and would overflow the date arithmetic of reminders and outcome windows."""
    if not (earliest <= value <= latest):
        raise Invalid("the date is not plausible", fields={field: [f"Give a date from {earliest} to {latest}."]})


def anchor_date(participant: Participant) -> dt.date | None:
    """The participant's anchor (study day 1): the randomisation date; None before randomisation."""
    allocation = Allocation.objects.filter(participant=participant).only("allocated_on").first()
    return allocation.allocated_on if allocation else None


# --- the data lock ------------------------------------------------------------------------------


def active_lock(*, trial, participant: Participant | None = None) -> DataLock | None:
    """The lock that stops changes to ``participant`` (or to the trial as a whole), if any."""
    locks = DataLock.objects.filter(trial=trial, unlocked_at__isnull=True)
    if participant is None:
        return locks.filter(participant__isnull=True).first()
    # One query; a trial-wide lock (no participant) sorts first.
    return (
        locks.filter(Q(participant__isnull=True) | Q(participant=participant))
        .order_by(F("participant").asc(nulls_first=True))
        .first()
    )


def ensure_unlocked(*, trial, participant: Participant | None = None) -> None:
    """Refuse (409) a change to locked data, naming the lock's reason."""
    lock = active_lock(trial=trial, participant=participant)
    if lock is not None:
        what = "the trial's data are" if lock.participant_id is None else "this participant's data are"
        raise Conflict(f"{what} locked ({lock.reason}); a data manager must unlock them first", code="locked")


def is_unblinded_for_analysis(trial) -> bool:
    """True once the whole trial was unblinded for analysis (which only a locked trial can be)."""
    return AnalysisUnblinding.objects.filter(trial=trial).exists()
