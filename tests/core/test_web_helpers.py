"""core.web's helpers for long pages: url_filler links every row of a table without reversing each
URL, ManyTextInput writes an input without rendering templates; both give what Django would."""

import pytest
from django import forms
from django.urls import reverse, set_script_prefix
from django.utils.safestring import mark_safe

from core.web import FormRenderer, ManyTextInput, url_filler


@pytest.mark.parametrize(
    ("name", "value"), [("web:casebook", "K7Q2M4X"), ("web:visit", 12), ("web:infusion-day", 4729)]
)
def test_a_filled_url_is_the_one_reverse_gives(name, value):
    assert url_filler(name)(value) == reverse(name, args=[value])


def test_a_value_with_something_to_quote_is_reversed_itself():
    fill = url_filler("web:casebook")
    assert fill("a b&c") == reverse("web:casebook", args=["a b&c"]) == "/participants/a%20b&c/"


def test_the_filled_url_keeps_the_requests_script_prefix():
    set_script_prefix("/tracker/")
    try:
        assert url_filler("web:casebook")("K7Q2M4X") == "/tracker/participants/K7Q2M4X/"
    finally:
        set_script_prefix("/")


ATTRS = [
    {},
    {"class": "tlfb-amount", "data-day": "2024-03-01", "data-weekday": 5, "readonly": True, "hidden": False},
    {"data-saved": '2 "large" <glasses> & one', "title": mark_safe("a <b>safe</b> & 'quoted' title")},
]


@pytest.mark.parametrize("attrs", ATTRS)
@pytest.mark.parametrize("value", [None, "", "3", "4 & <5>", mark_safe("<i>safe</i>")])
def test_a_many_text_input_is_written_as_djangos_template_writes_it(attrs, value):
    class Form(forms.Form):
        slow = forms.CharField(max_length=20, help_text="a note", widget=forms.TextInput(attrs=attrs))
        fast = forms.CharField(max_length=20, help_text="a note", widget=ManyTextInput(attrs=attrs))

    form = Form({"slow": value, "fast": value} if value is not None else None, renderer=FormRenderer())
    assert str(form["fast"]).replace("fast", "slow") == str(form["slow"])
