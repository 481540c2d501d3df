"""Requests the API should accept, drawn from the seeded data.

:func:`plans_for` gives, per operation, a strategy of ``(path parameters, query or None, body)``
that the operation should accept: ``None`` for the query means the usual real one
(:func:`real_query`), :data:`KEEP` for the body the one schemathesis generated. The plans are
grouped by resource. An operation not named in them gets real path parameters by name
(:func:`real_path`), which is enough for a read; a new operation that writes needs a plan here.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from core.roles import Role
from outcomes.exports import DEFAULT_DATASETS, FORMATS, TABULAR_FORMATS
from participants.models import DeviationKind, InfusionSession, ScreeningOutcome, TherapySession, WithdrawalScope
from participants.safety.services import ASSESSED
from reminders.models import State
from tests.fuzz.seeding import PASSWORD, Seeded, enrolling_code, signing_code

KEEP = object()  # keep the generated body
# Reasons for a change, where the API asks for one.
REASON = st.sampled_from(["source data verification", "transcription error corrected"])
PLACES = ["Exeter", "Room 4, outpatients", ""]


def plans_for(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Per operation label (``"POST /api/screenings/"``), the requests it should accept."""
    return {
        **_participant_plans(s),
        **_entered_data_plans(s),
        **_appointment_plans(s),
        **_safety_plans(s),
        **_query_plans(s),
        **_trial_plans(s),
        **_user_plans(s),
        **_review_plans(s),
    }


def real_path(s: Seeded, operation) -> st.SearchStrategy[dict]:
    """Real values for an operation's path parameters, by name (``id`` by the path's first segment)."""
    segment = operation.path.split("/")[2]
    by_name = {
        "study_id": st.sampled_from(s.study_ids),
        "code": st.just(s.trial),
        "number": st.just(1),
        "format": st.sampled_from(FORMATS),
        "user_id": st.sampled_from(sorted(s.users.values())),
        "id": st.sampled_from(s.ids.get(segment) or [0]),
    }
    names = [p.name for p in operation.path_parameters]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise LookupError(f"{operation.label}: seed real values for the path parameters {unknown}")
    return st.fixed_dictionaries({name: by_name[name] for name in names})


def real_query(s: Seeded, operation) -> st.SearchStrategy[dict]:
    """Real values for some of an operation's query parameters."""
    by_name = {
        "trial": st.just(s.trial),
        "site": st.sampled_from(s.site_codes),
        "page": st.just(1),
        "page_size": st.integers(1, 50),
        "due_before": _dates(s.today, s.today + dt.timedelta(days=30)),
        "ordering": st.sampled_from(["study_id", "-enrolled_on", "site"]),
        "search": st.sampled_from(sorted({sid[:2] for sid in s.study_ids})),
        "outcome": st.sampled_from(ScreeningOutcome.values),
        "reviewed": st.sampled_from(["true", "false"]),
        "state": st.sampled_from(State.values),
        "version": st.just(1),
        "blinded": st.sampled_from(["true", "false"]),
        "coded": st.sampled_from(["true", "false"]),
        "q": st.sampled_from(["fi", "na", "ee", "dizz"]),
        "release": st.sampled_from(s.ids["dictionaries"]),
    }
    names = [p.name for p in operation.query]
    return st.fixed_dictionaries({}, optional={name: by_name[name] for name in names if name in by_name})


# --- the pieces of a plan ---------------------------------------------------------------------------


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _dates(first: dt.date, last: dt.date) -> st.SearchStrategy[str]:
    return st.dates(first, last).map(_iso)


def _recent(s: Seeded) -> st.SearchStrategy[str]:
    """A date in the last three days."""
    return _dates(s.today - dt.timedelta(days=3), s.today)


def _plan(path, body=None):
    """These path parameters, the usual query, and this body (the generated one if none)."""
    return st.tuples(path, st.none(), st.just(KEEP) if body is None else body)


