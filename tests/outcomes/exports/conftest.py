"""Helpers for the export tests: the example trial imported, files read back, secrets searched for.

Every export test works on the shared example (six KARE participants with their drinking days,
imported through the commands), to which :func:`imported` adds one participant's first infusion
visit through the services: the visit out of its window, the infusion too long and with a blood
pressure past the safety threshold among its vital signs, a deviation written by staff, a serious
adverse event reported to the sponsor. :func:`hidden_words` lists what a file for a user blinded to a
factor must never contain: the factor's code and title, its levels' codes and titles, and every
arm code (an arm names all factors).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from core.services import sites_for, user_create
from participants.locks import services as locks
from tests.conftest import PASSWORD, password_in

STANDARDS = Path(__file__).resolve().parents[3] / "outcomes" / "exports" / "standards"
CLINIC_ID = "K03000"  # ketamine and therapy, Exeter, randomised 2024-07-08
VISIT_DAY = dt.date(2024, 7, 25)  # V2's window closes on the 22nd
STAFF_TEXT = "the ketamine kit reached the Exeter pharmacy late"  # names a level: never in a file


def hidden_words(trial, factors) -> set[str]:
    protocol = trial.version_on().protocol
    words: set[str] = set()
    for code in factors:
        spec = protocol.factor(code)
        words |= {spec.code, spec.title} | {lv.code for lv in spec.levels} | {lv.title for lv in spec.levels}
    if factors:
        words |= {arm.code for arm in protocol.arms} | {arm.title for arm in protocol.arms}
    return words


def found(text: str, words) -> set[str]:
    """The ``words`` that appear in ``text`` as whole words."""
    return {w for w in words if re.search(rf"(?<![A-Za-z0-9_]){re.escape(w)}(?![A-Za-z0-9_])", text)}


def read_csv(path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def read_stat(path):
    """A pyreadstat file read back: ``(frame, metadata)``, value labels applied where it has them."""
    import pyreadstat

    path = str(path)
    if path.endswith(".xpt"):
        return pyreadstat.read_xport(path)
    if path.endswith(".dta"):
        return pyreadstat.read_dta(path, apply_value_formats=True)
    return pyreadstat.read_sav(path, apply_value_formats=True)


def secrets_in(path, words) -> set[str]:
    """The ``words`` a file gives away. Text files are searched whole; a Stata, SPSS or SAS file is
    read back (values, variable names and labels, value labels) and searched, and its raw bytes
    are searched too for words of four letters or more (shorter ones turn up in binary numbers)."""
    path = Path(path)
    raw = path.read_bytes().decode("latin-1")
    if path.suffix not in (".dta", ".sav", ".xpt"):
        return found(raw, words)
    frame, meta = read_stat(path)
    labels = [meta.variable_value_labels or {}, meta.value_labels or {}]
    parts = [frame.to_csv(), " ".join(meta.column_names), json.dumps(meta.column_names_to_labels)]
    parts += [
        str(meta.file_label),
        json.dumps([{k: {str(a): b for a, b in v.items()} for k, v in x.items()} for x in labels]),
    ]
    return found("\n".join(parts), words) | found(raw, {w for w in words if len(w) >= 4})


def statistician():
    """The unblinded statistician of every KARE site, who may export everything (made once)."""
    found = get_user_model().objects.filter(username="export-statistician").first()
    return found or user_create(
        username="export-statistician",
        password=PASSWORD,
        role="unblinded_statistician",
        sites=sites_for(trial="KARE", sites=[]),
    )


def export(tmp_path, fmt: str, *, user=None, system: bool = False, datasets=(), blinded: bool = False) -> Path:
    """Run ``manage.py export`` into a fresh directory as ``user`` (by default the unblinded
    statistician of every site, who sees everything), or ``--system``; returns the directory."""
    user = None if system else (user or statistician())
    out = tmp_path / f"{fmt}-{user.username if user else 'system'}{'-blinded' if blinded else ''}"
    options = {"trial": "KARE", "format": fmt, "out": str(out), "stdout": io.StringIO()}
    if user is not None:
        options["actor"], options["stdin"] = user.username, password_in()
    else:
        options["system"] = True
    if datasets:
        options["dataset"] = list(datasets)
    if blinded:
        options["blinded"] = True
    call_command("export", **options)
    return out


def infusion_visit(nurse, participant, day: dt.date, *, minutes: int = 40):
    """``participant``'s V2 attended on ``day`` and its infusion, ``minutes`` long, with three vital
    signs readings, the one during the infusion past the systolic threshold (180 mmHg)."""
    from participants.models import Appointment
    from participants.schedule.services import VitalsReading, infusion_record, visit_record

    appointment = Appointment.objects.get(participant=participant, event_code="V2", unscheduled=False)
    visit_record(actor=nurse, appointment=appointment, actual_date=day, attended=True)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=participant.site.zone)
    calm = {"systolic": 122, "diastolic": 78, "heart_rate": 70, "spo2": 98}
    return infusion_record(
        actor=nurse,
        appointment=appointment,
        weight_kg=Decimal("75.0"),
        volume_ml=Decimal("50.0"),
        breath_alcohol=Decimal("0.00"),
        started_at=start,
        stopped_at=start + dt.timedelta(minutes=minutes),
        completed=True,
        vitals=[
            VitalsReading(phase="before", minute=-10, **calm),
            VitalsReading(phase="during", minute=15, systolic=186, diastolic=96, heart_rate=91, spo2=97),
            VitalsReading(phase="after", minute=60, **calm),
        ],
    )


@pytest.fixture
def nurse(imported):
    """The coordinator who recorded :data:`CLINIC_ID`'s infusion visit."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="nurse")


