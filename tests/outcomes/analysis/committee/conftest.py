"""A small KARE trial for the committee reports, with every date known.

Three participants randomised 220 days ago (``a``, ``b`` at Exeter, ``c`` at London), one
randomised 100 days ago (``late``); the cut-off is 150 days ago. Adverse events of ``a``, ``b`` and
``c`` before it (three coded against the made-up MedDRA release of the participants' tests, one
not), one of ``a`` after it; a withdrawal of ``c`` whose reason names the study drug.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from lxml import html as lxml_html

from participants.enrolment import services as enrolment
from participants.models import DictionaryTerm, Participant
from participants.randomisation import services as randomisation
from participants.safety.coding import adverse_event_code
from participants.safety.services import adverse_event_record
from tests.conftest import ROOT, password_in
from tests.outcomes.analysis.conftest import days_ago

MEDDRA = ROOT / "tests" / "participants" / "dictionaries" / "meddra"
CUTOFF_DAYS_AGO = 150


@dataclass
class Small:
    trial: object
    a: Participant
    b: Participant
    c: Participant
    late: Participant
    cutoff: dt.date
    statistician: object
    coordinator: object

    def arm_title(self, participant: Participant) -> str:
        return participant.allocation.arm.title


def _ae(clinic, participant, *, term, onset, grade, drug="not_related", therapy="not_related", **extra):
    return adverse_event_record(
        actor=clinic.coordinator,
        participant=participant,
        term=term,
        onset_date=onset,
        grade=grade,
        drug_causality=drug,
        therapy_causality=therapy,
        expected=extra.pop("expected", True),
        **extra,
    )


@pytest.fixture
def small(clinic, make_user, kare):
    a = clinic.randomised(site="exeter")
    b = clinic.randomised(site="exeter", sex="F")
    c = clinic.randomised(site="london")
    late = clinic.enrol(site="london")
    randomisation.participant_randomise(actor=clinic.coordinator, participant=late, on=days_ago(100))
    day = a.allocation.allocated_on
    coder = make_user("data_manager", kare, username="coder")
    call_command(
        "load_dictionary",
        "--meddra",
        str(MEDDRA),
        "--version",
        "27.1",
        "--as",
        "coder",
        stdin=password_in(),
        stdout=io.StringIO(),
    )

    def coded(event, llt):
        adverse_event_code(actor=coder, adverse_event=event, term=DictionaryTerm.objects.get(llt_name=llt))

    coded(_ae(clinic, a, term="queasy", onset=day + dt.timedelta(days=8), grade=2, drug="possibly"), "Feeling queasy")
    coded(_ae(clinic, a, term="nausea", onset=day + dt.timedelta(days=9), grade=1, drug="unlikely"), "Nausea")
    coded(
        _ae(
            clinic,
            b,
            term="fit at home",
            onset=day + dt.timedelta(days=10),
            grade=3,
            drug="probably",
            seriousness=["hospitalisation"],
            expected=False,
            outcome="recovered",
        ),
        "Fit",
    )
    _ae(
        clinic, c, term="odd feeling after the ketamine", onset=day + dt.timedelta(days=11), grade=1, therapy="possibly"
    )
    _ae(clinic, a, term="late headache", onset=days_ago(120), grade=4, seriousness=["life_threatening"])
    enrolment.withdrawal_record(
        actor=clinic.coordinator,
        participant=c,
        scope="follow_up",
        withdrawn_on=day + dt.timedelta(days=30),
        reason="fears the ketamine",
    )
    enrolment.withdrawal_record(
        actor=clinic.coordinator,
        participant=b,
        scope="intervention",
        withdrawn_on=days_ago(110),
        reason="moved away",
    )
    people = Participant.objects.select_related("allocation__arm", "site")
    return Small(
        trial=kare,
        a=people.get(pk=a.pk),
        b=people.get(pk=b.pk),
        c=people.get(pk=c.pk),
        late=people.get(pk=late.pk),
        cutoff=days_ago(CUTOFF_DAYS_AGO),
        statistician=clinic_statistician(),
        coordinator=clinic.coordinator,
    )


def clinic_statistician():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="statistician")


def tables(page: str) -> dict[str, list[list[str]]]:
    """The page's tables by caption (or first header cell): rows of cell texts, header first."""
    found = {}
    for node in lxml_html.fromstring(page).iter("table"):
        rows = [[cell.text_content() for cell in tr.iter("th", "td")] for tr in node.iter("tr")]
        caption = node.find("caption")
        found[caption.text_content() if caption is not None else rows[0][0]] = rows
    return found


def row(table: list[list[str]], label: str) -> list[str]:
    """The row whose first cell is ``label`` (leading spaces ignored)."""
    return next(r for r in table if r[0].strip() == label)


def column(table: list[list[str]], name: str) -> int:
    return table[0].index(name)


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def whole_words(text: str, words: list[str]) -> list[str]:
    """Which of ``words`` appear in ``text`` as whole words, ignoring case."""
    return [w for w in words if re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", text, re.IGNORECASE)]
