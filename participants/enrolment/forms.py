"""The enrolment pages' forms: shapes only. Whether a value is acceptable to the protocol is the
services' business; their refusals come back onto these forms (:func:`core.web.refused`)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from core.web import DateInput, ReasonField
from participants.models import ScreeningOutcome, Sex, WithdrawalScope
from trials.protocol import CriterionKind

YES_NO = [("yes", "Yes"), ("no", "No")]
PHONE_HELP = "International format, e.g. +447700900123. Reminders by SMS need it."
phone_format = RegexValidator(r"^\+[1-9]\d{6,14}$", "Use the international format, e.g. +447700900123.")


def answer_field(code: str) -> str:
    """The form field of the checklist criterion ``code`` (a service names it ``answers.<code>``)."""
    return f"answer_{code}"


class ScreeningForm(forms.Form):
    """The protocol's eligibility checklist, one yes/no question per criterion, none answered in
    advance: a criterion left unanswered is an error, never a default."""

    site = forms.ChoiceField(label="Site")
    screened_on = forms.DateField(label="Date of screening", widget=DateInput())
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        help_text="Leave as the checklist decides unless an eligible person did not go on.",
        choices=[
            ("", "As the checklist decides"),
            (ScreeningOutcome.DECLINED, "Eligible, but declined"),
            (ScreeningOutcome.OTHER, "Eligible, but did not go on for another reason"),
        ],
    )
    outcome_text = forms.CharField(
        label="What happened",
        required=False,
        max_length=2000,
        help_text="Required when the outcome is another reason.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data=None, *, sites, criteria, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["site"].choices = [(s.code, s.name) for s in sites]
        if len(sites) == 1:
            self.fields["site"].initial = sites[0].code
        self.criteria = list(criteria)
        for criterion in self.criteria:
            inclusion = criterion.kind == CriterionKind.INCLUSION
            self.fields[answer_field(criterion.code)] = forms.ChoiceField(
                label=criterion.text,
                choices=YES_NO,
                widget=forms.RadioSelect,
                help_text="Inclusion: is it met?" if inclusion else "Exclusion: is it present?",
            )

    def checklist(self):
        return [self[answer_field(c.code)] for c in self.criteria]

    def answers(self) -> dict[str, bool]:
        return {c.code: self.cleaned_data[answer_field(c.code)] == "yes" for c in self.criteria}

    def field_names(self) -> dict[str, str]:
        return {f"answers.{c.code}": answer_field(c.code) for c in self.criteria}


class EnrolForm(forms.Form):
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, widget=forms.RadioSelect)
    consent_form_version = forms.ChoiceField(label="Consent form version")
    consented_on = forms.DateField(label="Date of consent", widget=DateInput())
    first_name = forms.CharField(label="First name", max_length=200)
    last_name = forms.CharField(label="Last name", max_length=200)
    age_at_consent = forms.IntegerField(
        label="Age at consent", required=False, min_value=0, max_value=130, help_text="Or give the date of birth."
    )
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DateInput())
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(
        label="Mobile phone",
        required=False,
        max_length=16,
        validators=[phone_format],
        widget=forms.TextInput({"type": "tel"}),
    )
    address = forms.CharField(
        label="Address", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, *, consent_forms, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["consent_form_version"].choices = [(c.version, f"{c.version}: {c.title}") for c in consent_forms]
        self.fields["phone"].help_text = PHONE_HELP
        self.fields["email"].widget.attrs["autocomplete"] = "off"


class ConsentForm(forms.Form):
    form_version = forms.ChoiceField(label="Consent form version")
    consented_on = forms.DateField(label="Date of consent", widget=DateInput())

    def __init__(self, data=None, *, consent_forms, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["form_version"].choices = [(c.version, f"{c.version}: {c.title}") for c in consent_forms]


class BaselineForm(forms.Form):
    completed_on = forms.DateField(label="Date of the baseline assessment", widget=DateInput())
    weight_kg = forms.DecimalField(
        label="Weight (kg)",
        max_digits=5,
        decimal_places=1,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )


class WithdrawalForm(forms.Form):
    scope = forms.ChoiceField(
        label="What the participant withdraws from", choices=WithdrawalScope.choices, widget=forms.RadioSelect
    )
    withdrawn_on = forms.DateField(label="Date of the withdrawal", widget=DateInput())
    reason = forms.CharField(
        label="Reason for the withdrawal", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ContactForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=200)
    last_name = forms.CharField(label="Last name", max_length=200)
    date_of_birth = forms.DateField(label="Date of birth", required=False, widget=DateInput())
    email = forms.EmailField(label="Email", required=False)
    phone = forms.CharField(
        label="Mobile phone",
        required=False,
        max_length=16,
        validators=[phone_format],
        help_text=PHONE_HELP,
        widget=forms.TextInput({"type": "tel"}),
    )
    address = forms.CharField(
        label="Address", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = ReasonField()

    def changes(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "reason"}