@pytest.fixture
def imported(imported, make_user):
    """The example (see the module) with :data:`CLINIC_ID`'s V2 recorded by a nurse through the services."""
    from participants.models import Deviation, DeviationKind, Participant
    from participants.safety.services import (
        adverse_event_record,
        adverse_event_report,
        deviation_record,
        deviation_review,
    )

    nurse = make_user("coordinator", imported, username="nurse")
    participant = Participant.objects.get(trial=imported, study_id=CLINIC_ID)
    # 55 minutes, where the protocol's infusion takes 40 ± 10%: a duration deviation
    infusion = infusion_visit(nurse, participant, VISIT_DAY, minutes=55)
    deviation_record(
        actor=nurse,
        participant=participant,
        kind=DeviationKind.OTHER,
        description=STAFF_TEXT,
        occurred_on=VISIT_DAY,
        appointment=infusion.visit.appointment,
    )
    late = Deviation.objects.get(participant=participant, kind=DeviationKind.OUT_OF_WINDOW)
    deviation_review(actor=make_user("investigator", imported, username="pi"), deviation=late, important=False)
    aware = infusion.started_at + dt.timedelta(hours=2)
    ae = adverse_event_record(
        actor=nurse,
        participant=participant,
        term="hypertension",
        onset_date=VISIT_DAY,
        grade=3,
        drug_causality="possibly",
        therapy_causality="not_related",
        expected=False,
        seriousness=["hospitalisation"],
        action_taken="infusion stopped",
        outcome="recovered",
        infusion=infusion,
        aware_at=aware,
    )
    adverse_event_report(actor=nurse, ae=ae, to="sponsor", reported_at=aware + dt.timedelta(hours=3))
    return imported


@pytest.fixture
def data_manager(imported, make_user):
    return make_user("data_manager", imported, username="dm")


@pytest.fixture
def unblind(imported, data_manager, lock_analysis_plan):
    """``unblind()``: lock the analysis plan and the trial, and unblind it for analysis, as the
    investigator and the data manager would."""

    def run():
        lock_analysis_plan(imported)
        locks.data_lock(actor=data_manager, trial=imported, reason="final analysis")
        locks.trial_unblind_for_analysis(actor=data_manager, trial=imported, reason="final analysis", password=PASSWORD)

    return run
