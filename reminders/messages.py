"""Reminder texts, rendered when a reminder is sent from the templates deployed at that moment.

Every text is neutral, so that a message read over someone's shoulder says nothing about the study:
a first name at most, the day and time, and a link; and, from the site's contact in the protocol in
force (:class:`~trials.protocol.design.SiteContact`), its neutral name, the place and the number to
call to rearrange. No trial name, drug, diagnosis or arm: the protocol refuses a contact that names
one. The sender is the contact's name at the site's address (:func:`sender`), and replies go to the
contact's address.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template import Context
from django.template.defaultfilters import linebreaksbr, urlize
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext, pgettext_lazy

from reminders.models import Channel, Kind, Language, Notification

SUBJECTS = {
    Kind.APPOINTMENT: pgettext_lazy("email subject", "A reminder of your appointment"),
    Kind.MISSED_VISIT: pgettext_lazy("email subject", "We missed you"),
    Kind.DIARY: pgettext_lazy("email subject", "Your daily check-in"),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Sender:
    """Who a reminder comes from: ``email`` for the From header (a display name and an address),
    ``reply_to`` (may be empty), ``sms`` the number an SMS is sent from (empty: the provider's
    configured one)."""

    email: str
    reply_to: str
    sms: str


def sender(site_code: str, contact) -> Sender:
    """The sender of a site's reminders: the address ``REMINDERS_SITE_SENDERS`` gives the site (the
    shared ``REMINDERS_FROM_EMAIL`` otherwise) under the contact's neutral name; replies to the
    contact's address; SMS from ``REMINDERS_SITE_SMS_SENDERS``' number for the site."""
    configured_name, address = parseaddr(settings.REMINDERS_FROM_EMAIL)
    address = settings.REMINDERS_SITE_SENDERS.get(site_code) or address
    name = contact.name if contact is not None else configured_name
    return Sender(
        email=formataddr((name, address)) if name else address,
        reply_to=contact.reply_to if contact is not None else "",
        sms=settings.REMINDERS_SITE_SMS_SENDERS.get(site_code, ""),
    )


def day_format(*, with_year: bool = False) -> str:
    """How a day is written in the active language (Django's date format): "Tuesday 3 March",
    "martes 3 de marzo"; with the year, "Tuesday 3 March 2026"."""
    if with_year:
        # Translators: a date format (Django's date filter), the weekday, the day, the month and the year
        return pgettext("reminder date", "l j F Y")
    # Translators: a date format (Django's date filter), the weekday, the day and the month
    return pgettext("reminder date", "l j F")


def say_day(day: dt.date) -> str:
    return date_format(day, day_format())


def when(day: dt.date, today: dt.date) -> str:
    """The day, said as people say it, in the active language: today, tomorrow, or the weekday and date."""
    delta, date = (day - today).days, say_day(day)
    if delta == 0:
        return gettext("today (%(date)s)") % {"date": date}
    if delta == 1:
        return gettext("tomorrow (%(date)s)") % {"date": date}
    if delta == -1:
        return gettext("yesterday (%(date)s)") % {"date": date}
    return gettext("on %(date)s") % {"date": date}


def _text(name: str, context: dict) -> str:
    """A text template rendered without HTML escaping: a name like O'Brien stays as it is in a
    plain-text email or an SMS. The HTML version escapes the same text (:func:`_html`)."""
    return get_template(name).template.render(Context(context, autoescape=False)).strip()


def _html(text: str, subject: str, language: str, phone: str = "") -> str:
    """The email's HTML part: the same text escaped, its links live, and the site's number a
    ``tel:`` link (one tap to call from a phone)."""
    body = linebreaksbr(urlize(text, autoescape=True), autoescape=True)
    if phone:
        dial = "".join(c for c in phone if c.isdigit() or c == "+")
        # body is escaped already; the number is escaped again where it is put back
        body = mark_safe(body.replace(escape(phone), f'<a href="tel:{dial}">{escape(phone)}</a>'))
    return render_to_string("reminders/messages/email.html", {"body": body, "subject": subject, "language": language})


def render(
    notification: Notification,
    *,
    first_name: str,
    language: str,
    today: dt.date,
    link: str,
    opt_out: str = "",
    contact=None,
) -> Rendered:
    """The reminder's texts. ``contact`` is the site's :class:`~trials.protocol.design.SiteContact`
    (None: the texts leave out the place and the number); an appointment's own place, when the site
    booked one, comes before the contact's."""
    language = language if language in Language.values else Language.ENGLISH
    with translation.override(language):
        return _render(notification, language, first_name, today, link, opt_out, contact)


def _render(notification, language, first_name, today, link, opt_out, contact) -> Rendered:
    appointment = notification.appointment if notification.appointment_id else None
    site_place = contact.place_in(language) if contact else ""
    context = {
        "first_name": (first_name or "").split(" ")[0][:40],
        "when": when(notification.subject_date, today),
        "time": appointment.booked_time if appointment is not None else None,
        "place": (appointment.place if appointment is not None else "") or site_place,
        "phone": contact.phone if contact else "",
        "signature": contact.name if contact else "",
        "link": link,
        "opt_out": opt_out,
    }
    base = f"reminders/messages/{notification.kind}"
    if notification.channel == Channel.SMS:
        return Rendered(subject="", text=_text(f"{base}.sms.txt", context), html="")
    text, subject = _text(f"{base}.email.txt", context) + "\n", str(SUBJECTS[notification.kind])
    return Rendered(subject=subject, text=text, html=_html(text, subject, language, context["phone"]))
