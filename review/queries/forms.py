"""The forms of the query pages: raising one (the item picked from those the user may see), the
list's filters, and the message each action of the thread takes."""

from __future__ import annotations

from django import forms

from review.models import QueryState
from review.queries.services import MAX_TEXT

STATES = [("unfinished", "Open or answered"), *QueryState.choices, ("", "Any state")]


class RaiseForm(forms.Form):
    item = forms.ChoiceField(label="What is queried", help_text="One item, or the whole record.")
    text = forms.CharField(
        label="The question",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What looks wrong, and what the site should check against the source.",
    )

    def __init__(self, *args, record, user, **kwargs):
        super().__init__(*args, **kwargs)
        hidden = record.hidden(user)
        self.fields["item"].choices = [("", "The whole record")] + [
            (i.name, f"{i.label} ({record.shown_value(i.name, user)})")
            for i in record.kind.items
            if i.name not in hidden
        ]


class FilterForm(forms.Form):
    state = forms.ChoiceField(choices=STATES, required=False, initial="unfinished")
    trial = forms.ChoiceField(required=False)
    site = forms.ChoiceField(required=False)
    kind = forms.ChoiceField(label="Kind of record", required=False)
    min_age = forms.IntegerField(label="At least this many days old", required=False, min_value=0, max_value=100000)

    def __init__(self, *args, trials, sites, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trial"].choices = [("", "Every trial"), *[(t, t) for t in trials]]
        self.fields["site"].choices = [("", "Every site"), *sites]
        self.fields["kind"].choices = [("", "Every kind"), *kinds]


class MessageForm(forms.Form):
    text = forms.CharField(label="Message", max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, label: str, required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = label
        self.fields["text"].required = required
