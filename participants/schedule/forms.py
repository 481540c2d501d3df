"""The schedule pages' forms: what a person types, checked for shape only. Whether a value is
allowed (a date before consent, a weight outside the protocol's range, a vital past plausibility) is
the services' to say; their refusals come back onto these forms through ``core.web.refused``."""

from __future__ import annotations

import datetime as dt

from django import forms

from core.web import DateInput, ReasonField
from participants.models import PLACE_MAX_LENGTH, VitalsPhase

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
    seen_by = forms.ChoiceField(
        label="Seen by",
        required=False,
        help_text="Who saw the participant, as the source notes say (you, if left out).",
    )

    def __init__(self, *args, staff: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_by"].choices = staff


class VisitChangeForm(forms.Form):
    """A saved visit's date (and a missed one's reason) corrected, with the reason for the change
    kept in the audit trail."""

    actual_date = forms.DateField(label="Date of the visit", widget=DateInput)
    missed_reason = forms.CharField(
        label="Why was the visit missed?", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = ReasonField()

    def __init__(self, *args, missed: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not missed:
            del self.fields["missed_reason"]


class BookingForm(forms.Form):
    """An appointment's booking: date, time and place, and a reason when the date leaves the window
    (the booking service says so at the reason when it is missing)."""

    booked_date = forms.DateField(label="Date", widget=DateInput)
    booked_time = forms.TimeField(
        label="Time",
        required=False,
        # typed as text: a time field's segments and clock follow the browser's locale
        widget=forms.TimeInput(attrs={"size": "5", "autocomplete": "off"}, format="%H:%M"),
        help_text="24-hour clock, in the site's time zone, such as 09:30. Leave it empty until a time is agreed.",
    )
    place = forms.CharField(
        label="Place",
        required=False,
        max_length=PLACE_MAX_LENGTH,
        widget=forms.TextInput(attrs={"list": "booking-places", "autocomplete": "off"}),
        help_text="The site's name, a building or a room: nothing that names a treatment, since the "
        "participant may read it.",
    )
    reason = ReasonField(label="Reason", required=False)

    def __init__(self, *args, window: tuple[dt.date, dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        start, end = window
        self.fields["reason"].help_text = (
            f"Needed for a date outside the window, {start:%-d %B %Y} to {end:%-d %B %Y}: it is kept in the "
            "audit trail with your name and a candidate protocol deviation is recorded."
        )


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

    def __init__(self, *args, dose_given: bool = False, dose_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if dose_url:
            # The dose follows the weight as it is typed, computed on the server by the service's calculator.
            self.fields["weight_kg"].widget.attrs.update(
                {"hx-get": dose_url, "hx-trigger": "load, input changed delay:250ms", "hx-target": "#dose"}
            )
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

    def __init__(self, *args, safety=None, **kwargs):
        super().__init__(*args, **kwargs)
        if safety is None:
            return
        # The protocol's thresholds, for the warning shown as a value is typed; the service decides.
        limits = {
            "systolic": {"data-above": safety.systolic_max, "data-unit": "mmHg"},
            "diastolic": {"data-above": safety.diastolic_max, "data-unit": "mmHg"},
            "heart_rate": {"data-above": safety.heart_rate_max, "data-unit": "bpm"},
            "spo2": {"data-below": safety.spo2_min, "data-unit": "%"},
        }
        for name, attrs in limits.items():
            self.fields[name].widget.attrs.update(attrs, **{"data-vital": self.fields[name].label})

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


class InfusionDayForms:
    """The infusion day's forms as one: the visit (until it is recorded), the infusion, the vitals
    grid and the session (when the event pairs one and it is not recorded yet). Checks the shape of
    every part at once, gives the service its arguments and puts the service's refusal back on the
    part and field it names."""

    def __init__(self, data, *, today, safety, dose_url: str, visit_needed: bool, session_number: int | None):
        self.visit = VisitDayForm(data, prefix="visit", initial={"actual_date": today}) if visit_needed else None
        self.infusion = InfusionForm(
            data, dose_given=bool(dose_url), dose_url=dose_url, initial={"completed": "yes", "interruptions": 0}
        )
        self.vitals = VitalsFormSet(data, prefix="vitals", initial=VITALS_ROWS, form_kwargs={"safety": safety})
        self.session = None
        if session_number is not None:
            initial = {"attended": "yes", "session_number": session_number}
            self.session = InfusionDaySessionForm(data, prefix="session", initial=initial)

    def _forms(self) -> list[forms.Form]:
        return [f for f in (self.visit, self.infusion, self.session) if f is not None]

    def is_valid(self) -> bool:
        valid = [f.is_valid() for f in self._forms()] + [self.vitals.is_valid()]
        return all(valid)

    @property
    def has_errors(self) -> bool:
        bound = self.infusion.is_bound
        return bound and (
            any(f.errors for f in self._forms()) or any(self.vitals.errors) or self.vitals.non_form_errors()
        )

    def _rows(self) -> list[int]:
        return [i for i, row in enumerate(self.vitals.forms) if not row.cleaned_data.get("empty")]

    def service_arguments(self, *, saved_date, zone, vitals_reading) -> dict:
        """``infusion_day_record``'s arguments from valid forms; times are on the visit's day at the site."""
        visit_date = self.visit.cleaned_data["actual_date"] if self.visit else saved_date
        values = dict(self.infusion.cleaned_data)
        for name in ("started_at", "stopped_at"):
            values[name] = dt.datetime.combine(visit_date, values[name], tzinfo=zone)
        values["vitals"] = [
            vitals_reading(**{k: v for k, v in self.vitals.forms[i].cleaned_data.items() if k != "empty"})
            for i in self._rows()
        ]
        session = None
        if self.session is not None and self.session.cleaned_data["attended"] is not None:
            session = dict(self.session.cleaned_data)
        return {"visit_date": visit_date if self.visit else None, "infusion": values, "session": session}

    def refused(self, error) -> None:
        """Put a refusal of ``infusion_day_record`` beside the fields it names, the rest at the top."""
        rows = self._rows()
        placed = False
        for path, messages in error.fields.items():
            part, _, name = path.partition(".")
            target, field = self.infusion, path
            if part == "visit" and self.visit is not None:
                target, field = self.visit, name
            elif part == "session" and self.session is not None:
                target, field = self.session, name
            elif part == "vitals" and name:
                index, _, field = name.partition(".")
                target = self.vitals.forms[rows[int(index)]]
            for message in messages:
                if field in target.fields:
                    target.add_error(field, message)
                    placed = True
                else:
                    self.infusion.add_error(None, message)
        if not placed:
            self.infusion.add_error(None, error.message)

    def summary(self) -> list[tuple[str, str]]:
        """Every error as ``(anchor, text)`` for the summary at the top; anchor '' when not a field's."""
        found = [("", str(e)) for f in self._forms() for e in f.non_field_errors()]
        found += [("", str(e)) for e in self.vitals.non_form_errors()]
        labelled = [(f, "") for f in self._forms()]
        labelled += [(row, f"Vitals row {i + 1}, ") for i, row in enumerate(self.vitals.forms)]
        for form, where in labelled:
            for field in form.visible_fields():
                found += [(field.auto_id, f"{where}{field.label}: {e}") for e in field.errors]
        return found


class InfusionCorrectionForms(InfusionDayForms):
    """A recorded infusion's fields and vitals filled in as saved, to correct with a reason: the
    infusion day's forms without the visit and the session (each corrected on its own page). A
    spare vitals row adds a reading; a row emptied removes one."""

    def __init__(self, data, *, infusion, vitals, zone, safety, dose_given: bool):
        self.visit, self.session = None, None
        initial = {
            "weight_kg": infusion.weight_kg,
            "breath_alcohol": infusion.breath_alcohol,
            "started_at": infusion.started_at.astimezone(zone).strftime("%H:%M"),
            "stopped_at": infusion.stopped_at.astimezone(zone).strftime("%H:%M"),
            "volume_ml": infusion.volume_ml,
            "completed": "yes" if infusion.completed else "no",
            "interruptions": infusion.interruptions,
            "dissociation_score": infusion.dissociation_score,
            "interval_override_reason": infusion.interval_override_reason,
            "dose_mg_given": infusion.dose_mg_given if dose_given else None,
        }
        self.infusion = InfusionForm(data, dose_given=dose_given, initial=initial)
        self.infusion.fields["reason"] = ReasonField()
        rows = [
            {name: getattr(v, name) for name in ("phase", "minute", "systolic", "diastolic", "heart_rate", "spo2")}
            for v in vitals
        ]
        rows.append({"phase": VitalsPhase.AFTER, "minute": max((v.minute for v in vitals), default=0) + 30})
        self.vitals = VitalsFormSet(data, prefix="vitals", initial=rows, form_kwargs={"safety": safety})

    def service_arguments(self, *, saved_date, zone, vitals_reading) -> dict:
        """``infusion_update``'s arguments from valid forms: every field as typed, and the reason."""
        return super().service_arguments(saved_date=saved_date, zone=zone, vitals_reading=vitals_reading)["infusion"]


class SessionChangeForm(SessionForm):
    """A recorded session corrected: attendance, number and length, with the reason for the change."""

    reason = ReasonField()
