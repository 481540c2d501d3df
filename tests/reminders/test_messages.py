"""What a reminder says and who it comes from: the appointment's time and place and the site's
number (the protocol's site contact), the participant's own language (Django's translation
machinery), plain text left unescaped and HTML escaped, and each site's sender and reply-to."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

import pytest

from participants.models import Appointment
from reminders import messages
from reminders.models import Channel, Kind, Language, Notification
from tests.reminders.conftest import london, pending
from trials.protocol.design import SiteContact

CONTACT = SiteContact(
    name="Appointments team",
    place="Clinical Research Facility, Barrack Road, Exeter",
    place_translations={"es": "Unidad de Investigación Clínica, Barrack Road, Exeter"},
    phone="+44 1632 960001",
    reply_to="appointments.exeter@example.org",
)
TUESDAY = dt.date(2026, 3, 3)


def _appointment_notice(channel=Channel.EMAIL, *, time=None, place=""):
    n = Notification(kind=Kind.APPOINTMENT, channel=channel, subject_date=TUESDAY)
    n.appointment = Appointment(pk=1, booked_date=TUESDAY, booked_time=time, place=place)
    return n


def _render(n, *, language=Language.ENGLISH, today=dt.date(2026, 3, 2), contact=CONTACT, name="Ann"):
    return messages.render(
        n,
        first_name=name,
        language=language,
        today=today,
        link="https://t.example/r/x/",
        opt_out="https://t.example/s/",
        contact=contact,
    )


def test_an_appointment_reminder_says_when_where_and_whom_to_call():
    text = _render(_appointment_notice(time=dt.time(10, 30))).text
    assert "your appointment with us tomorrow (Tuesday 3 March) at 10:30." in text
    assert "Where: Clinical Research Facility, Barrack Road, Exeter" in text
    assert "Or call us on +44 1632 960001." in text
    assert text.rstrip().endswith("To stop these emails: https://t.example/s/")
    sms = _render(_appointment_notice(Channel.SMS, time=dt.time(10, 30))).text
    assert "tomorrow (Tuesday 3 March) at 10:30. Clinical Research Facility, Barrack Road, Exeter." in sms
    assert "Or call +44 1632 960001." in sms


def test_the_place_the_site_booked_comes_before_the_sites_own_and_no_time_says_no_time():
    text = _render(_appointment_notice(place="Room 4, Wonford House")).text
    assert "Where: Room 4, Wonford House" in text
    assert "Barrack Road" not in text
    assert "tomorrow (Tuesday 3 March)." in text
    assert " at " not in text.split("tomorrow")[1].split("\n")[0]


def test_without_a_site_contact_the_texts_leave_out_place_and_number():
    text = _render(_appointment_notice(), contact=None).text
    assert "Where:" not in text
    assert "call" not in text
    assert "Please confirm it" in text


def test_a_missed_visit_gives_the_number_to_call():
    n = Notification(kind=Kind.MISSED_VISIT, channel=Channel.SMS, subject_date=dt.date(2026, 3, 1))
    n.appointment = Appointment(pk=1, booked_date=dt.date(2026, 3, 1))
    text = _render(n).text
    assert "we missed you at your appointment yesterday (Sunday 1 March)" in text
    assert "Or call +44 1632 960001." in text


def test_plain_text_keeps_an_apostrophe_and_html_escapes_markup():
    contact = CONTACT.model_copy(update={"place": "St Mary's <b>Clinic</b>"})
    rendered = _render(_appointment_notice(), contact=contact, name="D'Arcy")
    assert "Hello D'Arcy," in rendered.text
    assert "Where: St Mary's <b>Clinic</b>" in rendered.text
    assert "St Mary&#x27;s &lt;b&gt;Clinic&lt;/b&gt;" in rendered.html
    assert "<b>" not in rendered.html
    assert '<a href="https://t.example/r/x/"' in rendered.html
    assert '<a href="tel:+441632960001">+44 1632 960001</a>' in rendered.html


def test_spanish_texts_subjects_and_dates():
    rendered = _render(_appointment_notice(time=dt.time(9, 5)), language=Language.SPANISH)
    assert rendered.subject == "Recordatorio de su cita"
    assert rendered.text.startswith("Hola, Ann:")
    assert "Le recordamos su cita con nosotros mañana (martes 3 de marzo) a las 09:05." in rendered.text
    assert "O llámenos al +44 1632 960001." in rendered.text
    assert "Unidad de Investigación Clínica, Barrack Road, Exeter" in rendered.text  # the protocol's Spanish
    assert "Clinical Research Facility" not in rendered.text
    assert '<html lang="es">' in rendered.html
    far = _render(_appointment_notice(), language=Language.SPANISH, today=dt.date(2026, 2, 20)).text
    assert "su cita con nosotros el martes 3 de marzo." in far


def test_an_unknown_language_falls_back_to_english():
    assert _render(_appointment_notice(), language="xx").subject == "A reminder of your appointment"


def test_the_sender_is_the_contacts_name_at_the_sites_address(settings):
    settings.REMINDERS_FROM_EMAIL = "appointments@mail.example.org"
    settings.REMINDERS_SITE_SENDERS = {"exeter": "exeter@mail.example.org"}
    settings.REMINDERS_SITE_SMS_SENDERS = {"exeter": "+441632960001"}
    exeter = messages.sender("exeter", CONTACT)
    assert parseaddr(exeter.email) == ("Appointments team", "exeter@mail.example.org")
    assert exeter.reply_to == "appointments.exeter@example.org"
    assert exeter.sms == "+441632960001"
    london_ = messages.sender("london", None)
    assert london_.email == "appointments@mail.example.org"
    assert london_.reply_to == ""
    assert london_.sms == ""


@pytest.mark.django_db
def test_a_sent_email_comes_from_the_site_in_the_participants_language(
    clock, contacts, dispatch, email_outbox, settings
):
    settings.REMINDERS_SITE_SENDERS = {"exeter": "exeter@mail.example.org"}
    clock.go(london(2025, 7, 28, 11))
    participant = contacts.randomised(prefs={"sms_consent": False, "language": Language.SPANISH})
    first = pending(participant).first()
    assert first.channel == Channel.EMAIL
    clock.go(first.due_at)
    dispatch()
    message = email_outbox[0]
    assert parseaddr(message.from_email) == ("Appointments team", "exeter@mail.example.org")
    assert message.reply_to == ["appointments.exeter@example.org"]
    assert message.subject == "Recordatorio de su cita"
    assert message.body.startswith("Hola, Zebedee:")
    assert "O llámenos al +44 1632 960001." in message.body
    assert "Unidad de Investigación Clínica, Barrack Road, Exeter" in message.body  # from protocols/kare.yaml
