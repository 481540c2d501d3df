"""Signed links in reminders: a participant's page for one reminder, and an email opt-out.

A reminder's link is the notification id signed with a timestamp; it expires after
``REMINDERS_LINK_MAX_AGE_DAYS`` and serves one answer (confirm, ask to reschedule, or a diary
report). An opt-out link names the participant and the channel and does not expire: opting out
must keep working for as long as an old email can be found.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

LINK_SALT = "reminders.link"
OPT_OUT_SALT = "reminders.opt-out"


class LinkInvalid(Exception):
    """Not a link we made (mistyped, cut short or forged)."""


class LinkExpired(Exception):
    """A link we made, older than its lifetime."""


def token_for(notification_id: int) -> str:
    return signing.TimestampSigner(salt=LINK_SALT).sign(str(notification_id))


def notification_id_from(token: str) -> int:
    try:
        value = signing.TimestampSigner(salt=LINK_SALT).unsign(
            token, max_age=settings.REMINDERS_LINK_MAX_AGE_DAYS * 86400
        )
    except signing.SignatureExpired:
        raise LinkExpired from None
    except signing.BadSignature:
        raise LinkInvalid from None
    if not value.isdigit():
        raise LinkInvalid
    return int(value)


def opt_out_token(participant_id: int, channel: str) -> str:
    return signing.Signer(salt=OPT_OUT_SALT).sign(f"{participant_id}.{channel}")


def opt_out_from(token: str) -> tuple[int, str]:
    try:
        value = signing.Signer(salt=OPT_OUT_SALT).unsign(token)
    except signing.BadSignature:
        raise LinkInvalid from None
    participant_id, _, channel = value.partition(".")
    if not participant_id.isdigit() or not channel:
        raise LinkInvalid
    return int(participant_id), channel


def page_url(notification_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("reminder-page", args=[token_for(notification_id)])


def opt_out_url(participant_id: int, channel: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("reminder-opt-out", args=[opt_out_token(participant_id, channel)])
