"""Every write about outcomes: drinking days, biomarker samples, questionnaires, data queries.

Each service checks the actor's role at the participant's site (403), refuses locked data (409,
:func:`participants.guards.ensure_unlocked`), validates against the
protocol in force (400 naming every bad field, e.g. ``days.3.amount``), and writes all or nothing
inside one transaction with the audit context. The one write without a staff actor is the
participant's own diary report (:func:`diary_days_record`): the same checks of the days, the
participant's own conditions instead of a role.

One module per concept; every service, and what callers build or word with (``DayEntry``, the
wording of a bad amount, :data:`DIARY_REASON`), is re-exported here (``from outcomes import
services``, ``from outcomes.services import drinking_days_record``):

* :mod:`~outcomes.services.days`: a day as entered, its grams and its checks, shared by every way
  of recording days;
* :mod:`~outcomes.services.drinking`: days entered by staff, and the import of earlier days;
* :mod:`~outcomes.services.self_report`: the days participants report themselves;
* :mod:`~outcomes.services.biomarkers`: biomarker samples and the data queries they open;
* :mod:`~outcomes.services.questionnaires`: questionnaires item by item.
"""

from outcomes.services.biomarkers import biomarker_record, is_positive
from outcomes.services.days import (
    AMOUNT_AND_REASON,
    CENT,
    NEGATIVE,
    NOT_A_NUMBER,
    SELF_REPORT,
    TOO_PRECISE,
    UNIT_GRAMS,
    DayEntry,
    check_day,
    unit_grams,
)
from outcomes.services.drinking import drinking_days_import, drinking_days_record
from outcomes.services.questionnaires import questionnaire_record
from outcomes.services.self_report import DIARY_REASON, diary_days_record, ensure_may_self_report

__all__ = [
    "AMOUNT_AND_REASON",
    "CENT",
    "DIARY_REASON",
    "NEGATIVE",
    "NOT_A_NUMBER",
    "SELF_REPORT",
    "TOO_PRECISE",
    "UNIT_GRAMS",
    "DayEntry",
    "biomarker_record",
    "check_day",
    "diary_days_record",
    "drinking_days_import",
    "drinking_days_record",
    "ensure_may_self_report",
    "is_positive",
    "questionnaire_record",
    "unit_grams",
]
