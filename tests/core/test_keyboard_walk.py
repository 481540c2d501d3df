"""The keyboard walk the page sweep runs on every page finds what a person without a mouse cannot
reach or cannot see: a control taken out of the Tab order, and a focus drawn without an outline."""

from __future__ import annotations

import pytest

from tests.browser import keyboard_problems

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><style>
  :focus-visible {{ outline: 3px solid #fd0; }} .bare:focus {{ outline: none; }}
</style></head><body>
  <a href="#top">Top</a>
  <fieldset><legend>Asked</legend>
    <label><input type="radio" name="q" value="y"> Yes</label><label><input type="radio" name="q" value="n"> No</label>
  </fieldset>
  <label>When <input type="date" name="on"></label>
  {extra}
  <button>Save</button>
</body></html>"""


def test_a_page_whose_every_control_is_reached_and_shows_its_focus_has_no_problem(page):
    page.set_content(PAGE.format(extra=""))
    assert keyboard_problems(page) == []


def test_a_control_out_of_the_tab_order_is_found(page):
    page.set_content(PAGE.format(extra='<button tabindex="-1">Delete</button>'))
    assert keyboard_problems(page) == ['Tab never reaches button "Delete"']


def test_a_focus_without_an_outline_is_found(page):
    page.set_content(PAGE.format(extra='<label>Note <input class="bare" name="note"></label>'))
    assert keyboard_problems(page) == ['no visible focus on input "Note"']
