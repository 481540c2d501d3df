"""The forms of the biomarker and questionnaire pages: what the services of the API's
BiomarkersApi and QuestionnairesApi take, with labels, hints and an item grid."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from core.web import DateInput
from outcomes import instruments
from outcomes.models import BiomarkerKind

NOT_ANSWERED = ""


def _visit_choices(codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("", "No particular visit")] + [(code, code) for code in codes]


class BiomarkerForm(forms.Form):
    """One sample, as :func:`outcomes.services.biomarker_record` takes it."""

    kind = forms.ChoiceField(label="Marker", choices=BiomarkerKind.choices)
    taken_on = forms.DateField(label="Date taken", widget=DateInput)
    value = forms.DecimalField(
        label="Value",
        required=False,
        max_digits=10,
        decimal_places=3,
        help_text="EtG in ng/mL; the breath alcohol reading; leave empty for a transdermal event.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    visit_code = forms.ChoiceField(label="Visit", required=False)

    def __init__(self, *args, visit_codes: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_code"].choices = _visit_choices(visit_codes)


def item_field(n: int) -> str:
    return f"item_{n}"


class QuestionnaireForm(forms.Form):
    """One administration of ``instrument``, item by item (an item left unanswered is sent as
    not answered), as :func:`outcomes.services.questionnaire_record` takes it."""

    administered_on = forms.DateField(label="Date given", widget=DateInput)
    visit_code = forms.ChoiceField(label="Visit", required=False)

    def __init__(self, *args, instrument: instruments.Instrument, visit_codes: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.fields["visit_code"].choices = _visit_choices(visit_codes)
        for n, allowed in enumerate(instrument.scores, start=1):
            self.fields[item_field(n)] = forms.TypedChoiceField(
                label=f"Item {n}",
                required=False,
                coerce=int,
                empty_value=None,
                initial=NOT_ANSWERED,
                choices=[(str(s), str(s)) for s in sorted(allowed)] + [(NOT_ANSWERED, "Not answered")],
                widget=forms.RadioSelect,
            )

    def items(self) -> dict[str, int | None]:
        return {str(n): self.cleaned_data.get(item_field(n)) for n in range(1, self.instrument.n_items + 1)}

    def field_names(self) -> dict[str, str]:
        """The service's paths (``items.<n>``) to this form's fields."""
        return {f"items.{n}": item_field(n) for n in range(1, self.instrument.n_items + 1)}


@dataclass
class ItemRow:
    field: forms.BoundField
    cells: list  # a radio (BoundWidget) under each score column, None where the item has no such score
    not_answered: object


def item_grid(form: QuestionnaireForm) -> tuple[list[int], list[ItemRow]]:
    """The score columns (every score any item allows) and one row per item, its radios aligned
    under their scores."""
    columns = sorted(set().union(*form.instrument.scores))
    rows = []
    for n in range(1, form.instrument.n_items + 1):
        bound = form[item_field(n)]
        radios = {radio.data["value"]: radio for radio in bound.subwidgets}
        rows.append(
            ItemRow(
                field=bound,
                cells=[radios.get(str(score)) for score in columns],
                not_answered=radios.get(NOT_ANSWERED),
            )
        )
    return columns, rows


def running_total(form: QuestionnaireForm) -> tuple[object, int, bool]:
    """The total the answers so far give (as the service will derive it), for the page's first
    view; the script keeps it up to date as items are answered."""
    answers: dict[str, int | None] = {}
    for n in range(1, form.instrument.n_items + 1):
        value = form[item_field(n)].value()
        answers[str(n)] = int(value) if value not in (None, "") and str(value).isdigit() else None
    return instruments.total(form.instrument, answers)
