"""Pages: the trials list and a trial's page for investigators and data managers.

The trial's page shows recruitment by site and month against the protocol's target, the endpoint
table as the user may see it (a page of participants at a time), the exports the user may download
(the same files, blinding and log as the API's, served from this page's own URL), a link to the
analysis report, and the trial's data locks, locked and unlocked with a reason by the roles the
lock services allow. Everything is read through the apps' selectors and the export policy, and
written through the lock services.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import permissions
from core.errors import DomainError, Forbidden, Invalid, NotFound
from core.roles import Role
from core.web import ReasonField, form_response, refused, staff_page
from outcomes import selectors
from outcomes.analysis import NothingToAnalyse
from outcomes.analysis.page import report_page
from outcomes.exports import DEFAULT_DATASETS, FORMATS, TABULAR_DATASETS, TABULAR_FORMATS, export_open
from outcomes.exports.log import export_log_report
from outcomes.exports.policy import export_scope, report_scope
from outcomes.exports_api import export_response
from outcomes.views.charts import recruitment_chart
from participants.blinding import presenter
from participants.enrolment.selectors import recruitment
from participants.locks import selectors as lock_selectors
from participants.locks import services as lock_services
from participants.selectors import participant_get
from review.queries.selectors import AGE_BANDS, query_metrics
from trials.selectors import trial_get, trials_visible

ENDPOINTS_PER_PAGE = 25
FORMAT_TITLES = {
    "csv": "CSV",
    "dta": "Stata",
    "sav": "SPSS",
    "xpt": "SAS transport",
    "dataset-json": "Dataset-JSON",
    "odm": "CDISC ODM (XML)",
}
DATASET_TITLES = {
    "endpoints": "Drinking endpoints, per participant and window",
    "adsl": "Subject level (ADaM ADSL)",
    "adtte": "Time to relapse (ADaM ADTTE)",
    "drinking": "Daily drinking records",
    "signatures": "Investigators' signatures, each valid or not",
    "dictionary": "Data dictionary of the tables above",
    "clinical": "Clinical data: visits, infusions, sessions, adverse events",
}


# --- the trials ---------------------------------------------------------------------------------


@staff_page
def trials(request):
    user = request.user
    rows = [
        {
            "trial": trial,
            "title": presenter.trial_title(user=user, trial=trial),
            "roles": sorted(Role(code).label for code in permissions.roles(user, trial=trial)),
        }
        for trial in trials_visible(user=user)
    ]
    return render(request, "outcomes/trial/trials.html", {"section": "trials", "rows": rows})


# --- the trial's page ---------------------------------------------------------------------------


def _endpoints(request, trial) -> dict:
    """A page of the randomised participants at the user's sites with their endpoints per window,
    and the factor columns the user sees for at least one of them."""
    user = request.user
    page = Paginator(selectors.randomised_visible(user=user, trial=trial), ENDPOINTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    ids = [p.pk for p in page]
    rows = selectors.endpoints_for_participants(user=user, trial=trial, participant_ids=ids) if ids else []
    protocol = trial.version_on().protocol
    seen = {code for row in rows for code in row.levels}
    factors = [f for f in protocol.factors if f.code in seen]
    for row in rows:
        row.shown_levels = [(f.title, row.levels.get(f.code, "")) for f in factors]
    return {"endpoint_page": page, "endpoint_rows": rows, "endpoint_factors": factors}


def _exports(user, trial, *, blinded: bool) -> dict:
    """The files the user may download, dataset by format, and whether they carry factor columns
    (``blinded``: the links ask for copies without any, for one whose files would carry some)."""
    try:
        scope = export_scope(user=user, trial=trial)
    except Forbidden:
        return {"exports": None, "may_report": False}
    blinded = blinded and bool(scope.factors)
    protocol = trial.version_on().protocol
    rows = [
        {
            "dataset": dataset,
            "title": DATASET_TITLES[dataset],
            "links": [
                {"format": fmt, "title": FORMAT_TITLES[fmt], "url": _export_url(trial, fmt, dataset, blinded)}
                for fmt in TABULAR_FORMATS
            ],
        }
        for dataset in TABULAR_DATASETS
    ]
    odm = {
        "title": DATASET_TITLES["clinical"],
        "format": FORMAT_TITLES["odm"],
        "url": _export_url(trial, "odm", "", blinded),
    }
    factors = [protocol.factor(code).title for code in scope.factors]
    try:
        may_report = bool(report_scope(user=user, trial=trial))
    except Forbidden:
        may_report = False
    return {"exports": {"rows": rows, "odm": odm, "factors": factors, "blinded": blinded}, "may_report": may_report}


def _export_url(trial, fmt: str, dataset: str, blinded: bool) -> str:
    query = "&".join(q for q in (f"dataset={dataset}" if dataset else "", "blinded=1" if blinded else "") if q)
    url = reverse("web:trial-export", args=[trial.code, fmt])
    return f"{url}?{query}" if query else url


def _locks(user, trial, *, lock_form=None, unlock_forms=None) -> dict:
    """The trial's locks as the user may see them, with the forms of one who may lock and unlock."""
    locks = list(lock_selectors.locks_of(user=user, trial=trial).select_related("unlocked_by"))
    may = lock_selectors.may_lock(user=user, trial=trial)
    unlock_forms = unlock_forms or {}
    for lock in locks:
        if may and lock.unlocked_at is None:
            lock.form = unlock_forms.get(lock.pk) or UnlockForm(prefix=f"unlock-{lock.pk}")
    return {
        "trial": trial,
        "locks": locks,
        "may_lock": may,
        "lock_form": (lock_form or LockForm(prefix="lock")) if may else None,
    }


