"""Pages of the schedule: a visit, the infusion day and a therapy or education session.

Each page reads its appointment through the schedule's selectors (another site's is a 404), writes
through the same services as the API, and shows the drug, the dose and the programme only as
:mod:`participants.blinding.presenter` gives them to the person at the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from core.clock import today_at
from core.db import one_to_one
from core.errors import Conflict, Invalid
from core.web import form_response, refused, staff_page
from participants.schedule import forms, selectors, services


def _casebook(participant):
    return redirect("web:casebook", study_id=participant.study_id)


def _posted(request):
    return request.POST if request.method == "POST" else None


@staff_page
def visit(request, pk: int):
    """Record a visit (attended or missed); once recorded, correct its date with a reason."""
    appointment = selectors.appointment_page(user=request.user, pk=pk)
    participant = appointment.participant
    saved = one_to_one(appointment, "visit")
    if saved is None:
        form = forms.VisitForm(_posted(request), initial={"actual_date": today_at(participant.site), "attended": "yes"})
    else:
        form = forms.VisitChangeForm(_posted(request), initial={"actual_date": saved.actual_date})
    if request.method == "POST" and form.is_valid():
        try:
            if saved is None:
                services.visit_record(
                    actor=request.user, appointment=appointment, seen_by=request.user, **form.cleaned_data
                )
                done = f"{appointment.title}: the visit is recorded."
            else:
                services.visit_update(actor=request.user, visit=saved, **form.cleaned_data)
                done = f"{appointment.title}: the visit date is corrected."
        except (Invalid, Conflict) as error:
            refused(form, error)
        else:
            messages.success(request, done)
            return _casebook(participant)
    context = {"section": "participants", "appointment": appointment, "saved": saved, "form": form}
    return form_response(request, "participants/schedule/visit.html", context, form=form)
