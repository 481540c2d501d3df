"""The review's pages: the monitor's progress (``/monitoring/``) and a participant's records to
verify (``/participants/<study id>/monitoring/``, a Verify button per form and per item, htmx), the
investigator's list (``/signing/``) and the signing page (``/participants/<study id>/sign/``).

They read through the review's selectors, write through its services, and show records through
:mod:`review.display`, exactly as the API does; a hidden item never reaches a page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from core import permissions
from core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from core.roles import SIGN_RECORDS, VERIFY_SOURCE
from core.web import form_response, refused, staff_page
from review import display, signing, verification
from review.models import MEANING_TEXT, SignatureMeaning
from review.selectors import appointment_get, participant_get, participants_at
from review.signing import digests
from review.verification import records_by_participant

NEXT_SHOWN = 25


def _participant(request, study_id: str):
    return participant_get(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"))


@staff_page
def monitoring(request):
    """``/monitoring/``: progress per site and participant of the user's trials, what changed since
    it was verified and what to verify next."""
    trials = sorted({m.site.trial for m in permissions.memberships(request.user)}, key=lambda t: t.code)
    chosen = next((t for t in trials if t.code == request.GET.get("trial")), trials[0] if trials else None)
    context = {"section": "monitoring", "trials": trials, "trial": chosen}
    if chosen is not None:
        people = {p.pk: p for p in participants_at(user=request.user, trial=chosen)}
        found = verification.progress(verification.states_of(user=request.user, participants=people.values()), people)
        sites = {p.site_id: p.site for p in people.values()}
        context |= {
            "sites": [(sites[pk], p) for pk, p in sorted(found["sites"].items(), key=lambda kv: sites[kv[0]].code)],
            "participants": [(people[pk], p) for pk, p in found["participants"].items()],
            "changed": [display.record_row(s, request.user) for s in found["changed"]],
            "to_verify": [display.record_row(s, request.user) for s in found["to_verify"][:NEXT_SHOWN]],
            "to_verify_total": len(found["to_verify"]),
        }
    return render(request, "review/monitoring.html", context)


class VerifyForm(forms.Form):
    kind = forms.CharField(max_length=40)
    record_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    item = forms.CharField(max_length=60, required=False)


@staff_page
def participant_monitoring(request, study_id: str):
    """``/participants/<study id>/monitoring/``: every record of the plan (every record with
    ``?show=all``) with its state and, for a monitor at the site, a Verify button per form and, once
    the record's items are opened (``?open=<kind>-<id>``), per item. A POST verifies; an htmx POST
    answers the record's row alone."""
    participant = _participant(request, study_id)
    error = None
    verified = None
    if request.method == "POST":
        form = VerifyForm(request.POST)
        if not form.is_valid():
            raise Invalid("not a record to verify", fields={k: list(v) for k, v in form.errors.items()})
        v = form.cleaned_data
        try:
            verification.record_verify(actor=request.user, kind=v["kind"], pk=v["record_id"], item=v["item"])
            verified = (v["kind"], v["record_id"])
        except (Invalid, Conflict) as refusal:
            error = refusal.message
        if not request.htmx and error is None:
            messages.success(request, "Verified against the source.")
            anchor = f"{v['kind']}-{v['record_id']}"
            opening = f"?open={anchor}" if v["item"] else ""
            return redirect(f"{request.path}{opening}#record-{anchor}")
    states = verification.states_of(user=request.user, participants=[participant])[participant.pk]
    show_all = request.GET.get("show") == "all"
    posted_item = request.method == "POST" and v["item"]
    opened = request.GET.get("open") or (f"{v['kind']}-{v['record_id']}" if posted_item else "")
    rows = [display.record_row(s, request.user) for s in states if show_all or s.plan or s.mark or s.items]
    for row in rows:
        row["open"] = f"{row['kind']}-{row['record_id']}" == opened
    may_verify = permissions.has_role(request.user, VERIFY_SOURCE, site=participant.site)
    if request.htmx and request.method == "POST":
        row = next((r for r in rows if (r["kind"], r["record_id"]) == (v["kind"], v["record_id"])), None)
        if row is None:
            raise NotFound("no such record")
        context = {"row": row, "participant": participant, "may_verify": may_verify, "error": error}
        return render(request, "review/_record_row.html", context, status=400 if error else 200)
    progress = verification.progress({participant.pk: states}, {participant.pk: participant})
    context = {
        "section": "participants",
        "participant": participant,
        "rows": rows,
        "show_all": show_all,
        "progress": progress["participants"][participant.pk],
        "may_verify": may_verify,
        "error": error,
        "verified": verified,
    }
    return render(request, "review/participant_monitoring.html", context, status=400 if error else 200)


