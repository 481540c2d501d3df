"""The data monitoring committee's reports in the browser: the open report (pooled over the arms)
for anyone who may read the trial's reports, the closed one (by arm) only for one who may see every
factor, each at a data cut-off the reader chooses, as a page and as a PDF to download.

Who may read which is :func:`outcomes.exports.policy.report_scope`, as for the analysis report and
the ``dmc_report`` command; each report given is recorded in the export log (``via`` web). A
cut-off that is not a date, in the future or before the first randomisation is answered 400 with
the form and its message; a closed report asked for by someone blinded, 403.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.text import slugify

from core.errors import Forbidden, Invalid
from core.web import staff_page
from outcomes.analysis.committee import NothingRandomised, PdfUnavailable, cutoff_check, write_committee_report
from outcomes.analysis.page import fragment
from outcomes.exports.log import export_log_committee
from outcomes.exports.policy import report_scope
from participants.blinding import presenter
from trials.selectors import trial_get


class CutoffForm(forms.Form):
    report = forms.ChoiceField(
        label="Report",
        choices=[("open", "Open: pooled over the arms"), ("closed", "Closed: by arm")],
        initial="open",
        widget=forms.RadioSelect,
    )
    cutoff = forms.DateField(
        label="Data cut-off",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only what is dated on or before it is read. Empty: today.",
    )


def _asked(request, trial, user):
    """The form, whether the closed report is asked for, and the checked cut-off (None with errors)."""
    form = CutoffForm(request.GET or None, initial={"report": "open"})
    may_close = report_scope(user=user, trial=trial).unblinded
    if request.GET and not form.is_valid():
        return form, may_close, False, None
    closed = form.is_bound and form.cleaned_data["report"] == "closed"
    if closed and not may_close:
        raise Forbidden("the closed report shows every figure by arm: it is only for those who may see every factor")
    try:
        cutoff = cutoff_check(trial, form.cleaned_data.get("cutoff") if form.is_bound else None)
    except Invalid as error:
        for message in error.fields.get("cutoff", [error.message]):
            form.add_error("cutoff", message)
        return form, may_close, closed, None
    return form, may_close, closed, cutoff


def _given(trial, user, closed: bool, written, format: str, content: bytes) -> None:
    """Record the report given, as the command does, with ``via`` web."""
    export_log_committee(
        trial=trial,
        user=user,
        closed=closed,
        cutoff=written.cutoff,
        randomised=written.randomised,
        format=format,
        via="web",
        content=content,
    )


@staff_page
def committee_report(request, code: str):
    """The report as a page, its pictures inline; 400 with the form for a bad cut-off."""
    user = request.user
    trial = trial_get(user=user, code=code)
    context = {"section": "trials", "trial": trial, "title": presenter.trial_title(user=user, trial=trial)}
    try:
        form, may_close, closed, cutoff = _asked(request, trial, user)
    except NothingRandomised:
        return render(request, "outcomes/trial/committee.html", {**context, "empty": True})
    context.update(form=form, may_close=may_close, closed=closed, cutoff=cutoff)
    if cutoff is None:
        return render(request, "outcomes/trial/committee.html", context, status=400 if form.errors else 200)
    with tempfile.TemporaryDirectory(prefix="committee-") as folder:
        written = write_committee_report(trial=trial, out_dir=folder, closed=closed, cutoff=cutoff)
        report = fragment(written.html, blinded=not closed)
    _given(trial, user, closed, written, "html", report.body.encode())
    query = f"report={'closed' if closed else 'open'}&cutoff={cutoff.isoformat()}"
    return render(request, "outcomes/trial/committee.html", {**context, "report": report, "query": query})


@staff_page
def committee_report_pdf(request, code: str):
    """The report as a PDF to download (503 when the server cannot lay out PDFs)."""
    user = request.user
    trial = trial_get(user=user, code=code)
    try:
        form, _, closed, cutoff = _asked(request, trial, user)
    except NothingRandomised as error:
        return HttpResponse(str(error), status=404, content_type="text/plain; charset=utf-8")
    if cutoff is None:
        problems = "; ".join(m for messages in form.errors.values() for m in messages)
        return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")
    with tempfile.TemporaryDirectory(prefix="committee-") as folder:
        try:
            written = write_committee_report(trial=trial, out_dir=folder, closed=closed, cutoff=cutoff, pdf=True)
        except PdfUnavailable as error:
            return HttpResponse(str(error), status=503, content_type="text/plain; charset=utf-8")
        content = Path(written.pdf).read_bytes()
    _given(trial, user, closed, written, "pdf", content)
    name = f"{slugify(trial.code)}-dmc-{'closed' if closed else 'open'}-{cutoff.isoformat()}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


page_patterns = [
    path("trials/<str:code>/committee/", committee_report, name="trial-committee"),
    path("trials/<str:code>/committee/pdf/", committee_report_pdf, name="trial-committee-pdf"),
]
