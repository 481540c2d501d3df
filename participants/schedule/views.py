"""Pages of the schedule: an appointment's booking, a visit, the infusion day and a therapy or
education session.

Each page reads its appointment through the schedule's selectors (another site's is a 404), writes
through the same services as the API, and shows the drug, the dose and the programme only as
:mod:`participants.blinding.presenter` gives them to the person at the form.
"""

from __future__ import annotations

import zoneinfo
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from core.clock import today_at
from core.db import one_to_one
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.web import form_response, refused, staff_page
from participants.blinding import presenter
from participants.models import AppointmentStatus
from participants.schedule import forms, selectors, services
from participants.selectors import staff_at, staff_member
from review.panels import visit_signatures
from trials.protocol import EventKind


def _casebook(participant):
    return redirect("web:casebook", study_id=participant.study_id)


def _posted(request):
    return request.POST if request.method == "POST" else None


def _back(request, participant) -> str:
    """Where a form returns to: the page it was opened from (``next``, a path of this site, as the
    dashboard and the casebook give it), else the participant's casebook."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back.startswith("/") and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return reverse("web:casebook", args=[participant.study_id])


@staff_page
def booking(request, pk: int):
    """Book an appointment: its date, time and place, with the window beside them and a reason
    asked for a date outside it. Writes through the booking service as the API does; returns to
    the dashboard or the casebook it was opened from."""
    appointment = selectors.appointment_get(user=request.user, pk=pk)
    participant = appointment.participant
    initial = {
        "booked_date": appointment.booked_date,
        "booked_time": appointment.booked_time,
        "place": appointment.place or participant.site.name,
    }
    window = (appointment.window_start, appointment.window_end)
    form = forms.BookingForm(_posted(request), initial=initial, window=window)
    back = _back(request, participant)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(actor=request.user, appointment=appointment, **form.cleaned_data)
        except (Invalid, Conflict) as error:
            refused(form, error)
        else:
            messages.success(request, f"{participant.study_id} {appointment.title}: the booking is saved.")
            return redirect(back)
    context = {
        "section": "participants",
        "appointment": appointment,
        "form": form,
        "open": appointment.status == AppointmentStatus.SCHEDULED,
        "places": selectors.places_at(site=participant.site),
        "back": back,
    }
    return form_response(request, "participants/schedule/booking.html", context, form=form)


@staff_page
def visit(request, pk: int):
    """Record a visit (attended or missed); once recorded, correct its date with a reason."""
    appointment = selectors.appointment_page(user=request.user, pk=pk)
    participant = appointment.participant
    saved = one_to_one(appointment, "visit")
    if saved is None:
        initial = {"actual_date": today_at(participant.site), "attended": "yes", "seen_by": request.user.get_username()}
        form = forms.VisitForm(_posted(request), initial=initial, staff=staff_at(site=participant.site))
    else:
        initial = {"actual_date": saved.actual_date, "missed_reason": saved.missed_reason}
        form = forms.VisitChangeForm(_posted(request), initial=initial, missed=not saved.attended)
    if request.method == "POST" and form.is_valid():
        try:
            if saved is None:
                values = dict(form.cleaned_data)
                who = values["seen_by"]
                values["seen_by"] = staff_member(site=participant.site, username=who) if who else request.user
                if values["seen_by"] is None:  # left the site since the page opened
                    raise Invalid("unknown person", fields={"seen_by": ["No such person at this site."]})
                services.visit_record(actor=request.user, appointment=appointment, **values)
                done = f"{appointment.title}: the visit is recorded."
            else:
                services.visit_update(actor=request.user, visit=saved, **form.cleaned_data)
                done = f"{appointment.title}: the visit is corrected."
        except (Invalid, Conflict) as error:
            refused(form, error)
        else:
            messages.success(request, done)
            return _casebook(participant)
    context = {"section": "participants", "appointment": appointment, "saved": saved, "form": form}
    if saved is not None:
        context |= visit_signatures(user=request.user, appointment=appointment)
    return form_response(request, "participants/schedule/visit.html", context, form=form)


def _infusion_appointment(request, pk: int):
    appointment = selectors.appointment_page(user=request.user, pk=pk)
    protocol = selectors.protocol_of(appointment)
    if protocol.dosing is None or appointment.kind != EventKind.INFUSION:
        raise NotFound("this appointment is not an infusion visit")
    return appointment, protocol


def _recorded_infusion(request, appointment, infusion, protocol):
    """The infusion day already recorded: what was saved, the drug as this person may see it, the
    readings past the protocol's thresholds and the adverse events recorded for them, and the form
    that corrects the infusion with a reason (the dose given only for one who may see the drug)."""
    drug = presenter.infusion_drug(infusion=infusion, user=request.user)
    zone = zoneinfo.ZoneInfo(appointment.participant.site.time_zone)
    vitals = list(infusion.vitals.all())
    correction = forms.InfusionCorrectionForms(
        _posted(request),
        infusion=infusion,
        vitals=vitals,
        zone=zone,
        safety=protocol.dosing.safety,
        dose_given=drug["dose_mg"] is not None,
    )
    if request.method == "POST" and correction.is_valid():
        arguments = correction.service_arguments(
            saved_date=infusion.visit.actual_date, zone=zone, vitals_reading=services.VitalsReading
        )
        try:
            services.infusion_update(actor=request.user, infusion=infusion, **arguments)
        except (Invalid, Conflict, Forbidden) as error:  # a weight only one who sees the drug corrects
            correction.refused(error)
        else:
            messages.success(request, f"{appointment.title}: the infusion is corrected.")
            return redirect("web:infusion-day", pk=appointment.pk)
    context = {
        "section": "participants",
        "appointment": appointment,
        "infusion": infusion,
        "drug": drug,
        "vitals": vitals,
        "correction": correction,
        "adverse_events": list(infusion.adverse_events.all()),
        "session": one_to_one(infusion.visit, "session"),
        "programme": presenter.programme(appointment=appointment, user=request.user)
        if selectors.has_session(appointment)
        else None,
    }
    status = 400 if correction.has_errors else 200
    return render(request, "participants/schedule/infusion_recorded.html", context, status=status)


@staff_page
def infusion_day(request, pk: int):
    """The infusion day in one form: the visit, the infusion with the dose for those who may see
    the drug, the vitals grid warning of readings past the protocol's thresholds, and the session
    when the event pairs one. A reading past a threshold leads to the adverse event's form."""
    appointment, protocol = _infusion_appointment(request, pk)
    participant = appointment.participant
    saved_visit = one_to_one(appointment, "visit")
    infusion = one_to_one(saved_visit, "infusion") if saved_visit else None
    if infusion is not None:
        return _recorded_infusion(request, appointment, infusion, protocol)
    preview = presenter.infusion_preview(appointment=appointment, user=request.user, dose_for=services.dose_for)
    session_due = selectors.has_session(appointment) and (
        saved_visit is None or one_to_one(saved_visit, "session") is None
    )
    day = forms.InfusionDayForms(
        request.POST if request.method == "POST" else None,
        today=today_at(participant.site),
        safety=protocol.dosing.safety,
        dose_url=reverse("web:infusion-dose", args=[appointment.pk]) if preview["dose_visible"] else "",
        visit_needed=saved_visit is None,
        session_number=selectors.next_session_number(participant=participant) if session_due else None,
    )
    if request.method == "POST" and day.is_valid():
        arguments = day.service_arguments(
            saved_date=saved_visit.actual_date if saved_visit else None,
            zone=zoneinfo.ZoneInfo(participant.site.time_zone),
            vitals_reading=services.VitalsReading,
        )
        try:
            recorded = services.infusion_day_record(actor=request.user, appointment=appointment, **arguments)
        except (Invalid, Conflict) as error:
            day.refused(error)
        else:
            if recorded.safety_flags:
                messages.warning(
                    request,
                    "The infusion day is recorded. A reading passed the protocol's safety threshold: "
                    "record the adverse event.",
                )
                return redirect("web:infusion-day", pk=appointment.pk)
            messages.success(request, f"{appointment.title}: the infusion day is recorded.")
            return _casebook(participant)
    context = {
        "section": "participants",
        "appointment": appointment,
        "saved_visit": saved_visit,
        "day": day,
        "preview": preview,
        "weight_range": protocol.dosing.weight_kg,
        "programme": presenter.programme(appointment=appointment, user=request.user) if session_due else None,
    }
    return render(request, "participants/schedule/infusion_day.html", context, status=400 if day.has_errors else 200)


