"""Browser tests: Playwright (pytest-playwright) driving Debian's Chromium against the live server.

Playwright cannot fetch a browser of its own here, so tests launch the ``chromium`` program on the
path (or ``TRIALTRACKER_CHROMIUM``); without one they skip, and fail where
``TRIALTRACKER_REQUIRE_SERVICES=1`` forbids skipping (CI installs it with apt-get). Pages open at a
768-pixel-wide tablet viewport unless a test says otherwise.

A browser test takes the ``web`` fixture: it marks the test's data committed (the live server reads
it from another thread) and lets the ORM run beside Playwright's event loop. ``web.sign_in(user)``
gives the page a session as the sign-in pages leave it (second factor verified);
:func:`serious_violations` runs axe-core on the page; :func:`hidden_words_in` looks for words of a
hidden factor in the whole DOM: text, attribute values, option values and data attributes.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from typing import Any

import pytest

CHROMIUM = os.environ.get("TRIALTRACKER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# As root Chromium needs --no-sandbox; the rest keep it from calling out of a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--lang=en-GB",
]
# Date fields read day/month/year, as at the UK sites: Chromium takes the format from the language
# of its environment (and Debian's chromium-l10n), not from the page or --lang alone.
CHROMIUM_ENV = {**os.environ, "LANGUAGE": "en_GB"}
TABLET = {"width": 768, "height": 1024}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API runs an event loop in the test's thread, where Django refuses the ORM:
    allow it for browser tests, from their first fixture to their last teardown, and for the tests
    that follow one in the same process, where Playwright's loop (started once per process) still
    runs; nothing else in the suite runs an event loop."""
    import asyncio

    if item.get_closest_marker("browser") is None and asyncio._get_running_loop() is None:
        yield
        return
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        from tests.conftest import service_missing

        service_missing("chromium", "no chromium program on the path (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "env": CHROMIUM_ENV}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": TABLET, "locale": "en-GB", "timezone_id": "Europe/London"}


@dataclass
class Web:
    """The live server and a Playwright page, with the sign-in a test needs."""

    page: Any
    url: str

    def sign_in(self, user) -> None:
        """Give the page a session of ``user``, second factor verified, as the sign-in pages leave it."""
        from django.conf import settings
        from django.test import Client

        from tests.conftest import force_login_verified

        client = Client()
        force_login_verified(client, user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.page.context.clear_cookies()
        self.page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.url}])

    def open(self, path: str):
        """Go to ``path`` on the live server and return the response (its status is checked by callers)."""
        return self.page.goto(self.url + path)


@pytest.fixture
def web(page, live_server, transactional_db):
    """A page on the live server; the test's data is committed, so the server's thread can read it."""
    page.set_default_timeout(15_000)
    return Web(page=page, url=live_server.url)


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each (empty when none)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v.get("impact") in ("serious", "critical")
    ]


DOM_WORDS = """() => {
  const out = [document.body.innerText];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) { out.push(attr.value); }
    if (el.tagName === 'OPTION' || el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') {
      out.push(el.value || '');
    }
  }
  return out.join('\\n');
}"""


def hidden_words_in(page, words: list[str]) -> list[str]:
    """Which of ``words`` (levels, arm codes, doses of hidden factors) the page's DOM holds anywhere:
    its text, every attribute value, and the current value of every field. Whole words, any case."""
    text = page.evaluate(DOM_WORDS)
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, flags=re.IGNORECASE)]


class Keys:
    """A page's keyboard that counts the keys pressed (a chord such as Control+Enter is one)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        for char in text:
            self.press(char)


_MARK_CONTROLS = """() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const controls = [...document.querySelectorAll(selector)].filter(el =>
    !el.disabled && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden'
    && !(el.getAttribute('tabindex') === '-1' && !el.matches('a[href], button, input, select, textarea, summary')));
  controls.forEach((el, i) => { el.dataset.kbd = String(i); });
  return controls.map(el => {
    const name = el.getAttribute('aria-label') || el.labels?.[0]?.innerText || el.innerText || el.name || el.id;
    return {i: String(el.dataset.kbd), what: `${el.tagName.toLowerCase()} "${(name || '').trim().slice(0, 40)}"`,
            group: el.type === 'radio' ? `radio:${el.name}` : String(el.dataset.kbd)};
  });
}"""

_FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || !el.dataset || el.dataset.kbd === undefined) { return null; }
  const style = getComputedStyle(el);
  const shown = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
  return {i: el.dataset.kbd, shown};
}"""


def keyboard_problems(page, *, limit: int = 400) -> list[str]:
    """Walk the page with Tab from its top, as a person without a mouse does: every visible control
    (links, buttons, fields, a radio group as one stop) must be reached, and each must show that it
    has the focus. Returns one line per problem (empty when none)."""
    controls = page.evaluate(_MARK_CONTROLS)
    wanted = {c["group"]: c["what"] for c in controls}
    group_of = {c["i"]: c["group"] for c in controls}
    reached, unseen_focus = set(), []
    if not controls:
        return []
    # Start at the top whatever a page's script focused: the first control, then out of the page and
    # back in, so the walk runs by keyboard from there.
    page.evaluate("() => document.querySelector('[data-kbd=\"0\"]').focus()")
    page.keyboard.press("Shift+Tab")
    last = None
    for _ in range(min(limit, 4 * len(controls) + 3)):  # a date field takes a stop per part
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUSED)
        if focused is None or focused["i"] == last:
            continue
        last = focused["i"]
        group = group_of[last]
        if group in reached:
            if last == "0":
                break  # round the page and back to the top
            continue
        reached.add(group)
        if not focused["shown"]:
            unseen_focus.append(wanted[group])
    missing = [what for group, what in wanted.items() if group not in reached]
    return [f"Tab never reaches {w}" for w in missing] + [f"no visible focus on {w}" for w in unseen_focus]