def _study(ids):
    return st.sampled_from(ids).map(lambda sid: {"study_id": sid})


def _one(name, value):
    return st.just({name: value})


def _window_pick(rows):
    """One of ``(id, first, last)`` rows, as its ``id`` path parameter and a date from first to last."""
    return st.sampled_from(rows).flatmap(lambda r: st.tuples(st.just({"id": r[0]}), _dates(r[1], r[2])))


# --- by resource ------------------------------------------------------------------------------------


def _participant_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Screening, enrolment, consent, contact, randomisation, unblinding and withdrawal."""
    today, trial, recent = s.today, s.trial, _recent(s)
    return {
        "POST /api/screenings/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "trial": st.just(trial),
                    "site": st.sampled_from(s.site_codes),
                    "screened_on": recent,
                    "answers": st.just(s.eligible_answers),
                }
            ),
        ),
        "POST /api/participants/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "screening": st.sampled_from(s.eligible_screenings),
                    "sex": st.sampled_from(["M", "F"]),
                    "age_at_consent": st.integers(18, 60),
                    "consent_form_version": st.just("1.0"),
                    "consented_on": st.just(_iso(today)),
                    "first_name": st.just("Ada"),
                    "last_name": st.just("Byron"),
                    "email": st.just("ada@example.org"),
                }
            ),
        ),
        "POST /api/participants/{study_id}/baseline/": _plan(
            _study(s.enrolled),
            st.fixed_dictionaries(
                {"completed_on": st.just(_iso(today)), "weight_kg": st.sampled_from(["64.0", "80.5"])}
            ),
        ),
        "POST /api/participants/{study_id}/consents/": _plan(
            _study(s.writable),
            st.fixed_dictionaries({"form_version": st.just("2.0"), "consented_on": st.just(_iso(today))}),
        ),
        "PUT /api/participants/{study_id}/contact-preferences/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {"email_consent": st.booleans(), "sms_consent": st.just(False)},
                optional={"preferred_time": st.just("09:30"), "time_zone": st.just("Europe/London")},
            ),
        ),
        "PATCH /api/participants/{study_id}/identity/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {"reason": st.just("the participant gave a new number"), "phone": st.just("+447700900456")},
                optional={"email": st.just("new@example.org")},
            ),
        ),
        "POST /api/participants/{study_id}/randomise/": _plan(_study(s.baselined + s.writable)),
        "GET /api/participants/{study_id}/allocation/": _plan(_study(s.writable)),
        "POST /api/participants/{study_id}/unblind/": _plan(
            _study(s.writable),
            st.fixed_dictionaries({"reason": st.just("suspected serious reaction"), "password": st.just(PASSWORD)}),
        ),
        "POST /api/participants/{study_id}/withdrawals/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "scope": st.sampled_from(WithdrawalScope.values),
                    "withdrawn_on": recent,
                    "reason": st.just("moved away"),
                }
            ),
        ),
    }


def _entered_data_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """A participant's biomarkers, drinking days and questionnaires."""
    today, recent = s.today, _recent(s)
    return {
        "POST /api/participants/{study_id}/biomarkers/": _plan(
            _study(s.writable),
            st.one_of(
                st.fixed_dictionaries(
                    {"kind": st.just("etg"), "taken_on": recent, "value": st.sampled_from(["120.000", "900.000"])}
                ),
                st.fixed_dictionaries({"kind": st.just("transdermal"), "taken_on": recent}),
            ),
        ),
        "PUT /api/participants/{study_id}/drinking-days/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "source": st.just("tlfb"),
                    "reason": st.just("recall corrected"),
                    "days": st.lists(
                        st.fixed_dictionaries(
                            {"amount": st.sampled_from(["0", "2.5", "9"]), "unit": st.sampled_from(["uk_unit", "g"])}
                        ),
                        min_size=1,
                        max_size=3,
                    ).map(
                        lambda days: [d | {"date": _iso(today - dt.timedelta(days=i + 1))} for i, d in enumerate(days)]
                    ),
                }
            ),
        ),
        "POST /api/participants/{study_id}/questionnaires/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "instrument": st.just("pacs"),
                    "administered_on": recent,
                    "items": st.lists(st.integers(0, 6), min_size=5, max_size=5).map(
                        lambda scores: {str(n): v for n, v in enumerate(scores, start=1)}
                    ),
                }
            ),
        ),
    }


