"""An appointment reminder's email as a mail client shows it, in Chromium at a phone's width: axe
finds nothing serious, in English and in Spanish, and its links and text are all there."""

from __future__ import annotations

import datetime as dt

import pytest

from participants.models import Appointment
from reminders import messages
from reminders.models import Channel, Kind, Notification
from tests.browser import serious_violations
from trials.protocol.design import SiteContact

CONTACT = SiteContact(
    name="Appointments team",
    place="Clinical Research Facility, Barrack Road, Exeter",
    place_translations={"es": "Unidad de Investigación Clínica, Barrack Road, Exeter"},
    phone="+44 1632 960001",
    reply_to="appointments.exeter@example.org",
)


@pytest.mark.browser
@pytest.mark.parametrize(("language", "words"), [("en", "Please confirm it"), ("es", "Confírmela")])
def test_an_appointment_email_passes_axe_at_a_phones_width(page, language, words):
    n = Notification(kind=Kind.APPOINTMENT, channel=Channel.EMAIL, subject_date=dt.date(2026, 3, 3))
    n.appointment = Appointment(pk=1, booked_date=dt.date(2026, 3, 3), booked_time=dt.time(10, 30))
    rendered = messages.render(
        n,
        first_name="Ann",
        language=language,
        today=dt.date(2026, 3, 2),
        link="https://trials.example.org/r/abc/",
        opt_out="https://trials.example.org/r/abc/stop/",
        contact=CONTACT,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(rendered.html)
    assert page.title() == rendered.subject
    assert words in page.inner_text("body")
    assert page.locator("a[href='https://trials.example.org/r/abc/']").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert serious_violations(page) == []