@staff_page
def to_sign(request):
    """``/signing/``: the casebooks and visits at the user's sites as investigator that were never
    signed or whose signature went invalid."""
    people = signing.signable_participants(user=request.user)
    rows = signing.unsigned(user=request.user, participants=people)
    return render(request, "review/to_sign.html", {"section": "signing", "rows": rows})


class SignForm(forms.Form):
    appointment = forms.ChoiceField(label="What you sign", required=False)
    meaning = forms.ChoiceField(
        label="What your signature means",
        choices=[(m.value, f"{m.label}: {MEANING_TEXT[m]}") for m in SignatureMeaning],
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    otp_code = forms.CharField(
        label="Code from your authenticator app",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, data, *, visits, initial=None):
        super().__init__(data, initial=initial)
        self.fields["appointment"].choices = [("", "The whole casebook")] + [
            (str(a.pk), f"Visit {a.event_code}: {a.title}") for a in visits
        ]


@staff_page
def sign(request, study_id: str):
    """``/participants/<study id>/sign/``: what is signed (the records, counted), the meaning, the
    password and the code; signing is this page's one act, and only the site's investigator may."""
    participant = _participant(request, study_id)
    if not permissions.has_role(request.user, SIGN_RECORDS, site=participant.site):
        raise Forbidden("only an investigator at the participant's site signs its records")
    records = records_by_participant({participant.pk: participant})[participant.pk]
    counts = digests(records)
    visit_ids = [k for k in counts if k is not None]
    visits = sorted(
        (appointment_get(participant=participant, pk=pk) for pk in visit_ids), key=lambda a: (a.sequence, a.pk)
    )
    form = SignForm(
        request.POST if request.method == "POST" else None,
        visits=visits,
        initial={"appointment": request.GET.get("appointment", "")},
    )
    if request.method == "POST" and form.is_valid():
        v = form.cleaned_data
        try:
            appointment = (
                appointment_get(participant=participant, pk=int(v["appointment"])) if v["appointment"] else None
            )
            signing.signature_sign(
                actor=request.user,
                participant=participant,
                appointment=appointment,
                meaning=v["meaning"],
                password=v["password"],
                otp_code=v["otp_code"],
                request=request,
            )
        except DomainError as error:
            if isinstance(error, Forbidden | NotFound):
                raise
            refused(form, error)
        else:
            what = f"visit {appointment.event_code}" if appointment else "the casebook"
            messages.success(request, f"You signed {what} of {participant.study_id}.")
            return redirect(reverse("web:casebook", args=[participant.study_id]))
    by_kind: dict[str, int] = {}
    for record in records:
        by_kind[record.kind.label] = by_kind.get(record.kind.label, 0) + 1
    context = {
        "section": "participants",
        "participant": participant,
        "form": form,
        "by_kind": sorted(by_kind.items()),
        "total": len(records),
        "visit_counts": [(a, counts[a.pk][1]) for a in visits],
        "signed": [display.signature_row(s) for s in signing.signatures_of(participant=participant, records=records)],
    }
    return form_response(request, "review/sign.html", context, form=form)
