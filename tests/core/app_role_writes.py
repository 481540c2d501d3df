"""Everyday writes through the services, run as a process connected as the application's role.

Run by the ``owned_database`` fixture (tests/core/conftest.py) with ``DATABASE_URL`` naming that
role. It loads KARE, adds two people, revokes a role (a delete), and screens, enrols and completes
the baseline of one participant (inserts and an update) inside one outer audit context, as a
request's would be: the context row is inserted and then updated as its metadata grows.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import django

django.setup()

from django.db import transaction  # noqa: E402

from core import audit  # noqa: E402
from core.services import membership_revoke, sites_for, user_create  # noqa: E402
from participants.enrolment.services import baseline_complete, participant_enrol, screening_record  # noqa: E402
from trials.protocol import CriterionKind, load_file  # noqa: E402
from trials.services import protocol_load  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

trial = protocol_load(protocol=load_file(ROOT / "protocols" / "kare.yaml"), source="kare.yaml").version.trial
sites = sites_for(trial=trial.code, sites=[])
investigator = user_create(username="investigator", password="correct-horse-battery", role="investigator", sites=sites)
monitor = user_create(username="monitor", role="monitor", sites=sites, actor=investigator)
membership_revoke(membership=monitor.memberships.first(), actor=investigator, reason="left the trial")

criteria = trial.version_on().protocol.eligibility.criteria
answers = {c.code: c.kind == CriterionKind.INCLUSION for c in criteria}
day = dt.date.today() - dt.timedelta(days=10)
with transaction.atomic(), audit.context(actor=investigator, url="/first-visit"):
    screening = screening_record(actor=investigator, site=sites[0], screened_on=day, answers=answers)
    participant = participant_enrol(
        actor=investigator,
        screening=screening,
        sex="F",
        age_at_consent=40,
        consent_form_version="1.0",
        consented_on=day,
        first_name="Ada",
        last_name="Example",
    )
    baseline_complete(actor=investigator, participant=participant, completed_on=day, weight_kg=Decimal("70.0"))
print("written")
