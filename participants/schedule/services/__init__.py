"""Every write of the schedule: appointments (materialised, re-dated, booked, cancelled, amended),
visits, infusions with their vitals, sessions, the infusion day that records the three at once, and
the corrections of a recorded infusion or session."""

from participants.schedule.services.appointments import (
    appointment_add_unscheduled,
    appointment_cancel,
    appointment_reschedule,
    appointments_apply_amendment,
    appointments_materialise,
    appointments_redate,
    schedule_dates,
)
from participants.schedule.services.corrections import infusion_update, session_update
from participants.schedule.services.infusion_day import infusion_day_record
from participants.schedule.services.infusions import VitalsReading, dose_for, infusion_record
from participants.schedule.services.sessions import session_record
from participants.schedule.services.visits import visit_record, visit_update

__all__ = [
    "VitalsReading",
    "appointment_add_unscheduled",
    "appointment_cancel",
    "appointment_reschedule",
    "appointments_apply_amendment",
    "appointments_materialise",
    "appointments_redate",
    "dose_for",
    "infusion_day_record",
    "infusion_record",
    "infusion_update",
    "schedule_dates",
    "session_record",
    "session_update",
    "visit_record",
    "visit_update",
]
