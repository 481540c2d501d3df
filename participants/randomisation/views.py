"""Page: randomising a participant, in two steps. The first states what will happen and what the
protocol asks first; the confirmation (a POST) randomises once, through the service the API calls,
and the allocation is shown as :func:`participants.blinding.present` gives it to this user."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from core.db import one_to_one
from core.errors import Conflict, Invalid
from core.web import refused, staff_page
from participants import blinding, guards
from participants.casebook import display
from participants.enrolment.selectors import participant_loaded
from participants.enrolment.views import posted
from participants.models import ScreeningOutcome
from participants.randomisation import services

TEMPLATE = "participants/enrolment/randomise.html"


def _preconditions(participant) -> list[dict]:
    """What the protocol asks before randomising, each met or not, as the service will check it."""
    screening = participant.screening
    return [
        {
            "text": "Recorded as eligible at screening",
            "met": bool(screening) and screening.outcome == ScreeningOutcome.ELIGIBLE,
        },
        {"text": "Consented to the consent form in force", "met": guards.consent_is_current(participant)},
        {"text": "Baseline assessment complete", "met": participant.baseline_completed_on is not None},
        {"text": "Not withdrawn", "met": not participant.withdrawals.all()},
    ]


def allocation_message(participant, allocation, user, *, again: bool) -> str:
    """The allocation in words, as the presenter shows it to ``user``."""
    presented = blinding.present(allocation=allocation, user=user)
    levels = display.levels_shown(participant.trial.version_on().protocol, presented)
    words = "; ".join(f"{row['factor']}: {row['level']}" for row in levels)
    first = "was already randomised" if again else "is randomised"
    return f"{participant.study_id} {first} on {presented['allocated_on']:%d %B %Y}. {words}."


@staff_page
def randomise(request, study_id: str):
    """``/participants/<study_id>/randomise/``: GET asks to confirm; POST randomises (once) and goes
    back to the casebook with the allocation as this user may see it."""
    participant = participant_loaded(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"))
    existing = one_to_one(participant, "allocation")
    form = forms.Form(posted(request))
    status = 200
    if request.method == "POST" and form.is_valid():  # nothing to fill in: the POST is the confirmation
        try:
            # the service, even when randomised already: it checks the role first, and answers the allocation
            allocation = services.participant_randomise(actor=request.user, participant=participant)
        except (Invalid, Conflict) as error:
            refused(form, error)
            status = error.status
        else:
            messages.success(request, allocation_message(participant, allocation, request.user, again=bool(existing)))
            return redirect("web:casebook", study_id=participant.study_id)
    context = {
        "section": "participants",
        "participant": participant,
        "form": form,
        "allocation": existing,
        "preconditions": _preconditions(participant),
        "method": participant.trial.version_on().protocol.randomisation,
    }
    if existing is not None:
        presented = blinding.present(allocation=existing, user=request.user)
        context["presented"] = presented
        context["levels"] = display.levels_shown(participant.trial.version_on().protocol, presented)
    return render(request, TEMPLATE, context, status=status)
