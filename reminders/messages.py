"""Reminder texts, rendered when a reminder is sent from the templates deployed at that moment.

Every text is neutral: a first name at most, the date, and a link. No trial name, drug, diagnosis,
arm or site, so a message read over someone's shoulder says nothing about the study.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.template.loader import render_to_string

from reminders.models import Channel, Kind, Language, Notification

SUBJECTS = {
    Language.ENGLISH: {
        Kind.APPOINTMENT: "A reminder of your appointment",
        Kind.MISSED_VISIT: "We missed you",
        Kind.DIARY: "Your daily check-in",
    }
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def when(day: dt.date, today: dt.date) -> str:
    delta = (day - today).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    if delta == -1:
        return "yesterday"
    return f"on {day:%A} {day.day} {day:%B}"


def render(
    notification: Notification, *, first_name: str, language: str, today: dt.date, link: str, opt_out: str = ""
) -> Rendered:
    language = language if language in SUBJECTS else Language.ENGLISH
    context = {
        "first_name": (first_name or "").split(" ")[0][:40],
        "day": notification.subject_date,
        "when": when(notification.subject_date, today),
        "link": link,
        "opt_out": opt_out,
    }
    base = f"reminders/{language}/{notification.kind}"
    if notification.channel == Channel.SMS:
        text = render_to_string(f"{base}.sms.txt", context).strip()
        return Rendered(subject="", text=text, html="")
    return Rendered(
        subject=SUBJECTS[language][notification.kind],
        text=render_to_string(f"{base}.email.txt", context).strip() + "\n",
        html=render_to_string(f"{base}.email.html", context),
    )
