"""The whole review of one participant in the browser, as a trials unit runs it, at a tablet's width:
the monitor raises a data query on a drinking day and verifies the infusion against the source; the
site's coordinator follows the query to the day in the calendar and corrects it with a reason,
which answers the query; the monitor closes it; the investigator signs the casebook; a later
correction makes the signature invalid and puts the casebook back on the investigator's list; the
investigator signs again. The infusion stays verified through the drinking-day corrections (a
different record), the monitor and the coordinator see no word of the drug, and every page visited
passes axe-core and fits the tablet's width."""

from __future__ import annotations

import datetime as dt
import re

from outcomes.models import DrinkingRecord, Source
from participants.models import InfusionSession
from review.models import Query, Signature, VerificationMark
from review.queries.selectors import where as query_where
from tests.browser import hidden_words_in, serious_violations
from tests.conftest import PASSWORD
from tests.core.conftest import code_for

DRUG_WORDS = ["ketamine", "placebo", "saline", "sodium chloride", "KT", "KE", "PT", "PE", "mg"]


class Visits:
    """The pages the browser loads, and those that passed axe-core: every page visited is checked."""

    def __init__(self, page):
        self.page = page
        self.loaded: list[str] = []
        self.checked: set[str] = set()
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.loaded.append(frame.url))

    def check(self) -> None:
        """axe-core finds nothing serious on the page as it is now, and it fits the tablet's width."""
        self.page.wait_for_load_state()
        assert serious_violations(self.page) == [], self.page.url
        assert self.page.evaluate("document.documentElement.scrollWidth") <= 768, self.page.url
        self.checked.add(self.page.url)

    def unchecked(self) -> list[str]:
        return [url for url in self.loaded if url not in self.checked]