@staff_page
def infusion_dose(request, pk: int):
    """The dose the infusion service would compute for the weight typed (``weight_kg``), for one who
    may see the drug; a 404 for anyone else, so the page of one blinded never asks for it."""
    appointment, protocol = _infusion_appointment(request, pk)
    try:
        weight = Decimal(request.GET.get("weight_kg", "").strip())
    except InvalidOperation:
        weight = None
    if weight is not None and not weight.is_finite():
        weight = None
    preview = presenter.infusion_preview(
        appointment=appointment, user=request.user, dose_for=services.dose_for, weight_kg=weight
    )
    if not preview["dose_visible"]:
        raise NotFound("no such page")
    context = {"preview": preview, "weight": weight, "weight_range": protocol.dosing.weight_kg}
    return render(request, "participants/schedule/_dose.html", context)


@staff_page
def session(request, pk: int):
    """Record the therapy or education session of a visit whose event pairs one, the programme
    named as this person may see it; once recorded it is shown as saved, with the form that
    corrects it with a reason."""
    appointment = selectors.appointment_page(user=request.user, pk=pk)
    if not selectors.has_session(appointment):
        raise NotFound("this appointment has no session")
    participant = appointment.participant
    saved_visit = one_to_one(appointment, "visit")
    saved = one_to_one(saved_visit, "session") if saved_visit else None
    form = None
    if saved is not None:
        initial = {"attended": "yes" if saved.attended else "no", "session_number": saved.session_number}
        form = forms.SessionChangeForm(_posted(request), initial={**initial, "minutes": saved.minutes})
    elif saved_visit is not None:
        initial = {"attended": "yes", "session_number": selectors.next_session_number(participant=participant)}
        form = forms.SessionForm(_posted(request), initial=initial)
    if form is not None and request.method == "POST" and form.is_valid():
        try:
            if saved is None:
                services.session_record(actor=request.user, appointment=appointment, **form.cleaned_data)
                done = f"{appointment.title}: the session is recorded."
            else:
                services.session_update(actor=request.user, session=saved, **form.cleaned_data)
                done = f"{appointment.title}: the session is corrected."
        except (Invalid, Conflict) as error:
            refused(form, error)
        else:
            messages.success(request, done)
            return _casebook(participant)
    context = {
        "section": "participants",
        "appointment": appointment,
        "saved_visit": saved_visit,
        "saved": saved,
        "form": form,
        "programme": presenter.programme(appointment=appointment, user=request.user),
    }
    return form_response(request, "participants/schedule/session.html", context, form=form)
