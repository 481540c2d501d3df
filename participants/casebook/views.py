"""Pages: the list of participants at the user's sites, and a participant's casebook.

Both read through the enrolment, schedule and safety selectors, and show an allocation only as
:func:`participants.blinding.present` gives it, exactly as the API's participant list does; a
filter or ordering on a factor the user may not see everywhere is refused by the same check
(:func:`participants.blinding.check_query`, inside the list's selector).
"""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render

from core import permissions
from core.errors import Invalid
from core.roles import RANDOMISE, RECORD_WITHDRAWAL, SCREEN_AND_ENROL
from core.web import form_response, refused, staff_page
from participants import blinding, guards
from participants.blinding import presenter
from participants.casebook import display
from participants.casebook.selectors import casebook_get
from participants.enrolment import selectors as enrolment
from participants.models import AppointmentStatus
from participants.schedule.selectors import display_status
from review.panels import casebook_signatures
from review.queries import selectors as query_selectors

PAGE_SIZE = 25
ORDERINGS = [("study_id", "Study id"), ("-enrolled_on", "Most recently enrolled"), ("site", "Site")]
LIST_PARAMS = ("search", "trial", "site", "status", "ordering")


class ParticipantFilterForm(forms.Form):
    """The list's filters: the trials and sites are the user's own; a factor appears only when the
    user may see it at every one of their sites in the chosen trial."""

    search = forms.CharField(label="Study id", required=False, max_length=40)
    trial = forms.ChoiceField(label="Trial", required=False)
    site = forms.ChoiceField(label="Site", required=False)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any")] + [(s, s.capitalize()) for s in enrolment.STATUSES]
    )
    ordering = forms.ChoiceField(label="Order by", required=False, choices=ORDERINGS)

    def __init__(self, data, *, user, trial=None):
        super().__init__(data)
        sites = sorted({m.site for m in permissions.memberships(user)}, key=lambda s: (s.trial.code, s.code))
        trials = sorted({s.trial for s in sites}, key=lambda t: t.code)
        self.fields["trial"].choices = [("", "All your trials")] + [(t.code, t.code) for t in trials]
        self.fields["site"].choices = [("", "All your sites")] + [
            (s.code, f"{s.name} ({s.trial.code})" if len(trials) > 1 else s.name) for s in sites
        ]
        if trial is not None:
            protocol = trial.version_on().protocol
            for code in sorted(blinding.factors_visible_everywhere(user=user, trial=trial)):
                factor = protocol.factor(code)
                self.fields[code] = forms.ChoiceField(
                    label=factor.title or code,
                    required=False,
                    choices=[("", "Any")] + [(lv.code, lv.title) for lv in factor.levels],
                )


def _list_params(request, trials) -> dict[str, str]:
    """The query the list's selector is given: the filters asked for, with the user's one trial
    chosen when they have only one (so its visible factors can be filtered on)."""
    params = {k: v for k, v in request.GET.items() if k != "page" and v.strip()}
    if "trial" not in params and len(trials) == 1:
        params["trial"] = next(iter(trials)).code
    return params


@staff_page
def participant_list(request):
    """``/participants/``: a page of the participants at the user's sites, filtered and ordered."""
    trials = {m.site.trial for m in permissions.memberships(request.user)}
    params = _list_params(request, trials)
    trial = next((t for t in trials if t.code == params.get("trial")), None)
    form = ParticipantFilterForm(params, user=request.user, trial=trial)
    form.is_valid()
    rows, page = [], None
    try:
        found = enrolment.participants_page(user=request.user, params=params)
        page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = _rows(request.user, page)
    except Invalid as error:
        refused(form, error)
    context = {"section": "participants", "form": form, "page": page, "rows": rows, "several_trials": len(trials) > 1}
    return form_response(request, "participants/casebook/list.html", context, form=form)


def _rows(user, page) -> list[dict]:
    # One Trial instance per trial, so the version in force is read once for the page, and
    # blinding decided once per site: a page costs the same few queries whatever its size.
    trials: dict[int, object] = {}
    per_site: dict = {}
    rows = []
    for p in page:
        p.trial = trials.setdefault(p.trial_id, p.trial)
        allocation = getattr(p, "allocation", None)  # loaded with the page; None before randomisation
        presented = blinding.present(allocation=allocation, user=user, per_site=per_site) if allocation else None
        status = enrolment.participant_status(p)
        rows.append(
            {
                "participant": p,
                "status": status,
                "tag": display.STATUS_TAGS[status],
                "consent_current": guards.consent_is_current(p),
                "levels": display.levels_shown(p.trial.version_on().protocol, presented) if presented else [],
            }
        )
    return rows


@staff_page
def casebook(request, study_id: str):
    """``/participants/<study_id>/``: everything about one participant, as the user may see it."""
    # Who sees which factor at the participant's site is decided once for the page.
    per_site: dict = {}
    book = casebook_get(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"), per_site=per_site)
    participant = book.participant
    protocol = participant.trial.version_on().protocol
    presented = (
        blinding.present(allocation=book.allocation, user=request.user, per_site=per_site) if book.allocation else None
    )
    context = {
        "section": "participants",
        "book": book,
        "participant": participant,
        "status": enrolment.participant_status(participant),
        "consent_form": protocol.current_consent_form(),
        "consent_current": guards.consent_is_current(participant),
        "presented": presented,
        "levels": display.levels_shown(protocol, presented) if presented else [],
        "timeline": _timeline(book),
        "deviations": [
            (d, presenter.deviation_description(d, user=request.user, per_site=per_site)) for d in book.deviations
        ],
        "history": display.history_rows(book.history),
        "may": _may(request.user, participant.site),
        **casebook_signatures(user=request.user, participant=participant),
        "review_queries": query_selectors.casebook_queries(user=request.user, participant=participant),
    }
    context["tag"] = display.STATUS_TAGS[context["status"]]
    return render(request, "participants/casebook/casebook.html", context)


def _may(user, site) -> dict[str, bool]:
    """Which of the casebook's forms the user's roles at ``site`` let them use (the services refuse
    the others anyway): links to forms that would only answer 403 are left out."""
    return {
        "enrol": permissions.has_role(user, SCREEN_AND_ENROL, site=site),
        "randomise": permissions.has_role(user, RANDOMISE, site=site),
        "withdraw": permissions.has_role(user, RECORD_WITHDRAWAL, site=site),
    }


def _timeline(book) -> list[dict]:
    """The schedule's rows in order, with a row marking today before the first appointment booked
    after it (at the end when none is)."""
    rows: list[dict] = []
    marked = False
    for appointment in book.appointments:
        if not marked and appointment.booked_date > book.today:
            rows.append({"today": True})
            marked = True
        status = display_status(appointment, book.today)
        visit = getattr(appointment, "visit", None)
        rows.append(
            {
                "appointment": appointment,
                "status": status,
                "tag": display.STATUS_TAGS.get(status, "muted"),
                "visit": visit,
                "form": display.form_of(appointment.kind),
                "is_today": appointment.booked_date == book.today,
                "bookable": appointment.status == AppointmentStatus.SCHEDULED,
            }
        )
    if not marked and rows:
        rows.append({"today": True})
    return rows