@staff_page
def trial_page(request, code: str):
    user = request.user
    trial = trial_get(user=user, code=code)
    counts = recruitment(user=user, trial=trial)
    context = {
        "section": "trials",
        "trial": trial,
        "title": presenter.trial_title(user=user, trial=trial),
        "version": trial.version_on(),
        "recruitment": counts,
        "chart": recruitment_chart(counts),
        **_endpoints(request, trial),
        **_exports(user, trial, blinded=request.GET.get("exports") == "blinded"),
        **_locks(user, trial),
        "query_metrics": query_metrics(user=user, trial=trial),
        "age_bands": [label for label, _, _ in AGE_BANDS],
    }
    return render(request, "outcomes/trial/trial.html", context)


# --- downloads and the report -------------------------------------------------------------------


@staff_page
def trial_export(request, code: str, format: str):
    """One dataset as a file: :func:`outcomes.exports.export_open` decides what the user may export,
    with which factor columns, and logs it (``via`` web); the bytes are the API's."""
    trial = trial_get(user=request.user, code=code)
    if format not in FORMATS:
        raise NotFound(f"no export format {format!r}")
    dataset = request.GET.get("dataset") or DEFAULT_DATASETS[format][0]
    blinded = request.GET.get("blinded", "").lower() in ("1", "true")
    try:
        export = export_open(user=request.user, trial=trial, format=format, dataset=dataset, via="web", blinded=blinded)
    except Invalid as error:
        return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
    return export_response(export)


@staff_page
def trial_report(request, code: str):
    """The analysis report: unblinded only for one the export policy lets export every factor (and
    then the blinded one on asking), blinded for the others who may export every site; 403 for the
    rest (see :func:`outcomes.exports.policy.report_scope`)."""
    user = request.user
    trial = trial_get(user=user, code=code)
    may_unblind = report_scope(user=user, trial=trial).unblinded
    blinded = not may_unblind or request.GET.get("blinded") == "1"
    try:
        report = report_page(trial=trial, blinded=blinded)
    except NothingToAnalyse:
        report = None
    else:
        export_log_report(trial=trial, user=user, blinded=blinded, via="web", content=report.body.encode())
    context = {
        "section": "trials",
        "trial": trial,
        "title": presenter.trial_title(user=user, trial=trial),
        "report": report,
        "blinded": blinded,
        "may_unblind": may_unblind,
    }
    return render(request, "outcomes/trial/report.html", context)