def _label(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _casebook_link(participant) -> re.Pattern:
    """The name of the link to sign a casebook on the investigator's list."""
    return re.compile(rf"^{participant.study_id} ?: sign the casebook$")


def _calendar_at(web, visits: Visits, record: DrinkingRecord) -> None:
    """From the casebook to the drinking calendar, and the week up to the ``record``'s day shown."""
    page, participant = web.page, record.participant
    web.open(f"/participants/{participant.study_id}/")
    visits.check()
    page.get_by_role("link", name="Drinking days (timeline follow-back)").click()
    page.get_by_role("heading", name=f"Drinking calendar: {participant.study_id}").wait_for()
    visits.check()
    page.get_by_label("First day").fill((record.day - dt.timedelta(days=6)).isoformat())
    page.get_by_label("Last day").fill(record.day.isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Show these days").click()


def _correct_day(web, visits: Visits, record: DrinkingRecord, reason: str) -> None:
    """On the calendar showing the ``record``'s day: the day raised by 3 UK units (24 g) and the
    period saved with ``reason``."""
    page = web.page
    page.get_by_role("heading", name=re.compile(r"^Days from ")).wait_for()
    visits.check()
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_label(_label(record.day)).fill(f"{(record.grams + 24).normalize():f}g")
    page.get_by_label("Reason for changing recorded days").fill(reason)
    with page.expect_navigation():
        page.get_by_role("button", name="Save the period").click()
    page.get_by_text(re.compile(r"^\d+ days saved")).wait_for()
    visits.check()


def _sign(web, visits: Visits, device, participant, meaning: str) -> None:
    """As the investigator, on the signing page: the meaning chosen, the password and a code typed."""
    page = web.page
    page.get_by_role("heading", name=f"Sign for {participant.study_id}").wait_for()
    visits.check()
    page.get_by_role("radio", name=re.compile(meaning)).check()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(code_for(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Sign", exact=True).click()
    page.get_by_text(f"You signed the casebook of {participant.study_id}.").wait_for()
    visits.check()


def _monitor_raises_a_query_and_verifies_the_infusion(web, visits: Visits, queried, infusion) -> Query:
    """Step 1: the monitor raises a query on the day's grams from the casebook, then verifies the
    infusion on the participant's verification page."""
    page, participant = web.page, queried.participant
    web.open(f"/participants/{participant.study_id}/")
    visits.check()
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.locator("summary", has_text="Raise a query on a record").click()
    page.get_by_role("link", name=f"Drinking on {queried.day:%-d %b %Y}").click()
    page.get_by_role("heading", name="Raise a query").wait_for()
    visits.check()
    page.get_by_label("What is queried").select_option("grams")
    page.get_by_label("The question").fill("The diary on file says 3 more units that day.")
    with page.expect_navigation():
        page.get_by_role("button", name="Raise the query").click()
    query = Query.objects.get()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    assert page.get_by_text("Open", exact=True).is_visible()
    visits.check()

    page.get_by_role("link", name=f"Casebook of {participant.study_id}").click()
    page.get_by_role("heading", name=re.compile(f"^Participant {participant.study_id}")).wait_for()
    visits.check()
    page.get_by_role("link", name="Source data verification").click()
    page.get_by_role("heading", name=f"Source data verification of {participant.study_id}").wait_for()
    visits.check()
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.locator(f"#verify-infusion-{infusion.pk}").click()
    page.locator(f"#record-infusion-{infusion.pk}").get_by_text("Verified", exact=True).wait_for()
    visits.check()
    assert VerificationMark.objects.filter(kind="infusion", record_id=infusion.pk).count() == 1
    return query


def _coordinator_corrects_the_day(web, visits: Visits, query: Query, queried) -> None:
    """Step 2: the coordinator finds the query on the dashboard, follows it to the day in the
    calendar and corrects it with a reason, which answers the query with that reason."""
    page, participant = web.page, queried.participant
    web.open("/")
    visits.check()
    page.get_by_role("link", name=f"{participant.study_id}: Drinking day, grams of alcohol").click()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    visits.check()
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.get_by_role("link", name="Open the record on its page").click()
    reason = "the diary on file says 3 more units"
    _correct_day(web, visits, queried, reason)
    web.open(f"/queries/{query.pk}/")
    visits.check()
    assert page.get_by_role("heading", name=f"Query {query.pk} Answered").is_visible()
    thread = page.get_by_role("region", name="Thread")
    assert "Answered by a correction" in thread.inner_text()
    assert reason in thread.inner_text()
    assert page.get_by_role("button", name="Close the query").count() == 0


def _monitor_closes_the_query(web, visits: Visits, query: Query, participant) -> None:
    """Step 3: the monitor finds the query answered among theirs (on the dashboard too), reads the
    corrected day (without a way to change it) and closes the query."""
    page = web.page
    web.open("/")
    visits.check()
    answered = page.get_by_role("list", name="Answered, awaiting your review")
    assert answered.get_by_role("link").all_inner_texts() == [f"{participant.study_id}: {query_where(query)}"]
    page.get_by_role("link", name="All data queries").click()
    page.get_by_role("heading", name="Data queries", exact=True).wait_for()
    visits.check()
    page.get_by_role("link", name=f"Query {query.pk} on {participant.study_id}").click()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    visits.check()
    page.get_by_role("link", name="Open the record on its page").click()
    page.get_by_role("heading", name=re.compile(r"^Days from ")).wait_for()
    visits.check()
    assert page.get_by_role("button", name="Save the period").count() == 0  # the monitor only reads
    assert hidden_words_in(page, DRUG_WORDS) == []
    page.go_back()
    page.get_by_role("heading", name=f"Query {query.pk}").wait_for()
    page.get_by_label("A note on closing (optional)").fill("Matches the diary now.")
    with page.expect_navigation():
        page.get_by_role("button", name="Close the query").click()
    page.get_by_text(f"Query {query.pk} closed.").wait_for()
    visits.check()
    assert Query.objects.get(pk=query.pk).state == "closed"


def test_query_verify_correct_close_sign_invalidate_and_sign_again(web, reviewed):
    page = web.page
    visits = Visits(page)
    infusion = InfusionSession.objects.filter(visit__appointment__participant__in=reviewed.at_exeter).first()
    participant = infusion.visit.appointment.participant
    recalled = list(DrinkingRecord.objects.filter(participant=participant, source=Source.TLFB).order_by("-day")[:10])
    queried, later = recalled[4], recalled[0]

    web.sign_in(reviewed.monitor)
    query = _monitor_raises_a_query_and_verifies_the_infusion(web, visits, queried, infusion)
    web.sign_in(reviewed.coordinator)
    _coordinator_corrects_the_day(web, visits, query, queried)
    web.sign_in(reviewed.monitor)
    _monitor_closes_the_query(web, visits, query, participant)

    # 4. The investigator signs the casebook, from their list.
    web.sign_in(reviewed.investigator)
    web.open("/")
    visits.check()
    page.get_by_role("link", name="Casebooks and visits to sign, and signatures gone invalid").click()
    page.get_by_role("heading", name="Casebooks and visits to sign").wait_for()
    visits.check()
    page.get_by_role("link", name=_casebook_link(participant)).click()
    _sign(web, visits, reviewed.device, participant, "Approval")
    signatures = page.get_by_role("region", name="Signatures")
    assert signatures.get_by_text("Valid", exact=True).is_visible()
    assert "Ada Lovelace" in signatures.inner_text()

    # 5. A later correction of another day makes the signature invalid.
    web.sign_in(reviewed.coordinator)
    _calendar_at(web, visits, later)
    _correct_day(web, visits, later, "the participant remembered a birthday")
    web.sign_in(reviewed.investigator)
    web.open(f"/participants/{participant.study_id}/")
    visits.check()
    signatures = page.get_by_role("region", name="Signatures")
    assert signatures.get_by_text("Invalid: changed since signed").is_visible()
    assert signatures.get_by_text("Valid", exact=True).count() == 0
    web.open("/signing/")
    visits.check()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=_casebook_link(participant)))
    assert "Invalid: changed since signed" in row.inner_text()

    # 6. The investigator signs again: the new signature is valid, the old one stays invalid.
    row.get_by_role("link").click()
    _sign(web, visits, reviewed.device, participant, "Responsibility")
    signatures = page.get_by_role("region", name="Signatures")
    assert signatures.get_by_text("Valid", exact=True).count() == 1
    assert signatures.get_by_text("Invalid: changed since signed").count() == 1
    assert list(Signature.objects.values_list("meaning", flat=True)) == ["approval", "responsibility"]
    web.open("/signing/")
    visits.check()
    assert page.get_by_role("link", name=_casebook_link(participant)).count() == 0

    # The infusion, a different record, is still verified after both corrections, by its first mark.
    web.sign_in(reviewed.monitor)
    web.open(f"/participants/{participant.study_id}/monitoring/")
    visits.check()
    assert page.locator(f"#record-infusion-{infusion.pk}").get_by_text("Verified", exact=True).is_visible()
    assert VerificationMark.objects.filter(kind="infusion", record_id=infusion.pk).count() == 1
    assert visits.unchecked() == []
