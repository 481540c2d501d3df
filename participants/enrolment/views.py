"""Pages: screening with the protocol's eligibility checklist, enrolment, consent, the baseline, a
withdrawal, and the contact details.

Each page writes through the service the API calls (:mod:`participants.enrolment.services`); a
refusal comes back next to the field it names and in the summary at the top (400, or 409 for a
precondition of the protocol). A saved form goes back to the casebook with a message.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import redirect, render
from django.urls import reverse

from core.clock import today_at
from core.db import one_to_one
from core.errors import Conflict, Invalid
from core.web import form_response, refused, staff_page
from participants import guards
from participants.enrolment import forms, selectors, services
from participants.models import ScreeningOutcome
from trials.selectors import site_of_trial, sites_visible, trial_get, trials_visible

FORM_PAGE = "participants/enrolment/form_page.html"


def form_page(request, *, form, context: dict, save, done, template: str = FORM_PAGE):
    """Show ``form``; on a valid POST call ``save(cleaned_data)``, then ``done(result)`` gives the
    success message and where to go. A service's refusal is put on the form: 400, 409 for a
    conflict with the record's state."""
    context = {"section": "participants", **context, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except (Invalid, Conflict) as error:
            refused(form, error, field_names=getattr(form, "service_names", None))
            return render(request, template, context, status=error.status)
        message, to = done(result)
        messages.success(request, message)
        return redirect(to)
    return form_response(request, template, context, form=form)


def posted(request):
    """The form's data: the POST's (bound even when empty), or None on a GET."""
    return request.POST if request.method == "POST" else None


def _participant(request, study_id: str):
    return selectors.participant_loaded(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"))


def _today(sites) -> dt.date:
    return min((today_at(s) for s in sites), default=dt.date.today())


@staff_page
def screening_new(request):
    """``/screenings/new/``: the checklist of the trial's protocol in force (``?trial=`` when the
    user works on several trials: they choose one first)."""
    trials = list(trials_visible(user=request.user))
    code = request.GET.get("trial") or (trials[0].code if len(trials) == 1 else "")
    if not code:
        context = {"section": "participants", "trials": trials}
        return render(request, "participants/enrolment/screening_trial.html", context)
    trial = trial_get(user=request.user, code=code)
    sites = list(sites_visible(user=request.user, trial=trial))
    form = forms.ScreeningForm(
        posted(request),
        sites=sites,
        criteria=trial.version_on().protocol.eligibility.criteria,
        initial={"screened_on": _today(sites)},
    )
    form.service_names = form.field_names()

    def save(data):
        return services.screening_record(
            actor=request.user,
            site=site_of_trial(user=request.user, trial_code=trial.code, site_code=data["site"]),
            screened_on=data["screened_on"],
            answers=form.answers(),
            outcome=data["outcome"] or None,
            outcome_text=data["outcome_text"],
        )

    def done(screening):
        return f"Screening {screening.number} recorded: {screening.get_outcome_display()}.", screening_url(screening)

    context = {"title": "Screen a person", "trial": trial, "submit": "Record the screening"}
    return form_page(
        request, form=form, context=context, save=save, done=done, template="participants/enrolment/screening_new.html"
    )


def screening_url(screening) -> str:
    return reverse("web:screening", kwargs={"pk": screening.pk})


def casebook_url(participant) -> str:
    return reverse("web:casebook", kwargs={"study_id": participant.study_id})


@staff_page
def screening(request, pk: int):
    """``/screenings/<pk>/``: the outcome, criterion by criterion, and the way on to enrolment."""
    found = selectors.screening_get(user=request.user, pk=pk)
    protocol = found.protocol_version.protocol
    rows = []
    for criterion in protocol.eligibility.criteria:
        answer = found.answers.get(criterion.code)
        rows.append(
            {
                "criterion": criterion,
                "answer": "Yes" if answer else "No",
                "failed": criterion.code in found.failed_criteria,
            }
        )
    context = {
        "section": "participants",
        "screening": found,
        "rows": rows,
        "participant": one_to_one(found, "participant"),
        "eligible": found.outcome == ScreeningOutcome.ELIGIBLE,
    }
    return render(request, "participants/enrolment/screening.html", context)


@staff_page
def enrol(request, pk: int):
    """``/screenings/<pk>/enrol/``: the participant, their identity and first consent."""
    found = selectors.screening_get(user=request.user, pk=pk)
    if (enrolled := one_to_one(found, "participant")) is not None:
        messages.info(request, f"Screening {found.number} is already enrolled as {enrolled.study_id}.")
        return redirect("web:casebook", study_id=enrolled.study_id)
    protocol = found.trial.version_on().protocol
    form = forms.EnrolForm(
        posted(request),
        consent_forms=protocol.consent_forms,
        initial={"consent_form_version": protocol.current_consent_form().version, "consented_on": _today([found.site])},
    )

    def save(data):
        return services.participant_enrol(actor=request.user, screening=found, **data)

    def done(participant):
        return f"{participant.study_id} enrolled.", casebook_url(participant)

    context = {
        "title": f"Enrol from screening {found.number}",
        "lede": f"{found.trial.code}, {found.site.name}: screened on {found.screened_on.day} {found.screened_on:%B %Y}",
        "screening": found,
        "eligible": found.outcome == ScreeningOutcome.ELIGIBLE,
        "submit": "Enrol",
    }
    return form_page(
        request, form=form, context=context, save=save, done=done, template="participants/enrolment/enrol.html"
    )


def _back(participant, message: str):
    return message, casebook_url(participant)


@staff_page
def consent(request, study_id: str):
    """``/participants/<study_id>/consent/``: a (re-)consent to a version of the consent form."""
    participant = _participant(request, study_id)
    protocol = participant.trial.version_on().protocol
    current = protocol.current_consent_form()
    form = forms.ConsentForm(
        posted(request),
        consent_forms=protocol.consent_forms,
        initial={"form_version": current.version, "consented_on": _today([participant.site])},
    )

    def save(data):
        return services.consent_record(actor=request.user, participant=participant, **data)

    context = {
        "title": "Record a consent",
        "participant": participant,
        "consent_form": current,
        "consent_current": guards.consent_is_current(participant),
        "submit": "Record the consent",
        "intro": "participants/enrolment/consent_intro.html",
    }
    return form_page(
        request,
        form=form,
        context=context,
        save=save,
        done=lambda c: _back(participant, f"Consent to form {c.form_version} recorded."),
    )


@staff_page
def baseline(request, study_id: str):
    """``/participants/<study_id>/baseline/``: the baseline assessment's date and weight."""
    participant = _participant(request, study_id)
    form = forms.BaselineForm(posted(request), initial={"completed_on": _today([participant.site])})

    def save(data):
        return services.baseline_complete(actor=request.user, participant=participant, **data)

    context = {"title": "Record the baseline", "participant": participant, "submit": "Save the baseline"}
    return form_page(request, form=form, context=context, save=save, done=lambda p: _back(p, "Baseline recorded."))


@staff_page
def withdraw(request, study_id: str):
    """``/participants/<study_id>/withdraw/``: a withdrawal, its scope, date and reason."""
    participant = _participant(request, study_id)
    form = forms.WithdrawalForm(posted(request), initial={"withdrawn_on": _today([participant.site])})

    def save(data):
        return services.withdrawal_record(actor=request.user, participant=participant, **data)

    context = {
        "title": "Record a withdrawal",
        "participant": participant,
        "submit": "Record the withdrawal",
        "intro": "participants/enrolment/withdraw_intro.html",
    }
    return form_page(
        request,
        form=form,
        context=context,
        save=save,
        done=lambda w: _back(participant, f"Withdrawal recorded: {w.get_scope_display().lower()}."),
    )


@staff_page
def contact(request, study_id: str):
    """``/participants/<study_id>/contact/``: the name and contact details, changed with a reason by
    the roles that may read them (403 for the others)."""
    participant = _participant(request, study_id)
    try:
        identity = selectors.identity_get(user=request.user, participant=participant)
    except ObjectDoesNotExist:  # brought in from before the tracker without one: the form records it
        identity = None
    initial = {name: getattr(identity, name) for name in services.IDENTITY_FIELDS} if identity else {}
    form = forms.ContactForm(posted(request), initial=initial)

    def save(data):
        return services.identity_update(
            actor=request.user, participant=participant, reason=data["reason"], **form.changes()
        )

    context = {"title": "Name and contact details", "participant": participant, "submit": "Save the changes"}
    return form_page(
        request, form=form, context=context, save=save, done=lambda i: _back(participant, "Contact details saved.")
    )
