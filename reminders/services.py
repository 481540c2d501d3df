"""Every write of reminders: contact preferences, opt-outs, participants' answers, planning for
everyone, and the coordinators' daily digest.

Each service validates (:class:`Invalid`, a 400 naming the field) and writes inside one
transaction with the audit context; changes to preferences re-plan the participant's reminders in
the same transaction, so an opt-out takes effect at once. A diary report is stored as drinking
records through :func:`outcomes.services.diary_days_record`, in the transaction of the answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import audit
from core.errors import Conflict, Invalid
from core.missing import MissingCode
from core.roles import READ_IDENTITY, Role
from outcomes import services as outcome_services
from participants.guards import require_role
from participants.models import Appointment, Identity, Participant, StaffNotification
from participants.tasks import staff_notifications_queue
from reminders import messages
from reminders import preferences as prefs
from reminders.models import Channel, ContactPreference, Language, Notification, ParticipantResponse, ResponseKind
from reminders.planning import reminders_plan
from reminders.selectors import diary_days_reported, diary_period_start, worklist_entries

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})


def contact_preferences_set(
    *,
    actor,
    participant: Participant,
    email_consent: bool,
    sms_consent: bool,
    time_zone: str = "",
    preferred_time: dt.time | None = None,
    quiet_start: dt.time | None = None,
    quiet_end: dt.time | None = None,
    language: str = Language.ENGLISH,
) -> ContactPreference:
    """Record how and when the participant agreed to be contacted, and re-plan their reminders.

    Refused (400, by field): an unknown time zone or language; quiet hours with only one end, or
    starting and ending at the same time (22:00 to 07:00 overnight is fine); consent to a channel
    whose contact detail is missing or invalid (an email address Django would not send to, a mobile
    number that is not a valid E.164 number). Consenting again to a channel clears an earlier
    opt-out of it: record that only when the participant asked.
    """
    require_role(actor, READ_IDENTITY, site=participant.site, doing="record contact preferences at this site")
    problems: dict[str, list[str]] = {}
    time_zone = (time_zone or participant.site.time_zone).strip()
    if prefs.known_zone(time_zone) is None:
        problems["time_zone"] = [f"Unknown time zone {time_zone!r}; use an IANA name such as Europe/London."]
    if (quiet_start is None) != (quiet_end is None):
        problems["quiet_end" if quiet_end is None else "quiet_start"] = [
            "Give both ends of the quiet hours, or neither."
        ]
    elif quiet_start is not None and quiet_start == quiet_end:
        problems["quiet_end"] = [
            "The quiet hours start and end at the same time. Give a period, e.g. 22:00 to 07:00 overnight."
        ]
    if language not in Language.values:
        problems["language"] = [f"Choose one of: {', '.join(Language.values)}."]
    identity = Identity.objects.filter(participant=participant).first()
    if email_consent and (problem := prefs.contact_problem(Channel.EMAIL, identity)):
        problems["email_consent"] = [f"Cannot email this participant: {problem}."]
    if sms_consent and (problem := prefs.contact_problem(Channel.SMS, identity)):
        problems["sms_consent"] = [f"Cannot text this participant: {problem}."]
    if problems:
        raise Invalid("the contact preferences are not valid; nothing was changed", fields=problems)
    with transaction.atomic(), audit.context(actor=actor, reason="contact preferences recorded"):
        Participant.objects.select_for_update().filter(pk=participant.pk).first()
        preference = ContactPreference.objects.filter(participant=participant).first() or ContactPreference(
            participant=participant
        )
        if email_consent and not preference.email_consent:
            preference.email_opted_out_at = None
        if sms_consent and not preference.sms_consent:
            preference.sms_opted_out_at = None
        preference.email_consent, preference.sms_consent = email_consent, sms_consent
        preference.time_zone, preference.language = time_zone, language
        preference.preferred_time, preference.quiet_start, preference.quiet_end = preferred_time, quiet_start, quiet_end
        preference.save()
        reminders_plan(participant=participant, reason="contact preferences changed")
    return preference


def contact_opt_out(*, participant: Participant, channel: str, via: str) -> ContactPreference | None:
    """Stop every message to the participant by ``channel`` now: consent off, pending ones cancelled."""
    if channel not in Channel.values:
        raise Invalid("unknown channel", fields={"channel": [f"Choose one of: {', '.join(Channel.values)}."]})
    with transaction.atomic(), audit.context(reason=f"opted out of {channel} ({via})"):
        preference = ContactPreference.objects.select_for_update().filter(participant=participant).first()
        if preference is None:
            return None
        now = timezone.now()
        if channel == Channel.EMAIL:
            preference.email_consent, preference.email_opted_out_at = False, preference.email_opted_out_at or now
        else:
            preference.sms_consent, preference.sms_opted_out_at = False, preference.sms_opted_out_at or now
        preference.save()
        ParticipantResponse.objects.create(
            participant=participant, kind=ResponseKind.OPT_OUT, channel=channel, note=via
        )
        reminders_plan(participant=participant, reason=f"opted out of {channel}")
    return preference


def sms_inbound(*, from_number: str, body: str) -> int:
    """An SMS reply: a stop word opts the sender's number out of SMS. Returns how many participants it stopped.

    Contact details are encrypted with a random nonce, so numbers cannot be looked up; the
    identities of participants who consented to SMS are compared one by one.
    """
    if (body or "").strip().upper() not in STOP_WORDS:
        return 0
    stopped = 0
    for preference in ContactPreference.objects.filter(sms_consent=True).select_related("participant"):
        identity = Identity.objects.filter(participant=preference.participant).first()
        if identity is not None and identity.phone and identity.phone == from_number:
            contact_opt_out(participant=preference.participant, channel=Channel.SMS, via="SMS reply STOP")
            stopped += 1
    return stopped


# --- what participants answer through their links -----------------------------------------------


class LinkUsed(Conflict):
    code = "link_used"


def _mark_used(notification: Notification) -> Notification:
    locked = Notification.objects.select_for_update().get(pk=notification.pk)
    if locked.link_used_at is not None:
        raise LinkUsed("this link has already been used")
    locked.link_used_at = timezone.now()
    locked.save(update_fields=["link_used_at", "updated_at"])
    return locked


def appointment_confirm(*, notification: Notification) -> ParticipantResponse:
    """The participant confirms the appointment a reminder is about (once per link)."""
    with transaction.atomic(), audit.context(reason="appointment confirmed by the participant"):
        n = _mark_used(notification)
        return ParticipantResponse.objects.create(
            participant_id=n.participant_id,
            notification=n,
            appointment_id=n.appointment_id,
            kind=ResponseKind.CONFIRM,
            channel=n.channel,
        )


def reschedule_request(*, notification: Notification, note: str = "") -> ParticipantResponse:
    """The participant asks to reschedule: recorded, and the site's coordinators are told by email."""
    note = (note or "").strip()[:500]
    with transaction.atomic(), audit.context(reason="reschedule asked for by the participant"):
        n = _mark_used(notification)
        participant = Participant.objects.select_related("site", "trial").get(pk=n.participant_id)
        appointment = Appointment.objects.filter(pk=n.appointment_id).first()
        response = ParticipantResponse.objects.create(
            participant=participant,
            notification=n,
            appointment=appointment,
            kind=ResponseKind.RESCHEDULE,
            channel=n.channel,
            note=note,
        )
        what = f"{appointment.event_code} booked on {appointment.booked_date}" if appointment else "an appointment"
        for coordinator in _coordinators(participant.site):
            StaffNotification.objects.create(
                recipient=coordinator,
                kind="reschedule_request",
                subject=f"{participant.trial.code}: {participant.study_id} asks to reschedule",
                body=(
                    f"Participant {participant.study_id} at {participant.site.code} asked to reschedule {what}.\n"
                    f"Their note: {note or '(none)'}\nSee the reminders worklist."
                ),
            )
    staff_notifications_queue()
    return response


