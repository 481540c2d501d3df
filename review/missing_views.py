"""The page that says why items of a record are empty: ``/records/<kind>/<id>/empty-items/``.

One row per empty item the user may see and leave empty (:func:`review.missing.empty_items`): a
reason (not done, unknown, not applicable, declined, or none) and a note. It writes through
:func:`review.missing.missing_reasons_record`, as the API does, and a refusal comes back next to the
item it names. Linked from a data query on the record and from the record's items on the
participant's verification page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect

from core.errors import Conflict, Forbidden, Invalid
from core.missing import NOTE_MAX, MissingCode
from core.web import form_response, refused, staff_page
from review.missing import empty_items, missing_reasons_record
from review.records import record_get

CHOICES = [("", "No reason: the value is still to come"), *MissingCode.choices]


class ReasonsForm(forms.Form):
    """A reason and a note per empty item, and why they are given."""

    reason = forms.CharField(
        label="Why you give or change these reasons",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail; a data query on the item is answered with it.",
    )

    def __init__(self, data=None, *, rows):
        super().__init__(data)
        self.rows = rows
        for row in rows:
            self.fields[f"code:{row.name}"] = forms.ChoiceField(
                label=f"{row.label}: why it is empty", choices=CHOICES, required=False, initial=row.code
            )
            self.fields[f"note:{row.name}"] = forms.CharField(
                label=f"{row.label}: note", required=False, max_length=NOTE_MAX, initial=row.note
            )

    def given(self) -> dict[str, dict]:
        """The items whose reason or note the form changes, as the service takes them."""
        out = {}
        for row in self.rows:
            code, note = self.cleaned_data[f"code:{row.name}"], self.cleaned_data[f"note:{row.name}"].strip()
            if (code, note) != (row.code, row.note):
                out[row.name] = {"code": code, "note": note}
        return out


@staff_page
def empty_items_page(request, kind: str, pk: int):
    """The record's empty items with their reasons; a POST saves the changed ones."""
    record = record_get(user=request.user, kind=kind, pk=pk)
    rows = empty_items(record, request.user)
    form = ReasonsForm(request.POST if request.method == "POST" else None, rows=rows)
    status = None
    if request.method == "POST" and form.is_valid():
        given = form.given()
        if not given:
            form.add_error(None, "Nothing changed: choose a reason for an empty item, or change a note.")
        else:
            try:
                missing_reasons_record(
                    actor=request.user, kind=kind, record_id=pk, given=given, reason=form.cleaned_data["reason"]
                )
            except (Invalid, Conflict, Forbidden) as error:
                refused(form, error, field_names={f"items.{r.name}": f"code:{r.name}" for r in rows})
                status = error.status
            else:
                messages.success(request, "The reasons are saved.")
                return redirect("web:empty-items", kind=kind, pk=pk)
    context = {
        "section": "participants",
        "record": record,
        "participant": record.participant,
        "form": form,
        "pairs": [(form[f"code:{r.name}"], form[f"note:{r.name}"]) for r in rows],
    }
    response = form_response(request, "review/empty_items.html", context, form=form)
    if status is not None:
        response.status_code = status
    return response
