"""Every page a blinded coordinator can reach, found by following the links from the dashboard of a
simulated trial in progress (made through the services), and the correction forms of a recorded
infusion and session: each answers, passes axe-core with no serious or critical violation, can be
worked with the keyboard alone (Tab reaches every control, and each shows its focus), fits a
768-pixel tablet without sideways scrolling, and holds nowhere in its DOM (text, attributes, option
and field values, data attributes) a level, level title or arm of the factor the coordinator is
blinded to, or a dose.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from urllib.parse import urlsplit

import pytest

from tests.browser import DOM_WORDS, hidden_words_in, keyboard_problems, serious_violations

# A dose is a number of milligrams (not a concentration such as mg/L).
DOSE = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s*mg\b(?!\s*/\s*d?l)", re.IGNORECASE)
# Pages of one shape (a casebook, an appointment's form) are checked this many times each.
PER_SHAPE = 2
NOT_FOLLOWED = ("/api/", "/admin/", "/accounts/logout", "/static/", "/exports/")


def _shape(path: str) -> str:
    path = re.sub(r"/\d+/", "/<n>/", path)
    return re.sub(r"/participants/[^/]+/", "/participants/<id>/", path)


@pytest.fixture
def trial_in_progress(kare):
    """A KARE trial with people who finished and people in the middle of their infusions."""
    from trialtracker.simulation import Simulation

    simulation = Simulation(trial=kare, seed=5)
    staff = simulation.add_staff()
    simulation.follow(simulation.recruit(4))
    simulation.follow(simulation.recruit(6, over_last_days=21))
    return kare, staff.coordinators[kare.sites.get(code="exeter").pk]


def _hidden_words(trial, coordinator) -> list[str]:
    from participants.blinding.decisions import hidden_factors

    protocol = trial.version_on().protocol
    hidden = hidden_factors(user=coordinator, trial=trial)
    assert hidden == {"drug"}, "the sweep means a coordinator blinded to the drug"
    words = []
    for factor in protocol.factors:
        if factor.code in hidden:
            words += [level.code for level in factor.levels] + [level.title for level in factor.levels]
    words += [arm.code for arm in protocol.arms] + [arm.title for arm in protocol.arms]
    return words


def _corrections(trial, coordinator) -> list[str]:
    """The correction forms of an infusion and a session recorded at the coordinator's site: the
    crawl meets only a few pages of each shape, which may all be forms not yet recorded."""
    from core import permissions
    from participants.models import InfusionSession, TherapySession

    sites = permissions.site_ids(coordinator)
    at_site = {"visit__appointment__participant__site_id__in": sites, "visit__appointment__participant__trial": trial}
    infusion = InfusionSession.objects.filter(**at_site).values_list("visit__appointment_id", flat=True).first()
    session = TherapySession.objects.filter(**at_site).values_list("visit__appointment_id", flat=True).first()
    assert infusion, "the trial in progress has an infusion recorded at the site"
    assert session, "the trial in progress has a session recorded at the site"
    return [f"/appointments/{infusion}/infusion-day/", f"/appointments/{session}/session/"]


def _links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]:not([download])", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith(NOT_FOLLOWED):
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_every_page_a_blinded_coordinator_reaches_hides_the_drug_is_axe_and_keyboard_clean(web, trial_in_progress):
    trial, coordinator = trial_in_progress
    words = _hidden_words(trial, coordinator)
    web.sign_in(coordinator)
    page = web.page
    corrections = _corrections(trial, coordinator)
    queue, seen, shapes, problems = deque(["/", *corrections]), set(), Counter(), []
    while queue:
        path = queue.popleft()
        if path in seen or shapes[_shape(path)] >= PER_SHAPE:
            continue
        seen.add(path)
        shapes[_shape(path)] += 1
        response = web.open(path)
        if response.status != 200:
            problems.append(f"{path}: answered {response.status}")
            continue
        if found := hidden_words_in(page, words):
            problems.append(f"{path}: shows {found}")
        if doses := DOSE.findall(page.evaluate(DOM_WORDS)):
            problems.append(f"{path}: shows doses {doses[:3]}")
        if violations := serious_violations(page):
            problems.append(f"{path}: axe {violations}")
        if keys := keyboard_problems(page):
            problems.append(f"{path}: keyboard {keys[:5]}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 768:
            problems.append(f"{path}: {width} pixels wide at a 768-pixel tablet")
        queue.extend(_links(page, web.url))
    assert problems == [], "\n".join(problems)
    # the sweep reached the pages it exists for
    assert {"/", "/participants/", "/participants/<id>/"} <= set(shapes)
    assert set(corrections) <= seen
