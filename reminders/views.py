"""The participant's pages (no account: the signed link is the key) and the providers' delivery hooks
(Twilio's, and the email provider's through django-anymail's tracking signal).

A link that is forged, mistyped, expired or already used answers with a short page saying so and
what to do instead, never with an error page; nothing is written. So does a diary link of a
participant whose answers cannot be stored now (data locked, withdrawn, re-consent needed): the
page does not say which, and the link stays usable.

Each page speaks the participant's stored language, as the reminder that brought them did; a link
that names nobody answers in the browser's language if the reminders speak it, else in English.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from functools import wraps

from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import Conflict, Invalid
from outcomes.services import ensure_may_self_report
from participants.models import AppointmentStatus, Participant
from reminders import links, selectors, services, units
from reminders.messages import day_format
from reminders.models import Kind, Language, Notification
from reminders.preferences import zone_for
from reminders.sending import notification_delivery_report


def _page(request, template: str, status: int = 200, **context) -> HttpResponse:
    """A participant's page in the language active now (:func:`_speaking`)."""
    response = render(
        request,
        f"reminders/{template}.html",
        {"day_format": day_format(), "day_year_format": day_format(with_year=True), **context},
        status=status,
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Content-Language"] = translation.get_language()
    return response


def _speaking(request, participant: Participant | None):
    """The participant's stored language; for a link that names nobody, the browser's
    ``Accept-Language`` among those the reminders speak, else English."""
    language = None
    if participant is not None:
        preference = selectors.contact_preference_of(participant=participant)
        language = preference.language if preference is not None else None
    if language not in Language.values:
        accepted = translation.get_language_from_request(request)
        language = next((code for code in Language.values if accepted.split("-")[0] == code), Language.ENGLISH)
    return translation.override(language)


def _in_language(view):
    """Run a participant page's view in the browser's language until the view knows whose link it
    is and speaks theirs (:func:`_speaking`)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with _speaking(request, None):
            return view(request, *args, **kwargs)

    return wrapped


def _local_today(participant: Participant) -> dt.date:
    preference = selectors.contact_preference_of(participant=participant)
    return timezone.now().astimezone(zone_for(participant, preference)).date()


@require_http_methods(["GET", "POST"])
@_in_language
def reminder_page(request, token: str):
    """Confirm or ask to reschedule an appointment, or report the diary, from a reminder's link."""
    try:
        notification_id = links.notification_id_from(token)
    except links.LinkExpired:
        return _page(request, "link_problem", status=410, problem="expired")
    except links.LinkInvalid:
        return _page(request, "link_problem", status=404, problem="invalid")
    n = selectors.notification_for_link(notification_id=notification_id)
    if n is None:
        return _page(request, "link_problem", status=404, problem="invalid")
    if n.link_used_at is not None:
        return _page(request, "link_problem", status=410, problem="used")
    participant = n.participant
    with _speaking(request, participant):
        return _reminder(request, n, participant)


def _reminder(request, n: Notification, participant: Participant) -> HttpResponse:
    today = _local_today(participant)
    if n.kind == Kind.DIARY:
        return _diary(request, n, participant, today)
    appointment = n.appointment
    if n.kind == Kind.APPOINTMENT and (
        appointment.status != AppointmentStatus.SCHEDULED or appointment.booked_date < today
    ):
        return _page(request, "link_problem", status=410, problem="passed")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "confirm" and n.kind == Kind.APPOINTMENT:
                services.appointment_confirm(notification=n)
                return _page(request, "done", what="confirmed", day=appointment.booked_date)
            if action == "reschedule":
                services.reschedule_request(notification=n, note=request.POST.get("note", ""))
                return _page(request, "done", what="reschedule")
        except services.LinkUsed:
            return _page(request, "link_problem", status=410, problem="used")
        error = gettext("Choose an option.")
        return _page(request, "appointment", status=400, n=n, day=appointment.booked_date, error=error)
    return _page(request, "appointment", n=n, day=appointment.booked_date if n.kind == Kind.APPOINTMENT else None)


def _diary(request, n: Notification, participant: Participant, today: dt.date) -> HttpResponse:
    """The diary form: per day an amount or "I don't remember"; the days already reported shown
    read-only; on a refusal the form again (400), each error beside its day and in a summary."""
    try:
        ensure_may_self_report(participant)  # asked before the form is filled in, and again on saving
    except Conflict:
        return _page(request, "link_problem", status=409, problem="closed")
    days = services.diary_days_due(participant, today)
    if not days:
        return _page(request, "done", what="nothing_due")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        amounts, not_remembered = _diary_answers(request.POST, days)
        try:
            services.diary_report(notification=n, amounts=amounts, not_remembered=not_remembered, today=today)
            return _page(request, "done", what="diary")
        except services.LinkUsed:
            return _page(request, "link_problem", status=410, problem="used")
        except Conflict:
            return _page(request, "link_problem", status=409, problem="closed")
        except Invalid as exc:
            errors = exc.fields
            days = services.diary_days_due(participant, today)  # a day reported meanwhile is no longer asked
            if not days:
                return _page(request, "done", what="nothing_due")
    unit = participant.trial.version_on(today).protocol.outcomes.unit
    rows = [_diary_row(request, day, errors) for day in days]
    shown = {row["field"] for row in rows}
    general = [m for field, messages in errors.items() if field not in shown for m in messages]
    return _page(
        request,
        "diary",
        status=400 if errors else 200,
        rows=rows,
        unit=unit.name_in(translation.get_language()),
        units=unit.plural_in(translation.get_language()),
        guide=units.guide_for(unit, translation.get_language()),
        reported=selectors.diary_days_reported(participant=participant, today=today, unit=unit),
        general=general,
        has_errors=bool(errors),
    )


def _diary_answers(post, days: list[dt.date]) -> tuple[dict[dt.date, str], set[dt.date]]:
    """The amounts and the days not remembered as sent: every day asked for, and any other day
    the form sent with an answer (from a page opened before that day was saved elsewhere), which
    the service refuses by name rather than this page dropping it unseen."""
    amounts: dict[dt.date, str] = {day: post.get(f"day_{day.isoformat()}", "") for day in days}
    not_remembered: set[dt.date] = set()
    for name, value in post.items():
        prefix, _, text = name.partition("_")
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            continue
        if prefix == "day" and (day in amounts or value.strip()):
            amounts[day] = value
        elif prefix == "unknown" and value:
            not_remembered.add(day)
    return amounts, not_remembered


def _diary_row(request, day: dt.date, errors: dict[str, list[str]]) -> dict:
    """One day of the form as sent (on a refusal) or empty: its amount and "I don't remember"
    fields, and its errors with the id the fields point at (``aria-describedby``)."""
    field = f"day_{day.isoformat()}"
    return {
        "field": field,
        "unknown_field": f"unknown_{day.isoformat()}",
        "error_id": f"{field}-error",
        "day": day,
        "value": request.POST.get(field, ""),
        "not_remembered": bool(request.POST.get(f"unknown_{day.isoformat()}")),
        "errors": errors.get(field, []),
    }


@require_http_methods(["GET", "POST"])
@_in_language
def opt_out_page(request, token: str):
    """Stop emails: a page with one button (a GET changes nothing; mail scanners follow links)."""
    try:
        participant_id, channel = links.opt_out_from(token)
    except links.LinkInvalid:
        return _page(request, "link_problem", status=404, problem="invalid")
    participant = selectors.participant_for_link(participant_id=participant_id)
    if participant is None:
        return _page(request, "link_problem", status=404, problem="invalid")
    with _speaking(request, participant):
        if request.method == "POST":
            services.contact_opt_out(participant=participant, channel=channel, via="link in a message")
            return _page(request, "done", what="opted_out", channel=channel)
        return _page(request, "opt_out", channel=channel)


def _twilio_signature_ok(request) -> bool:
    """True when Twilio signed the request with the account's token. Without a token configured
    nothing is accepted, in development as in production: an unsigned STOP could be forged."""
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return False
    url = settings.SITE_URL.rstrip("/") + request.path
    payload = url + "".join(f"{k}{v}" for k, v in sorted(request.POST.items()))
    expected = base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()
    return hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", ""))


@csrf_exempt
@require_POST
def twilio_inbound(request):
    """An SMS reply from a participant: STOP (and the usual synonyms) opts their number out at once."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden("bad signature")
    services.sms_inbound(from_number=request.POST.get("From", ""), body=request.POST.get("Body", ""))
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response/>', content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_status(request):
    """Twilio's status callback: delivered, or undelivered/failed."""
    if not _twilio_signature_ok(request):
        return HttpResponseForbidden("bad signature")
    status = request.POST.get("MessageStatus", "")
    sid = request.POST.get("MessageSid", "")
    if sid and status == "delivered":
        notification_delivery_report(provider_message_id=sid, delivered=True)
    elif sid and status in ("undelivered", "failed"):
        notification_delivery_report(
            provider_message_id=sid, delivered=False, detail=f"twilio: {status} {request.POST.get('ErrorCode', '')}"
        )
    return HttpResponse(status=204)


# --- the email provider's delivery reports ---------------------------------------------------------


def connect_delivery_webhooks() -> None:
    """Mark reminders delivered (or failed) when django-anymail's tracking webhooks report it."""
    from anymail.signals import tracking

    tracking.connect(_anymail_tracking, weak=False, dispatch_uid="reminders-anymail-tracking")


def _anymail_tracking(sender, event, esp_name, **kwargs) -> None:
    if not event.message_id:
        return
    if event.event_type == "delivered":
        notification_delivery_report(provider_message_id=str(event.message_id), delivered=True)
    elif event.event_type in ("bounced", "rejected", "failed"):
        notification_delivery_report(
            provider_message_id=str(event.message_id), delivered=False, detail=f"{esp_name}: {event.event_type}"
        )