def _appointment_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Booking, rescheduling and cancelling appointments; visits, infusions and therapy sessions."""
    today = s.today
    return {
        "POST /api/participants/{study_id}/appointments/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "booked_date": _dates(today, today + dt.timedelta(days=30)),
                    "title": st.just("Review of an adverse event"),
                    "reason": REASON,
                }
            ),
        ),
        "POST /api/appointments/{id}/cancel/": _plan(
            st.sampled_from(s.open_appointments).map(lambda r: {"id": r[0]}), st.fixed_dictionaries({"reason": REASON})
        ),
        "POST /api/appointments/{id}/reschedule/": st.tuples(
            _window_pick(s.open_appointments), st.sampled_from(["09:30", "14:00", None]), st.sampled_from(PLACES)
        ).map(lambda r: (r[0][0], None, {"booked_date": r[0][1], "booked_time": r[1], "place": r[2]})),
        "POST /api/appointments/{id}/visit/": _window_pick(s.recordable).map(
            lambda r: (r[0], None, {"actual_date": r[1], "attended": True})
        ),
        "PATCH /api/appointments/{id}/visit/": (
            st.sampled_from(s.correctable).map(
                lambda r: ({"id": r[0]}, None, {"actual_date": _iso(r[1]), "reason": "date misread"})
            )
        ),
        "POST /api/appointments/{id}/infusion/": _plan(_one("id", s.infusion_appointment), st.just(s.infusion_body)),
        "GET /api/appointments/{id}/infusion/": _plan(
            st.sampled_from(
                list(InfusionSession.objects.values_list("visit__appointment_id", flat=True))
                or [s.infusion_appointment]
            ).map(lambda i: {"id": i})
        ),
        "PATCH /api/appointments/{id}/infusion/": _plan(
            st.sampled_from(
                list(InfusionSession.objects.values_list("visit__appointment_id", flat=True))
                or [s.infusion_appointment]
            ).map(lambda i: {"id": i}),
            st.fixed_dictionaries(
                {"reason": st.just("volume misread from the pump"), "volume_ml": st.sampled_from(["45.0", "50.0"])},
                optional={"interruptions": st.integers(0, 3), "dissociation_score": st.integers(0, 100)},
            ),
        ),
        "POST /api/appointments/{id}/session/": _plan(
            _one("id", s.infusion_appointment),
            st.fixed_dictionaries({"session_number": st.just(1), "attended": st.just(True), "minutes": st.just(90)}),
        ),
        "PATCH /api/appointments/{id}/session/": _plan(
            st.sampled_from(
                list(TherapySession.objects.filter(attended=True).values_list("visit__appointment_id", flat=True))
                or [s.infusion_appointment]
            ).map(lambda i: {"id": i}),
            st.fixed_dictionaries(
                {"reason": st.just("length misread"), "minutes": st.sampled_from([45, 60, 90])},
                optional={"attended": st.just(True)},
            ),
        ),
    }


def _safety_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Adverse events, their reports, deviations and their review."""
    today, recent = s.today, _recent(s)
    return {
        "POST /api/participants/{study_id}/adverse-events/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "term": st.sampled_from(["Headache", "Nausea"]),
                    "onset_date": st.just(_iso(today)),
                    "grade": st.integers(1, 4),
                    "drug_causality": st.sampled_from(ASSESSED),
                    "therapy_causality": st.sampled_from(ASSESSED),
                    "expected": st.booleans(),
                },
                optional={"seriousness": st.sampled_from([[], ["hospitalisation"]])},
            ),
        ),
        "PATCH /api/adverse-events/{id}/": _plan(
            st.sampled_from(s.ids["adverse-events"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries(
                {"reason": REASON}, optional={"grade": st.integers(1, 4), "outcome": st.just("recovering")}
            ),
        ),
        "POST /api/adverse-events/{id}/reports/": _plan(
            _one("id", s.serious_adverse_event),
            st.fixed_dictionaries({"to": st.sampled_from(["sponsor", "regulator"])}),
        ),
        "POST /api/participants/{study_id}/deviations/": _plan(
            _study(s.writable),
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(DeviationKind.values),
                    "description": st.just("sample taken late"),
                    "occurred_on": recent,
                }
            ),
        ),
        "POST /api/deviations/{id}/review/": _plan(
            st.sampled_from(s.ids["deviations"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries({"important": st.booleans(), "note": st.just("reviewed with the site")}),
        ),
        "POST /api/adverse-events/{id}/coding/": _plan(
            st.sampled_from(s.ids["adverse-events"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries({"term": st.sampled_from(s.dictionary_terms), "reason": REASON}),
        ),
    }


def _query_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Data queries: raising one on a drinking day, and the messages of its thread."""
    on_query = st.sampled_from(s.ids["queries"]).map(lambda i: {"id": i})
    text = st.fixed_dictionaries({"text": st.sampled_from(["Checked against the diary.", "Please look again."])})
    return {
        "POST /api/queries/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "record_kind": st.just("drinking_day"),
                    "record_id": st.sampled_from(s.ids["drinking-days"]),
                    "item": st.sampled_from(["grams", "amount", ""]),
                    "text": st.just("The source says otherwise."),
                }
            ),
        ),
        **{f"POST /api/queries/{{id}}/{action}/": _plan(on_query, text) for action in ("answer", "comment")},
        # the query seeded closed: any other is open and answers 409
        "POST /api/queries/{id}/reopen/": _plan(_one("id", s.ids["queries"][-1]), text),
        "POST /api/queries/{id}/close/": _plan(
            on_query, st.fixed_dictionaries({}, optional={"text": st.just("Agreed.")})
        ),
    }


def _trial_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """A trial's locks, its unblinding for analysis, its randomisation lists and its exports."""
    trial = s.trial
    return {
        "POST /api/trials/{code}/locks/": _plan(
            _one("code", trial),
            st.fixed_dictionaries({"reason": REASON}, optional={"study_id": st.sampled_from(s.writable)}),
        ),
        "POST /api/locks/{id}/unlock/": _plan(_one("id", s.active_lock), st.fixed_dictionaries({"reason": REASON})),
        "POST /api/trials/{code}/analysis-unblinding/": _plan(
            _one("code", trial),
            st.fixed_dictionaries({"reason": st.just("final analysis"), "password": st.just(PASSWORD)}),
        ),
        "POST /api/trials/{code}/randomisation-lists/": _plan(
            _one("code", trial), st.fixed_dictionaries({"blocks": st.integers(1, 4)})
        ),
        "POST /api/trials/{code}/randomisation-lists/top-up/": _plan(
            _one("code", trial), st.fixed_dictionaries({"blocks": st.integers(1, 2)})
        ),
        # Every format with each dataset it offers, and the drinking days where the format is tabular.
        "GET /api/trials/{code}/exports/{format}/": st.sampled_from(
            [(f, d) for f in FORMATS for d in DEFAULT_DATASETS[f] + (("drinking",) if f in TABULAR_FORMATS else ())]
        ).map(lambda fd: ({"code": trial, "format": fd[0]}, {"dataset": fd[1]}, KEEP)),
    }


def _user_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """Signing in for a token, creating users, giving them memberships (never oneself) and deciding
    the requests for roles a second administrator asked for."""
    others = sorted(pk for role, pk in s.users.items() if role != Role.ADMINISTRATOR)
    requests = st.sampled_from(s.ids["role-requests"]).map(lambda i: {"id": i})
    trial = s.trial
    return {
        "POST /api/auth/token/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {"username": st.sampled_from([f"fuzz-{r}" for r in s.password_only]), "password": st.just(PASSWORD)}
            ),
        ),
        "POST /api/me/totp/confirm/": _plan(st.just({}), st.builds(lambda: {"code": enrolling_code()})),
        "POST /api/tokens/{id}/revoke/": _plan(
            st.sampled_from(s.ids["tokens"]).map(lambda i: {"id": i}),
            st.fixed_dictionaries({"reason": st.just("token found in a shared notebook")}),
        ),
        "POST /api/users/{user_id}/totp/reset/": _plan(
            st.sampled_from(sorted(pk for role, pk in s.users.items() if role != Role.ADMINISTRATOR)).map(
                lambda i: {"user_id": i}
            ),
            st.fixed_dictionaries({"reason": st.just("phone lost")}),
        ),
        "POST /api/users/{user_id}/unlock/": _plan(
            st.sampled_from(sorted(s.users.values())).map(lambda i: {"user_id": i}),
            st.fixed_dictionaries({"reason": st.just("help desk ticket")}),
        ),
        "POST /api/users/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "username": st.from_regex(r"fuzz-new-[a-z0-9]{8}", fullmatch=True),
                    "role": st.sampled_from([str(r) for r in Role]),
                    "trial": st.just(trial),
                    "sites": st.sampled_from([[], s.site_codes[:1]]),
                }
            ),
        ),
        "POST /api/users/{user_id}/memberships/": _plan(
            st.sampled_from(others).map(lambda i: {"user_id": i}),
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from([str(r) for r in Role]),
                    "trial": st.just(trial),
                    "sites": st.just(s.site_codes[:1]),
                }
            ),
        ),
        "POST /api/role-requests/{id}/approve/": _plan(
            requests, st.fixed_dictionaries({}, optional={"reason": st.just("on the delegation log")})
        ),
        "POST /api/role-requests/{id}/refuse/": _plan(requests, st.fixed_dictionaries({"reason": REASON})),
    }