def diary_days_due(participant: Participant, today: dt.date) -> list[dt.date]:
    """The days a diary report asks for: from randomisation, at most a week back, up to yesterday,
    less the days already reported (:func:`reminders.selectors.diary_days_reported`): a participant
    never reports a day twice.
    """
    unit = participant.trial.version_on(today).protocol.outcomes.unit
    start = diary_period_start(participant, today)
    reported = {r.day for r in diary_days_reported(participant=participant, today=today, unit=unit)}
    days = (start + dt.timedelta(days=i) for i in range((today - start).days))
    return [day for day in days if day not in reported]


# The checks are the outcomes service's; the participant reads them in plainer words.
_AMOUNT_WORDS = {
    outcome_services.NOT_A_NUMBER: gettext_lazy("Enter a number (0 if you did not drink)."),
    outcome_services.NEGATIVE: gettext_lazy("The number cannot be negative."),
    outcome_services.TOO_PRECISE: gettext_lazy("Use at most two decimals."),
    outcome_services.AMOUNT_AND_REASON: gettext_lazy("Enter a number or tick “I don’t remember”, not both."),
}
_NEITHER = gettext_lazy("Enter a number (0 if you did not drink), or tick “I don’t remember”.")
_TOO_MUCH = gettext_lazy("That is more than we can record for one day; please check it.")


