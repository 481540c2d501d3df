"""Who may do what, as the project declares it: for each operation, the roles whose token the fuzz
sends most of the time, so that a write gets past its permission and its answer is checked too.
An operation not named in :data:`ROLES` is open to every role (:data:`ANY_ROLE`).
"""

from __future__ import annotations

from core.roles import (
    ANSWER_QUERIES,
    CODE_ADVERSE_EVENTS,
    ENTER_DATA,
    MANAGE_PEOPLE,
    MANAGE_RANDOMISATION_LIST,
    RAISE_QUERIES,
    RANDOMISE,
    READ_IDENTITY,
    RECORD_WITHDRAWAL,
    SCREEN_AND_ENROL,
    SIGN_RECORDS,
    VERIFY_SOURCE,
    Role,
)
from outcomes.exports.policy import EXPORTERS
from participants.locks.services import LOCKERS
from participants.safety.services import REVIEWERS
from tests.fuzz.seeding import KARE_FILE
from trials.protocol import load_file
from trials.selectors import HISTORY_READERS


def _able(roles) -> tuple[str, ...]:
    return tuple(sorted(str(role) for role in roles))


ANY_ROLE = _able(Role)
# Who sees a factor KARE assesses blind enters no outcome, adverse-event or questionnaire data.
SEE_THE_ALLOCATION = {role for f in load_file(KARE_FILE).factors if f.assessed_blind for role in f.visible_to}
ROLES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        [
            "PATCH /api/adverse-events/{id}/",
            "POST /api/participants/{study_id}/adverse-events/",
            "POST /api/participants/{study_id}/biomarkers/",
            "PUT /api/participants/{study_id}/drinking-days/",
            "POST /api/participants/{study_id}/questionnaires/",
            "POST /api/records/{kind}/{id}/empty-items/",
        ],
        _able(set(ENTER_DATA) - SEE_THE_ALLOCATION),
    ),
    **dict.fromkeys(
        [
            "POST /api/adverse-events/{id}/reports/",
            "POST /api/appointments/{id}/cancel/",
            "POST /api/appointments/{id}/infusion/",
            "PATCH /api/appointments/{id}/infusion/",
            "PATCH /api/appointments/{id}/session/",
            "POST /api/appointments/{id}/reschedule/",
            "POST /api/appointments/{id}/session/",
            "POST /api/appointments/{id}/visit/",
            "PATCH /api/appointments/{id}/visit/",
            "POST /api/participants/{study_id}/appointments/",
            "POST /api/participants/{study_id}/deviations/",
        ],
        _able(ENTER_DATA),
    ),
    **dict.fromkeys(
        [
            "POST /api/participants/",
            "POST /api/participants/{study_id}/baseline/",
            "POST /api/participants/{study_id}/consents/",
            "PATCH /api/participants/{study_id}/identity/",
            "POST /api/screenings/",
        ],
        _able(SCREEN_AND_ENROL),
    ),
    **dict.fromkeys(
        [
            "GET /api/participants/{study_id}/contact-preferences/",
            "PUT /api/participants/{study_id}/contact-preferences/",
            "GET /api/participants/{study_id}/identity/",
        ],
        _able(READ_IDENTITY),
    ),
    **dict.fromkeys(
        [
            "GET /api/trials/{code}/randomisation-lists/",
            "POST /api/trials/{code}/randomisation-lists/",
            "GET /api/trials/{code}/randomisation-lists/slots/",
            "POST /api/trials/{code}/randomisation-lists/top-up/",
            "GET /api/trials/{code}/randomisation-lists/verify/",
        ],
        _able(MANAGE_RANDOMISATION_LIST),
    ),
    **dict.fromkeys(
        [
            "GET /api/tokens/",
            "POST /api/tokens/{id}/revoke/",
            "GET /api/users/",
            "POST /api/users/",
            "POST /api/users/{user_id}/memberships/",
            "POST /api/users/{user_id}/totp/reset/",
            "POST /api/users/{user_id}/unlock/",
            "GET /api/role-requests/",
            "POST /api/role-requests/{id}/approve/",
            "POST /api/role-requests/{id}/refuse/",
        ],
        _able(MANAGE_PEOPLE),
    ),
    **dict.fromkeys(
        [
            "POST /api/locks/{id}/unlock/",
            "POST /api/trials/{code}/analysis-unblinding/",
            "POST /api/trials/{code}/locks/",
        ],
        _able(LOCKERS),
    ),
    "POST /api/deviations/{id}/review/": _able(REVIEWERS),
    "GET /api/adverse-events/coding/": _able(CODE_ADVERSE_EVENTS),
    "POST /api/adverse-events/{id}/coding/": _able(CODE_ADVERSE_EVENTS),
    "POST /api/queries/": _able(RAISE_QUERIES),
    "POST /api/queries/{id}/answer/": _able(ANSWER_QUERIES),
    "POST /api/queries/{id}/comment/": _able(RAISE_QUERIES | ANSWER_QUERIES),
    # the seeded queries were raised by the monitor, who alone closes and re-opens them
    "POST /api/queries/{id}/close/": _able([Role.MONITOR]),
    "POST /api/queries/{id}/reopen/": _able([Role.MONITOR]),
    "POST /api/participants/{study_id}/randomise/": _able(RANDOMISE),
    "POST /api/participants/{study_id}/withdrawals/": _able(RECORD_WITHDRAWAL),
    "GET /api/trials/{code}/history/": _able(HISTORY_READERS),
    "GET /api/trials/{code}/exports/{format}/": _able(EXPORTERS),
    # KARE's protocol names the roles that may unblind a participant in an emergency.
    "POST /api/participants/{study_id}/unblind/": _able([Role.INVESTIGATOR]),
    "POST /api/verification-marks/": _able(VERIFY_SOURCE),
    "POST /api/participants/{study_id}/signatures/": _able(SIGN_RECORDS),
}
