"""Contact preferences: validation, and the checks every send repeats.

Quiet hours: ``quiet_start`` and ``quiet_end`` are local times; a start later than the end is quiet
overnight (22:00 to 07:00, the usual case); equal times are refused, because they could mean
"never quiet" or "always quiet" and neither is a useful thing to store.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from reminders.models import Channel, ContactPreference


def known_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone of an IANA name (Europe/London), or None for a name the system does not know."""
    if not name or not isinstance(name, str):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def phone_problem(phone: str | None) -> str | None:
    """Why ``phone`` cannot take an SMS (not E.164, not a valid number), or None when it can."""
    if not phone:
        return "no mobile number is recorded"
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return "the mobile number is not in international (E.164) form, e.g. +447911123456"
    if phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) != phone:
        return "the mobile number is not in E.164 form (a + and digits only, e.g. +447911123456)"
    if not phonenumbers.is_valid_number(parsed):
        return "the mobile number is not a valid number"
    return None


def email_problem(email: str | None) -> str | None:
    """Why ``email`` cannot take an email, or None when it can."""
    if not email:
        return "no email address is recorded"
    try:
        validate_email(email)
    except ValidationError:
        return "the email address is not valid"
    return None


def contact_problem(channel: str, identity) -> str | None:
    if identity is None:
        return "no contact details are recorded"
    if channel == Channel.EMAIL:
        return email_problem(identity.email)
    if channel == Channel.SMS:
        return phone_problem(identity.phone)
    return f"unknown channel {channel}"


def in_quiet_hours(local_time: dt.time, start: dt.time | None, end: dt.time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end


def out_of_quiet_hours(local: dt.datetime, start: dt.time | None, end: dt.time | None) -> dt.datetime:
    """``local`` (aware, in the participant's zone) moved to the end of the quiet hours it falls in."""
    if not in_quiet_hours(local.time(), start, end):
        return local
    day = local.date()
    if start > end and local.time() >= start:  # late evening of an overnight quiet period
        day += dt.timedelta(days=1)
    return at_local(day, end, local.tzinfo)


def at_local(day: dt.date, time: dt.time, zone) -> dt.datetime:
    """The aware datetime of a local wall-clock time.

    A time skipped by a daylight-saving change (01:30 when clocks go forward) becomes the same
    instant an hour later on the clock; a time that occurs twice is its first occurrence.
    """
    naive = dt.datetime.combine(day, time)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)


def zone_for(participant, preference: ContactPreference | None) -> zoneinfo.ZoneInfo:
    if preference is not None and (zone := known_zone(preference.time_zone)) is not None:
        return zone
    return zoneinfo.ZoneInfo(participant.site.time_zone)