def _in_the_participants_words(
    fields: dict[str, list[str]], entries: list[outcome_services.DayEntry]
) -> dict[str, list[str]]:
    """``days.<i>.amount`` of the outcomes service as ``day_<date>`` of the page, reworded: a day
    with neither an amount nor "I don't remember" is told it needs one of them."""
    out: dict[str, list[str]] = {}
    for path, codes in fields.items():
        parts = path.split(".")
        if len(parts) != 3 or parts[0] != "days" or not parts[1].isdigit() or int(parts[1]) >= len(entries):
            out.setdefault("days", []).extend(codes)
            continue
        entry = entries[int(parts[1])]
        field = f"day_{entry.day.isoformat()}"
        if parts[2] == "amount" and not entry.missing and entry.amount == "":
            words = [_NEITHER]
        elif parts[2] == "amount":
            words = [_AMOUNT_WORDS.get(m, _TOO_MUCH) for m in codes]
        else:  # in practice a day reported meanwhile through another link; named, as the page may no longer show it
            words = [
                _("%(day)s is already reported or cannot be reported here.") % {"day": messages.say_day(entry.day)}
            ]
        out.setdefault(field, []).extend(str(w) for w in words if str(w) not in out.get(field, []))
    return out


def diary_report(
    *,
    notification: Notification,
    amounts: dict[dt.date, str],
    today: dt.date,
    not_remembered: Collection[dt.date] = (),
) -> ParticipantResponse:
    """The participant reports drinking (in the protocol's unit) for each day :func:`diary_days_due`
    asks for, or that they do not remember it (a day in ``not_remembered``).

    The days become diary drinking records through :func:`outcomes.services.diary_days_record`
    (grams from the protocol's unit, the checks of staff entry, no staff actor, data queries
    against positive biomarkers), in one transaction with the :class:`ParticipantResponse` and the
    link marked used, audited with the reason "diary reported by the participant". A day not
    remembered is stored without an amount and with the reason ``unknown``: missing in the
    endpoints, never abstinent. ``today`` is the participant's own date.

    Refused (400, by day as ``day_<date>``, in words for the participant): a day not asked for,
    a day with neither an amount nor "not remembered", or with both, an amount that is not a
    number, negative, with more than two decimals or above the protocol's plausible maximum.
    Refused (409, :class:`Conflict`): data locked, consent for data use withdrawn, withdrawn from
    follow-up, re-consent needed; :class:`LinkUsed` for a used link. Nothing is written on
    refusal, and the link can still be used.
    """
    participant = Participant.objects.select_related("trial", "site").get(pk=notification.participant_id)
    unit = participant.trial.version_on(today).protocol.outcomes.unit
    due = diary_days_due(participant, today)
    asked = set(amounts) | set(not_remembered)
    problems = {
        f"day_{day.isoformat()}": [
            _("%(day)s is already saved or is not asked for here.") % {"day": messages.say_day(day)}
        ]
        for day in sorted(asked - set(due))
    }
    if not due:
        problems["days"] = [_("There is nothing to report now.")]
    if problems:
        raise Invalid("the report is not valid; nothing was saved", fields=problems)
    entries = [
        outcome_services.DayEntry(
            day=day,
            amount=(amounts.get(day) or "").strip(),
            unit=unit.code,
            missing=MissingCode.UNKNOWN if day in not_remembered else "",
        )
        for day in due
    ]
    with transaction.atomic(), audit.context(reason=outcome_services.DIARY_REASON):
        n = _mark_used(notification)
        try:
            records = outcome_services.diary_days_record(participant=participant, days=entries, today=today)
        except Invalid as exc:
            fields = _in_the_participants_words(exc.fields, entries)
            raise Invalid("the report is not valid; nothing was saved", fields=fields) from None
        return ParticipantResponse.objects.create(
            participant=participant,
            notification=n,
            kind=ResponseKind.DIARY,
            channel=n.channel,
            payload={
                "unit": unit.code,
                "days": [r.day.isoformat() for r in records],
                "amounts": {r.day.isoformat(): None if r.amount is None else str(r.amount) for r in records},
                "stored_as_drinking_records": True,
                "drinking_records": [r.pk for r in records],
            },
        )


