"""Participants and what happens to them, one module per concept, all under the app label
``participants``: enrolment (screening, identity, consent, withdrawal), randomisation (lists,
allocations), schedule (appointments, visits, infusions, sessions), safety (adverse events,
deviations), locks (data locks, unblinding) and staff notifications.

Every model is re-exported here, so ``from participants.models import Participant`` works wherever
the model is defined.
"""

from participants.models.coding import DictionaryKind, DictionaryRelease, DictionaryTerm
from participants.models.enrolment import (
    Consent,
    Identity,
    Participant,
    Screening,
    ScreeningOutcome,
    Sex,
    Withdrawal,
    WithdrawalScope,
)
from participants.models.locks import AnalysisUnblinding, DataLock, EmergencyUnblinding
from participants.models.notifications import StaffNotification
from participants.models.randomisation import Allocation, AllocationMethod, ListSlot, RandomisationList
from participants.models.safety import RELATED, AdverseEvent, Causality, Deviation, DeviationKind, Seriousness
from participants.models.schedule import (
    PLACE_MAX_LENGTH,
    Appointment,
    AppointmentStatus,
    InfusionSession,
    TherapySession,
    Visit,
    VitalSigns,
    VitalsPhase,
)

__all__ = [
    "PLACE_MAX_LENGTH",
    "RELATED",
    "AdverseEvent",
    "Allocation",
    "AllocationMethod",
    "AnalysisUnblinding",
    "Appointment",
    "AppointmentStatus",
    "Causality",
    "Consent",
    "DataLock",
    "Deviation",
    "DeviationKind",
    "DictionaryKind",
    "DictionaryRelease",
    "DictionaryTerm",
    "EmergencyUnblinding",
    "Identity",
    "InfusionSession",
    "ListSlot",
    "Participant",
    "RandomisationList",
    "Screening",
    "ScreeningOutcome",
    "Seriousness",
    "Sex",
    "StaffNotification",
    "TherapySession",
    "Visit",
    "VitalSigns",
    "VitalsPhase",
    "Withdrawal",
    "WithdrawalScope",
]
