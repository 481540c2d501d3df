"""The roles of people who work on a trial, declared here and written to the database by migration.

A role is held at a site (``SiteMembership``). What a role may see of the allocation is the
protocol's business (each factor names the roles that may see it); what a role may do is
declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Trial coordinator"
    INVESTIGATOR = "investigator", "Investigator"
    OUTCOME_ASSESSOR = "outcome_assessor", "Outcome assessor"
    THERAPIST = "therapist", "Therapist"
    PHARMACIST = "pharmacist", "Pharmacist (unblinded to the drug)"
    UNBLINDED_STATISTICIAN = "unblinded_statistician", "Unblinded statistician"
    DATA_MANAGER = "data_manager", "Data manager"
    MONITOR = "monitor", "Monitor (read-only)"
    ADMINISTRATOR = "administrator", "Administrator"


@dataclass(frozen=True)
class RoleSpec:
    code: str
    title: str
    description: str
    read_only: bool = False


ROLE_SPECS: tuple[RoleSpec, ...] = (
    RoleSpec(Role.COORDINATOR, Role.COORDINATOR.label, "Screens, consents, randomises and enters visit data."),
    RoleSpec(
        Role.INVESTIGATOR,
        Role.INVESTIGATOR.label,
        "Oversees participants at a site; may unblind one in an emergency if the protocol allows.",
    ),
    RoleSpec(Role.OUTCOME_ASSESSOR, Role.OUTCOME_ASSESSOR.label, "Collects outcome data; blinded to every factor."),
    RoleSpec(Role.THERAPIST, Role.THERAPIST.label, "Delivers therapy or education sessions."),
    RoleSpec(Role.PHARMACIST, Role.PHARMACIST.label, "Prepares the study drug; sees the drug factor."),
    RoleSpec(
        Role.UNBLINDED_STATISTICIAN,
        Role.UNBLINDED_STATISTICIAN.label,
        "Generates the allocation list; sees every factor.",
    ),
    RoleSpec(
        Role.DATA_MANAGER,
        Role.DATA_MANAGER.label,
        "Cleans data, raises and closes queries, locks the database.",
    ),
    RoleSpec(
        Role.MONITOR,
        Role.MONITOR.label,
        "Reads everything a blinded person may read; changes nothing.",
        read_only=True,
    ),
    RoleSpec(Role.ADMINISTRATOR, Role.ADMINISTRATOR.label, "Adds people and gives them roles at sites."),
)

# Who may do what (beyond reading what their sites hold).
# Outcome, adverse-event and questionnaire data also need the person blind to the allocation at the
# site: a role that sees a factor there may not enter them (participants.guards.require_blinded),
# which the protocol decides, so the pharmacist here records visits and infusions only.
ENTER_DATA = frozenset(
    {
        Role.COORDINATOR,
        Role.INVESTIGATOR,
        Role.OUTCOME_ASSESSOR,
        Role.THERAPIST,
        Role.PHARMACIST,
        Role.DATA_MANAGER,
    }
)
MANAGE_PEOPLE = frozenset({Role.ADMINISTRATOR})
MANAGE_PROTOCOL = frozenset({Role.ADMINISTRATOR, Role.DATA_MANAGER})
SCREEN_AND_ENROL = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
RANDOMISE = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
RECORD_WITHDRAWAL = frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.DATA_MANAGER})
READ_IDENTITY = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
MANAGE_RANDOMISATION_LIST = frozenset({Role.UNBLINDED_STATISTICIAN})
# Loading a licensed medical dictionary release (MedDRA, CTCAE), which every trial may code to.
LOAD_DICTIONARIES = frozenset({Role.ADMINISTRATOR, Role.DATA_MANAGER})
# Coding an adverse event's verbatim term to a dictionary term.
CODE_ADVERSE_EVENTS = frozenset({Role.DATA_MANAGER})
# Bringing in participants and records collected before the trial used the tracker.
IMPORT_DATA = frozenset({Role.ADMINISTRATOR})
# Checking records against the source: the monitor, who changes nothing else.
VERIFY_SOURCE = frozenset({Role.MONITOR})
# Signing a casebook or a visit (21 CFR 11): the site's investigator.
SIGN_RECORDS = frozenset({Role.INVESTIGATOR})
# Data queries (review.queries): who raises them, who answers them for the site, and who closes
# those an edit check raised (a query raised by hand is closed by whoever raised it).
RAISE_QUERIES = frozenset({Role.MONITOR, Role.DATA_MANAGER})
ANSWER_QUERIES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
CLOSE_CHECK_QUERIES = frozenset({Role.DATA_MANAGER})