# --- for everyone, every day ------------------------------------------------------------------------


def reminders_plan_all(*, trial=None, reason: str, dry_run: bool = False) -> int:
    """Re-plan every randomised participant (of ``trial``); each in its own transaction. Returns the changes."""
    participants = Participant.objects.filter(allocation__isnull=False).select_related("site", "trial")
    if trial is not None:
        participants = participants.filter(trial=trial)
    changes = 0
    for participant in participants.order_by("pk"):
        changes += len(reminders_plan(participant=participant, reason=reason, dry_run=dry_run).changes)
    return changes


def _coordinators(site):
    return (
        get_user_model()
        .objects.filter(memberships__site=site, memberships__role_id=Role.COORDINATOR, is_active=True)
        .distinct()
    )


def coordinator_digest_send(*, now: dt.datetime | None = None) -> int:
    """Queue one email per coordinator with their sites' overdue appointments and failed reminders.

    At most one digest per coordinator per day (UTC): a repeated run, or a redelivered task, adds
    nothing. Returns how many digests were queued.
    """
    now = now or timezone.now()
    queued = 0
    users = get_user_model().objects.filter(memberships__role_id=Role.COORDINATOR, is_active=True).distinct()
    with transaction.atomic(), audit.context(reason="coordinator digest"):
        for user in users:
            subject = f"Reminders worklist for {now.date().isoformat()}"
            if StaffNotification.objects.filter(recipient=user, kind="reminders_digest", subject=subject).exists():
                continue
            entries = worklist_entries(user=user, now=now)
            if not entries:
                continue
            lines = [
                f"- {e['trial']} {e['study_id']} ({e['site']}): {e['what']} {e['event_code']} {e['date']}"
                + (f" — {e['detail']}" if e["detail"] else "")
                for e in entries
            ]
            StaffNotification.objects.create(
                recipient=user,
                kind="reminders_digest",
                subject=subject,
                body="Overdue visits, failed reminders and requests at your sites:\n\n" + "\n".join(lines),
            )
            queued += 1
    if queued:
        staff_notifications_queue()
    return queued
