"""core.web.url_filler: a page's long table links every row without reversing each URL."""

import pytest
from django.urls import reverse, set_script_prefix

from core.web import url_filler


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