# --- locks --------------------------------------------------------------------------------------


class LockForm(forms.Form):
    reason = ReasonField(label="Reason for locking", help_text="Kept in the audit trail with your name.")
    study_id = forms.CharField(
        label="Study id (optional)",
        required=False,
        max_length=20,
        help_text="Lock only this participant's data; leave it empty to lock the whole trial.",
    )


class UnlockForm(forms.Form):
    reason = ReasonField(label="Reason for unlocking", help_text="Kept in the audit trail with your name.")


def _locks_answer(request, trial, *, form, done: str = "", **forms_in_error):
    """The locks again: the section alone for htmx (400 when ``form`` has errors), else the page."""
    context = {**_locks(request.user, trial, **forms_in_error), "done": done}
    if request.htmx:
        return form_response(request, "outcomes/trial/_locks_body.html", context, form=form)
    if form.errors:
        context.update(section="trials", title=presenter.trial_title(user=request.user, trial=trial))
        return form_response(request, "outcomes/trial/locks.html", context, form=form)
    messages.success(request, done)
    return redirect(reverse("web:trial", args=[trial.code]) + "#locks")


@staff_page
@require_http_methods(["GET", "POST"])
def trial_locks(request, code: str):
    """The trial's locks; ``POST`` locks the trial, or one participant, with a reason."""
    user = request.user
    trial = trial_get(user=user, code=code)
    if request.method == "GET":
        context = {**_locks(user, trial), "section": "trials", "title": presenter.trial_title(user=user, trial=trial)}
        return render(request, "outcomes/trial/locks.html", context)
    form = LockForm(request.POST, prefix="lock")
    if form.is_valid():
        try:
            participant = None
            if form.cleaned_data["study_id"]:
                participant = _participant_or_field_error(user, trial, form)
            lock_services.data_lock(
                actor=user, trial=trial, participant=participant, reason=form.cleaned_data["reason"]
            )
        except Forbidden:
            raise
        except DomainError as error:
            if not form.errors:
                refused(form, error)
    if form.errors:
        return _locks_answer(request, trial, form=form, lock_form=form)
    what = form.cleaned_data["study_id"] or trial.code
    return _locks_answer(request, trial, form=form, done=f"{what}: data locked.")


def _participant_or_field_error(user, trial, form):
    try:
        return participant_get(user=user, study_id=form.cleaned_data["study_id"], trial_code=trial.code)
    except NotFound:
        form.add_error("study_id", "No participant with this study id at your sites.")
        raise Invalid("unknown participant") from None


@staff_page
@require_POST
def trial_unlock(request, code: str, pk: int):
    """Lift one lock of the trial, with a reason."""
    user = request.user
    trial = trial_get(user=user, code=code)
    lock = lock_selectors.lock_get(user=user, pk=pk)
    if lock.trial_id != trial.pk:
        raise NotFound("no such lock")
    form = UnlockForm(request.POST, prefix=f"unlock-{lock.pk}")
    if form.is_valid():
        try:
            lock_services.data_unlock(actor=user, lock=lock, reason=form.cleaned_data["reason"])
        except Forbidden:
            raise
        except DomainError as error:
            refused(form, error)
    if form.errors:
        return _locks_answer(request, trial, form=form, unlock_forms={lock.pk: form})
    what = lock.participant.study_id if lock.participant_id else trial.code
    return _locks_answer(request, trial, form=form, done=f"{what}: data unlocked.")


page_patterns = [
    path("trials/", trials, name="trials"),
    path("trials/<str:code>/", trial_page, name="trial"),
    path("trials/<str:code>/exports/<str:format>/", trial_export, name="trial-export"),
    path("trials/<str:code>/report/", trial_report, name="trial-report"),
    path("trials/<str:code>/locks/", trial_locks, name="trial-locks"),
    path("trials/<str:code>/locks/<id:pk>/unlock/", trial_unlock, name="trial-unlock"),
]
