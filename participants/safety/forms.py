"""The adverse-event pages' forms: the event's fields, the serious-only ones (its criteria and when
the site became aware, which starts the reporting clock) required only of a serious event, and a
report made to the sponsor or the regulator. What is allowed is the safety services' to say."""

from __future__ import annotations

from django import forms

from core.web import DateInput, ReasonField
from participants.models import Causality, Seriousness
from participants.safety.services import ASSESSED

# Relatedness names the kind of intervention only: it is assessed blind to the arm.
RELATEDNESS = [(code, Causality(code).label) for code in ASSESSED]

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AdverseEventForm(forms.Form):
    """An adverse event as the safety services take it; ``serious`` decides which fields are asked."""

    term = forms.CharField(
        label="Term",
        max_length=300,
        help_text="What happened, in the reporter's words; a data manager codes it to the dictionary.",
    )
    onset_date = forms.DateField(label="Onset date", widget=DateInput)
    end_date = forms.DateField(
        label="End date", widget=DateInput, required=False, help_text="Leave empty while it is ongoing."
    )
    grade = forms.IntegerField(
        label="CTCAE grade",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text="1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death.",
    )
    drug_causality = forms.ChoiceField(
        label="Relation to the study drug",
        choices=RELATEDNESS,
        widget=forms.RadioSelect,
        help_text="Assessed without knowing the arm: whether the study drug may have caused it.",
    )
    therapy_causality = forms.ChoiceField(
        label="Relation to the psychological intervention",
        choices=RELATEDNESS,
        widget=forms.RadioSelect,
        help_text="Assessed apart from the drug: whether the sessions may have caused it.",
    )
    expected = forms.TypedChoiceField(
        label="Expectedness, in the investigator's judgement",
        help_text=(
            "Once the term is coded, an event whose preferred term the reference safety information "
            "does not list is unexpected whatever is chosen here."
        ),
        choices=[("yes", "Expected"), ("no", "Unexpected")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    serious = forms.TypedChoiceField(
        label="Seriousness",
        choices=[("no", "Not serious"), ("yes", "Serious")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        help_text="A serious event starts the reporting clock: the sponsor must hear of it within 24 hours.",
    )
    seriousness = forms.MultipleChoiceField(
        label="Seriousness criteria",
        choices=Seriousness.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every criterion the event meets.",
    )
    aware_at = forms.DateTimeField(
        label="When the site became aware",
        widget=DATETIME,
        required=False,
        help_text="The site's local time; the reporting deadlines count from it.",
    )
    action_taken = forms.CharField(label="Action taken", max_length=300, required=False)
    outcome = forms.CharField(label="Outcome", max_length=300, required=False)

    def __init__(self, *args, aware: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not aware:
            # Once recorded, the moment of awareness is fixed: the deadlines already count from it.
            del self.fields["aware_at"]

    def clean(self):
        data = super().clean()
        if data.get("serious"):
            if not data.get("seriousness") and "seriousness" not in self.errors:
                self.add_error("seriousness", "Choose every criterion that makes the event serious.")
            if "aware_at" in self.fields and data.get("aware_at") is None and "aware_at" not in self.errors:
                self.add_error("aware_at", "Say when the site became aware of a serious event.")
        elif data.get("serious") is False:
            data["seriousness"] = []
            data["aware_at"] = None
        return data

    def service_values(self) -> dict:
        """The safety services' arguments: the criteria stand for seriousness, with no ``serious``."""
        values = dict(self.cleaned_data)
        values.pop("serious", None)
        return values


class AdverseEventChangeForm(AdverseEventForm):
    """A recorded adverse event changed, with the reason kept in the audit trail."""

    reason = ReasonField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, aware=False, **kwargs)


class ReportForm(forms.Form):
    """That a serious event was reported to the sponsor or, a SUSAR, to the regulator (the form's
    prefix names which)."""

    reported_at = forms.DateTimeField(label="Reported at", widget=DATETIME, help_text="The site's local time.")


class TermSearchForm(forms.Form):
    """The dictionary search of the coding page: part of a term's name."""

    q = forms.CharField(
        label="Search the dictionary",
        max_length=100,
        required=False,
        help_text="Two letters or more of the lowest level term's name; the results follow as you type.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}),
    )


class CodingForm(forms.Form):
    """The term an adverse event is coded to (one of the search's results) and, to change a coding,
    why. Which terms exist and when a reason is needed is the coding service's to say."""

    term = forms.TypedChoiceField(label="Dictionary term", coerce=int, choices=(), widget=forms.RadioSelect)
    reason = forms.CharField(
        label="Reason for changing the coding",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed only when the event is already coded; kept in the audit trail.",
    )

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [
            (t.pk, f"{t.llt_name} (LLT {t.llt_code}): preferred term {t.pt_name}; {t.soc_name}; {t.release}")
            for t in terms
        ]
        self.fields["term"].choices = choices
        self.fields["term"].help_text = "" if choices else "Search above, then choose one of the terms found."
