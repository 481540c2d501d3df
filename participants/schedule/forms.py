"""The schedule pages' forms: what a person types, checked for shape only. Whether a value is
allowed (a date before consent, a weight outside the protocol's range, a vital past plausibility) is
the services' to say; their refusals come back onto these forms through ``core.web.refused``."""

from __future__ import annotations

from django import forms

from core.web import DateInput, ReasonField
from participants.models import VitalsPhase

YES_NO = [("yes", "Yes"), ("no", "No")]


def yes_no(label: str, **kwargs) -> forms.TypedChoiceField:
    """A required yes/no question as two radio buttons, cleaned to a bool."""
    return forms.TypedChoiceField(
        label=label, choices=YES_NO, coerce=lambda v: v == "yes", widget=forms.RadioSelect, **kwargs
    )


class VisitForm(forms.Form):
    """A visit recorded for the first time."""

    attended = forms.TypedChoiceField(
        label="Did the participant attend?",
        choices=[("yes", "Attended"), ("no", "Did not attend")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    actual_date = forms.DateField(
        label="Date of the visit",
        widget=DateInput,
        help_text="The day the participant came, or the day the visit was due if they did not.",
    )
    missed_reason = forms.CharField(
        label="Why was the visit missed?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when the participant did not attend.",
    )


class VisitChangeForm(forms.Form):
    """A saved visit's date corrected, with the reason kept in the audit trail."""

    actual_date = forms.DateField(label="Date of the visit", widget=DateInput)
    reason = ReasonField()


class VisitDayForm(forms.Form):
    """The visit part of the infusion day: the participant came on this date."""

    actual_date = forms.DateField(label="Date of the visit", widget=DateInput)


def _number(label: str, *, step: str = "1", **kwargs) -> forms.Field:
    attrs = {"step": step, "inputmode": "decimal" if step != "1" else "numeric"}
    attrs.update(kwargs.pop("attrs", {}))
    if step == "1":
        return forms.IntegerField(label=label, widget=forms.NumberInput(attrs=attrs), **kwargs)
    places = len(step.split(".")[1])
    return forms.DecimalField(
        label=label, decimal_places=places, max_digits=8, widget=forms.NumberInput(attrs=attrs), **kwargs
    )


class InfusionForm(forms.Form):
    """The infusion of the day: weight, times, volume, breath alcohol and how it went. The dose is
    never typed blind: it is computed from the weight by the service."""

    weight_kg = _number("Weight (kg)", step="0.1", help_text="To 0.1 kg, weighed today.")
    breath_alcohol = _number("Breath alcohol", step="0.01", initial="0.00", help_text="Must be 0.00 to infuse.")
    started_at = forms.TimeField(label="Infusion started", widget=forms.TimeInput(attrs={"type": "time"}))
    stopped_at = forms.TimeField(label="Infusion stopped", widget=forms.TimeInput(attrs={"type": "time"}))
    volume_ml = _number("Volume infused (ml)", step="0.1")
    completed = yes_no("Was the infusion completed?", initial="yes")
    interruptions = _number("Interruptions", initial=0, min_value=0, max_value=100)
    dissociation_score = _number(
        "Dissociation score (0 to 100)", required=False, help_text="Leave empty if it was not assessed."
    )
    interval_override_reason = forms.CharField(
        label="Clinician's reason to infuse sooner than the protocol's interval",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only when a clinician allows an infusion before the minimum interval: recorded as a deviation.",
    )

    def __init__(self, *args, dose_given: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if dose_given:
            # Only for one who may see the drug: whether a dose deviation follows would tell the level.
            self.fields["dose_mg_given"] = _number(
                "Dose given (mg)",
                step="0.01",
                required=False,
                min_value=0,
                help_text="Only when it differs from the computed dose.",
            )


class VitalsForm(forms.Form):
    """One row of the vitals grid: all four readings, or none (an empty row is left out)."""

    phase = forms.ChoiceField(label="Phase", choices=VitalsPhase.choices)
    minute = _number("Minute", min_value=-120, max_value=720)
    systolic = _number("Systolic (mmHg)", required=False, min_value=0, max_value=400)
    diastolic = _number("Diastolic (mmHg)", required=False, min_value=0, max_value=300)
    heart_rate = _number("Heart rate (bpm)", required=False, min_value=0, max_value=300)
    spo2 = _number("SpO2 (%)", required=False, min_value=0, max_value=100)

    READINGS = ("systolic", "diastolic", "heart_rate", "spo2")

    def clean(self):
        data = super().clean()
        given = [name for name in self.READINGS if data.get(name) is not None]
        if given and len(given) < len(self.READINGS):
            for name in self.READINGS:
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "Give all four readings of the row, or none.")
        data["empty"] = not given and not any(name in self.errors for name in self.READINGS)
        return data


VitalsFormSet = forms.formset_factory(VitalsForm, extra=0)

# The grid's rows before anything is typed: before, every 15 minutes during a 40-minute infusion, after.
VITALS_ROWS = [
    {"phase": "before", "minute": -5},
    {"phase": "during", "minute": 15},
    {"phase": "during", "minute": 30},
    {"phase": "after", "minute": 60},
]


class SessionForm(forms.Form):
    """A therapy or education session; ``prefix="session"`` on the infusion day."""

    attended = forms.TypedChoiceField(
        label="Did the participant attend the session?",
        choices=[("yes", "Attended"), ("no", "Did not attend")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    session_number = _number("Session number", min_value=1, max_value=100)
    minutes = _number("Length (minutes)", min_value=0, max_value=1200, help_text="0 when not attended.")


class InfusionDaySessionForm(SessionForm):
    """The session part of the infusion day, which may be recorded later on its own page."""

    attended = forms.TypedChoiceField(
        label="Session today",
        choices=[("yes", "Attended"), ("no", "Did not attend"), ("later", "Record it later")],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("session_number", "minutes"):
            self.fields[name].required = False

    def clean(self):
        data = super().clean()
        if data.get("attended") is not None:
            for name in ("session_number", "minutes"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, "This field is required.")
        return data