def _review_plans(s: Seeded) -> dict[str, st.SearchStrategy]:
    """A monitor's verification mark and an investigator's signature."""
    return {
        "POST /api/verification-marks/": _plan(
            st.just({}),
            st.fixed_dictionaries(
                {
                    "kind": st.just("adverse_event"),
                    "record_id": st.sampled_from(s.ids["adverse-events"]),
                    "item": st.sampled_from(["", "term", "grade"]),
                }
            ),
        ),
        "GET /api/records/{kind}/{id}/empty-items/": _plan(
            st.fixed_dictionaries({"kind": st.just("adverse_event"), "id": st.sampled_from(s.ids["adverse-events"])})
        ),
        "POST /api/records/{kind}/{id}/empty-items/": _plan(
            st.fixed_dictionaries({"kind": st.just("adverse_event"), "id": st.sampled_from(s.ids["adverse-events"])}),
            st.fixed_dictionaries(
                {
                    "items": st.dictionaries(
                        st.sampled_from(["end_date", "action_taken", "outcome"]),
                        st.fixed_dictionaries(
                            {"code": st.sampled_from(["", "not_done", "unknown", "not_applicable", "declined"])},
                            optional={"note": st.sampled_from(["", "lost to contact"])},
                        ),
                        min_size=1,
                        max_size=3,
                    ),
                },
                optional={"reason": REASON},
            ),
        ),
        "POST /api/participants/{study_id}/signatures/": _plan(
            _study(s.study_ids),
            st.sampled_from(["review", "approval", "responsibility"]).map(
                lambda meaning: {"meaning": meaning, "password": PASSWORD, "otp_code": signing_code()}
            ),
        ),
    }
