"""The participants app's pages, gathered for the project's URLs (each sub-package lists its own)."""

from participants.casebook import urls as casebook
from participants.enrolment import urls as enrolment
from participants.randomisation import urls as randomisation
from participants.safety import urls as safety
from participants.schedule import urls as schedule

page_patterns = [
    *enrolment.page_patterns,
    *randomisation.page_patterns,
    *schedule.page_patterns,
    *safety.page_patterns,
    # last: its participants/<study_id>/ would otherwise shadow nothing, but reads best after the forms
    *casebook.page_patterns,
]
