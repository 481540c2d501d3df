"""Pages: biomarkers and questionnaires.

Each lists what is recorded for the participant and has a form to add one, written through the
service the API uses (:func:`outcomes.services.biomarker_record`,
:func:`outcomes.services.questionnaire_record`); a refusal appears next to its field and in the
summary (400, or 409 when the participant's data may not change).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path

from core.errors import Conflict, Invalid
from core.web import refused, staff_page
from outcomes import instruments, selectors, services
from outcomes.models import BIOMARKER_CHECK
from outcomes.views.measures_forms import BiomarkerForm, QuestionnaireForm, item_grid, running_total
from participants.selectors import participant_get
from review.queries import selectors as query_selectors


def _participant(request, study_id: str):
    return participant_get(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"))


@staff_page
def biomarkers(request, study_id: str):
    """The participant's samples (with their open data queries) and a form to record one."""
    participant = _participant(request, study_id)
    form = BiomarkerForm(
        request.POST if request.method == "POST" else None, visit_codes=selectors.visit_codes(participant=participant)
    )
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                sample = services.biomarker_record(actor=request.user, participant=participant, **form.cleaned_data)
            except (Invalid, Conflict) as error:
                refused(form, error)
                status = error.status
            else:
                result = "positive" if sample.positive else "negative"
                messages.success(
                    request, f"{sample.get_kind_display()} of {sample.taken_on:%-d %B %Y} saved: {result}."
                )
                return redirect(request.get_full_path())
    context = {
        "section": "participants",
        "participant": participant,
        "form": form,
        "may_enter": selectors.may_enter_outcomes(user=request.user, participant=participant),
        "samples": selectors.biomarkers(participant=participant),
        "queries": [
            q
            for q in query_selectors.participant_queries(user=request.user, participant=participant)
            if q.check_code == BIOMARKER_CHECK
        ],
    }
    return render(request, "outcomes/measures/biomarkers.html", context, status=status)


@staff_page
def questionnaires(request, study_id: str):
    """The participant's questionnaires and, for the instrument chosen (``?instrument=``), its item
    grid with the running total."""
    participant = _participant(request, study_id)
    spec = instruments.INSTRUMENTS.get(request.GET.get("instrument", ""))
    form = None
    status = 200
    if spec is not None:
        form = QuestionnaireForm(
            request.POST if request.method == "POST" else None,
            instrument=spec,
            visit_codes=selectors.visit_codes(participant=participant),
        )
    if form is not None and form.is_bound:
        status = 400
        if form.is_valid():
            try:
                response = services.questionnaire_record(
                    actor=request.user,
                    participant=participant,
                    instrument=spec.code,
                    administered_on=form.cleaned_data["administered_on"],
                    items=form.items(),
                    visit_code=form.cleaned_data["visit_code"],
                )
            except (Invalid, Conflict) as error:
                refused(form, error, field_names=form.field_names())
                status = error.status
            else:
                total = "no total" if response.total is None else f"total {response.total}"
                messages.success(request, f"{spec.title} of {response.administered_on:%-d %B %Y} saved: {total}.")
                trial = request.GET.get("trial")
                return redirect(request.path + (f"?{urlencode({'trial': trial})}" if trial else ""))
    context = {
        "section": "participants",
        "participant": participant,
        "instruments": instruments.INSTRUMENTS,
        "trial": request.GET.get("trial"),
        "spec": spec,
        "form": form,
        "max_missing": instruments.MAX_MISSING,
        "may_enter": selectors.may_enter_outcomes(user=request.user, participant=participant),
        "responses": [
            (r, instruments.INSTRUMENTS.get(r.instrument)) for r in selectors.questionnaires(participant=participant)
        ],
    }
    if form is not None:
        context["columns"], context["rows"] = item_grid(form)
        context["total"], context["missing"], context["prorated"] = running_total(form)
    return render(request, "outcomes/measures/questionnaires.html", context, status=status)


page_patterns = [
    path("participants/<str:study_id>/biomarkers/", biomarkers, name="biomarkers"),
    path("participants/<str:study_id>/questionnaires/", questionnaires, name="questionnaires"),
]
