"""Blinding decided per site, for people who hold different roles at different sites.

Staff who cover two hospitals hold a role at each: a pharmacist at exeter who coordinates at
london sees the drug of exeter's participants and the therapy of london's, never the other way
round. Every read of a participant (the lists, the detail, the allocation, randomisation's answer,
the endpoints, the audit history, infusions and sessions) shows each participant as the role held
at *that participant's* site allows; a filter, ordering or per-arm count spanning both sites is
allowed only on a factor the person may see at both.

Also here: administrators (at a site, or as superusers) are never unblinded by that role, and an
emergency unblinding opens one participant to the person who asked, and nobody else at either site.

What a role should see is worked out from the protocol's ``visible_to`` and the allocation's arm
as stored, never from :mod:`participants.blinding`. Each check compares the whole allocation
shown with the one expected, so a level that should be shown and is not fails as surely as one
that should be hidden and is not.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from participants.models import InfusionSession, Participant
from tests.participants.conftest import PASSWORD, mentions, two_site_person, values_in
from tests.participants.visits_fixtures import Clinic, client_for
from trials.models import ArmLevel

pytestmark = pytest.mark.django_db

BLINDED = "blinded"
SITES = ("exeter", "london")

# (role at exeter, role at london): each pair sees something different at the two sites.
TWO_SITE_ROLES = [
    pytest.param(("pharmacist", "coordinator"), id="pharmacist-exeter-coordinator-london"),
    pytest.param(("coordinator", "pharmacist"), id="coordinator-exeter-pharmacist-london"),
    pytest.param(("unblinded_statistician", "outcome_assessor"), id="statistician-exeter-assessor-london"),
    pytest.param(("administrator", "therapist"), id="administrator-exeter-therapist-london"),
]


def levels_of(participant: Participant) -> dict[str, str]:
    """The allocation's levels as stored ``{factor: level}``."""
    return dict(
        ArmLevel.objects.filter(arm_id=participant.allocation.arm_id).values_list("level__factor__code", "level__code")
    )


def factors_seen_by(trial, role: str) -> set[str]:
    return {f.code for f in trial.version_on().protocol.factors if role in f.visible_to}


def expected_allocation(participant: Participant, role: str) -> dict:
    """``{"arm", "levels"}`` as someone holding ``role`` at the participant's site must be shown them."""
    visible = factors_seen_by(participant.trial, role)
    levels = levels_of(participant)
    return {
        "arm": participant.allocation.arm.code if set(levels) <= visible else BLINDED,
        "levels": {factor: (level if factor in visible else BLINDED) for factor, level in levels.items()},
    }


def shown(allocation: dict) -> dict:
    return {"arm": allocation["arm"], "levels": allocation["levels"]}


def _complementary_pair(participants) -> bool:
    """True when two of ``participants`` differ in every factor: between them, every level."""
    levels = [levels_of(p) for p in participants]
    return any(all(a[f] != b[f] for f in a) for i, a in enumerate(levels) for b in levels[i + 1 :])


@pytest.fixture
def ward(people, lists) -> list[Participant]:
    """Men randomised at exeter and at london until each site has a pair whose arms differ in every
    factor, so that at each site every level of every factor is there to be shown or hidden."""
    everyone = []
    for site in SITES:
        here: list[Participant] = []
        while not _complementary_pair(here):
            assert len(here) < 8, "a block of at most 8 holds every arm"
            here.append(people.randomised(site=site, sex="M"))
        everyone += here
    return everyone


def _roles(pair) -> dict[str, str]:
    return dict(zip(SITES, pair, strict=True))


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


# --- every read of a participant -------------------------------------------------------------------


@pytest.mark.parametrize("pair", TWO_SITE_ROLES)
def test_every_participant_list_shows_each_participant_as_the_role_at_their_site_allows(
    kare, ward, make_user, as_user, pair
):
    roles = _roles(pair)
    client = as_user(two_site_person(make_user, kare, *pair))
    expected = {p.study_id: expected_allocation(p, roles[p.site.code]) for p in ward}
    for query in ("", "?trial=KARE", "?ordering=-study_id", "?site=exeter", "?site=london"):
        rows = _results(client.get(f"/api/participants/{query}"))
        site = query.removeprefix("?site=") if query.startswith("?site=") else None
        # Nothing is left out that should be listed: else the comparison below could pass on nothing.
        assert sorted(r["study_id"] for r in rows) == sorted(p.study_id for p in ward if site in (None, p.site.code))
        for row in rows:
            assert shown(row["allocation"]) == expected[row["study_id"]], (query, row["site"], row["study_id"])


def test_the_screenings_of_both_sites_are_listed_without_anything_of_an_allocation(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    rows = _results(client.get("/api/screenings/?page_size=500"))
    assert {r["number"] for r in rows} == {p.screening.number for p in ward}
    protocol = kare.version_on().protocol
    secrets = {a.code for a in protocol.arms} | {lv.code for f in protocol.factors for lv in f.levels}
    assert [t for t in values_in(rows) if any(mentions(t, code) for code in secrets)] == []


@pytest.mark.parametrize("pair", TWO_SITE_ROLES)
def test_the_detail_and_the_allocation_show_the_participant_as_the_role_at_their_site_allows(
    kare, ward, make_user, as_user, pair
):
    roles = _roles(pair)
    client = as_user(two_site_person(make_user, kare, *pair))
    for p in ward:
        expected = expected_allocation(p, roles[p.site.code])
        detail = client.get(f"/api/participants/{p.study_id}/")
        assert detail.status_code == 200, detail.json()
        assert shown(detail.json()["allocation"]) == expected, (p.site.code, "detail")
        allocation = client.get(f"/api/participants/{p.study_id}/allocation/")
        assert allocation.status_code == 200, allocation.json()
        assert shown(allocation.json()) == expected, (p.site.code, "allocation")


def test_randomisation_answers_with_the_allocation_as_the_role_at_the_participants_site_allows(
    kare, ward, make_user, as_user
):
    # Both roles may randomise; the investigator sees no factor, the coordinator the therapy.
    roles = {"exeter": "investigator", "london": "coordinator"}
    client = as_user(two_site_person(make_user, kare, roles["exeter"], roles["london"]))
    for p in ward:
        response = client.post(f"/api/participants/{p.study_id}/randomise/")
        assert response.status_code == 200, response.json()
        assert shown(response.json()) == expected_allocation(p, roles[p.site.code]), p.site.code


@pytest.mark.parametrize("pair", TWO_SITE_ROLES)
def test_the_endpoints_carry_the_levels_the_role_at_the_participants_site_may_see(kare, ward, make_user, as_user, pair):
    roles = _roles(pair)
    client = as_user(two_site_person(make_user, kare, *pair))
    expected = {
        p.study_id: {f: lv for f, lv in levels_of(p).items() if f in factors_seen_by(kare, roles[p.site.code])}
        for p in ward
    }
    listed = {row["study_id"]: row["levels"] for row in _results(client.get("/api/trials/KARE/endpoints/"))}
    assert listed == expected
    for p in ward:
        response = client.get(f"/api/participants/{p.study_id}/endpoints/")
        assert response.status_code == 200, response.json()
        assert response.json()["levels"] == expected[p.study_id], p.site.code


@pytest.mark.postgres
def test_the_audit_history_shows_the_arm_only_at_the_site_where_every_factor_is_visible(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "unblinded_statistician", "coordinator"))
    for p in ward:
        events = _results(client.get(f"/api/participants/{p.study_id}/history/"))
        [allocation] = [e for e in events if e["model"] == "participants.allocation"]
        if p.site.code == "exeter":
            assert allocation["values"]["arm_id"] == p.allocation.arm_id
            assert allocation["values"]["slot_id"] == p.allocation.slot_id
        else:
            assert {"arm_id", "slot_id"}.isdisjoint(allocation["values"]), allocation
            assert {"arm_id", "slot_id"}.isdisjoint(allocation["changes"]), allocation


# --- queries and counts spanning both sites --------------------------------------------------------

FACTOR_QUERIES = ["drug=ketamine", "ordering=drug", "therapy=therapy", "ordering=-therapy", "arm=KT", "ordering=arm"]


def test_a_factor_visible_at_one_site_only_is_refused_as_a_filter_or_ordering(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    for query in FACTOR_QUERIES:
        response = client.get(f"/api/participants/?trial=KARE&{query}")
        assert response.status_code == 400, (query, response.json())


def test_a_factor_visible_at_both_sites_through_different_roles_filters_and_orders_both(kare, ward, make_user, as_user):
    # The drug: as pharmacist at exeter, as unblinded statistician at london. The therapy: london only.
    client = as_user(two_site_person(make_user, kare, "pharmacist", "unblinded_statistician"))
    for level in ("ketamine", "placebo"):
        found = [r["study_id"] for r in _results(client.get(f"/api/participants/?trial=KARE&drug={level}"))]
        assert sorted(found) == sorted(p.study_id for p in ward if levels_of(p)["drug"] == level)
    ordered = [r["study_id"] for r in _results(client.get("/api/participants/?trial=KARE&ordering=-drug"))]
    drug = {p.study_id: levels_of(p)["drug"] for p in ward}
    assert ordered == sorted(drug, key=lambda sid: (drug[sid] != "placebo", sid))
    for query in ("therapy=therapy", "ordering=therapy", "arm=KT", "ordering=arm"):
        assert client.get(f"/api/participants/?trial=KARE&{query}").status_code == 400, query


def _counts(client) -> list[dict]:
    response = client.get("/api/trials/KARE/allocation-counts/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_allocation_counts_are_only_the_total_when_no_factor_is_visible_at_both_sites(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    assert _counts(client) == [{"group": {}, "participants": len(ward)}]


def test_allocation_counts_group_by_a_factor_visible_at_both_sites_and_no_other(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "pharmacist", "unblinded_statistician"))
    per_drug: dict[str, int] = {}
    for p in ward:
        per_drug[levels_of(p)["drug"]] = per_drug.get(levels_of(p)["drug"], 0) + 1
    counted = {row["group"]["drug"]: row["participants"] for row in _counts(client) if row["participants"]}
    assert [set(row["group"]) for row in _counts(client)] == [{"drug"}, {"drug"}]
    assert counted == per_drug


# --- administrators --------------------------------------------------------------------------------


def test_an_administrator_at_both_sites_sees_no_factor_of_anyone(kare, ward, make_user, as_user):
    client = as_user(make_user("administrator", kare))
    assert factors_seen_by(kare, "administrator") == set()  # the protocol unblinds no administrator
    rows = _results(client.get("/api/participants/"))
    assert len(rows) == len(ward)
    for row in rows:
        assert row["allocation"]["arm"] == BLINDED
        assert set(row["allocation"]["levels"].values()) == {BLINDED}
    assert _counts(client) == [{"group": {}, "participants": len(ward)}]


def _superuser(user):
    type(user).objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    user.refresh_from_db()
    return user


def test_a_superuser_sees_only_what_their_role_at_each_site_allows(kare, ward, make_user, as_user):
    roles = {"exeter": "pharmacist", "london": "coordinator"}
    client = as_user(_superuser(two_site_person(make_user, kare, roles["exeter"], roles["london"])))
    rows = {r["study_id"]: shown(r["allocation"]) for r in _results(client.get("/api/participants/?trial=KARE"))}
    assert rows == {p.study_id: expected_allocation(p, roles[p.site.code]) for p in ward}
    for query in FACTOR_QUERIES:
        assert client.get(f"/api/participants/?trial=KARE&{query}").status_code == 400, query


# --- emergency unblinding --------------------------------------------------------------------------

EMERGENCY = {"exeter": "investigator", "london": "coordinator"}  # the investigator may unblind at exeter


@pytest.fixture
def emergency(kare, ward, make_user, as_user):
    """``(person, unblinded)``: an investigator at exeter, coordinator at london, who has unblinded
    the first exeter participant in the list's order (so a list shows them before the others)."""
    person = two_site_person(make_user, kare, EMERGENCY["exeter"], EMERGENCY["london"])
    unblinded = min((p for p in ward if p.site.code == "exeter"), key=lambda p: p.study_id)
    response = as_user(person).post(
        f"/api/participants/{unblinded.study_id}/unblind/", {"reason": "anaphylaxis", "password": PASSWORD}
    )
    assert response.status_code == 200, response.json()
    return person, unblinded


def _everything_visible(participant) -> dict:
    return {"arm": participant.allocation.arm.code, "levels": levels_of(participant)}


def _seen_everywhere(client, participant) -> list[dict]:
    """The participant's allocation in the list, the detail, the allocation endpoint and the endpoints."""
    listed = {r["study_id"]: shown(r["allocation"]) for r in _results(client.get("/api/participants/"))}
    detail = client.get(f"/api/participants/{participant.study_id}/").json()["allocation"]
    allocation = client.get(f"/api/participants/{participant.study_id}/allocation/").json()
    endpoints = client.get(f"/api/participants/{participant.study_id}/endpoints/").json()["levels"]
    trial_endpoints = {r["study_id"]: r["levels"] for r in _results(client.get("/api/trials/KARE/endpoints/"))}
    return [
        listed[participant.study_id],
        shown(detail),
        shown(allocation),
        {"arm": "-", "levels": endpoints},
        {"arm": "-", "levels": trial_endpoints[participant.study_id]},
    ]


def _as_endpoints(allocation: dict) -> dict:
    return {"arm": "-", "levels": {f: lv for f, lv in allocation["levels"].items() if lv != BLINDED}}


def _expected_everywhere(allocation: dict) -> list[dict]:
    return [allocation, allocation, allocation, _as_endpoints(allocation), _as_endpoints(allocation)]


def test_an_emergency_unblinding_shows_the_person_who_asked_that_participants_allocation(emergency, as_user):
    person, unblinded = emergency
    assert _seen_everywhere(as_user(person), unblinded) == _expected_everywhere(_everything_visible(unblinded))


def test_an_emergency_unblinding_leaves_every_other_participant_blinded_at_both_sites(emergency, ward, as_user):
    person, unblinded = emergency
    client = as_user(person)
    others = [p for p in ward if p != unblinded]
    assert {p.site.code for p in others} == set(SITES)
    for p in others:
        expected = expected_allocation(p, EMERGENCY[p.site.code])
        assert _seen_everywhere(client, p) == _expected_everywhere(expected), p.site.code


def test_an_emergency_unblinding_unblinds_nobody_else_holding_the_same_roles(kare, emergency, make_user, as_user):
    _, unblinded = emergency
    colleague = two_site_person(make_user, kare, EMERGENCY["exeter"], EMERGENCY["london"])
    expected = expected_allocation(unblinded, EMERGENCY["exeter"])
    assert _seen_everywhere(as_user(colleague), unblinded) == _expected_everywhere(expected)


@pytest.mark.postgres
def test_an_emergency_unblinding_opens_the_arm_in_that_participants_history_only(emergency, ward, as_user):
    person, unblinded = emergency
    client = as_user(person)
    for p in ward:
        events = _results(client.get(f"/api/participants/{p.study_id}/history/"))
        [allocation] = [e for e in events if e["model"] == "participants.allocation"]
        if p == unblinded:
            assert allocation["values"]["arm_id"] == p.allocation.arm_id
        else:
            assert "arm_id" not in allocation["values"], p.site.code


# --- infusions and sessions ------------------------------------------------------------------------


WEIGHT = "75.0"  # kg: under the ketamine dose's cap


@pytest.fixture
def clinic(people, lists, make_user) -> Clinic:
    return Clinic(people, make_user)


@pytest.fixture
def attended(clinic) -> dict[str, Participant]:
    """At each site, a participant randomised 200 days ago who attended V2 (infusion and session 1)."""
    coordinator = client_for(clinic.coordinator)
    here = {}
    for site in SITES:
        participant = clinic.randomised(site=site)
        clinic.attend(coordinator, participant, "V2", 7)
        here[site] = participant
    return here


def test_an_infusion_shows_the_drug_and_dose_only_at_the_site_where_the_drug_is_visible(
    kare, clinic, attended, make_user
):
    client = client_for(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    protocol = kare.version_on().protocol
    for site, participant in attended.items():
        recorded = clinic.infuse(client, participant, "V2", 7, weight=WEIGHT)
        assert recorded.status_code == 201, recorded.json()
        read = client.get(f"/api/appointments/{clinic.appointment(participant, 'V2').pk}/infusion/")
        assert read.status_code == 200, read.json()
        dose = protocol.dose_for(levels_of(participant)["drug"])
        for answer in (recorded.json(), read.json()):
            if site == "exeter":  # the pharmacist's site
                assert answer["drug"] == dose.drug
                assert Decimal(answer["mg_per_kg"]) == dose.mg_per_kg
                assert Decimal(answer["dose_mg"]) == dose.mg_per_kg * Decimal(WEIGHT)
            else:
                assert (answer["drug"], answer["mg_per_kg"], answer["dose_mg"]) == ("study drug", None, None)


def test_the_dose_given_may_be_entered_only_at_the_site_where_the_drug_is_visible(kare, clinic, attended, make_user):
    client = client_for(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    at_exeter = clinic.infuse(client, attended["exeter"], "V2", 7, dose_mg_given="60.00")
    assert at_exeter.status_code == 201, at_exeter.json()
    at_london = clinic.infuse(client, attended["london"], "V2", 7, dose_mg_given="60.00")
    assert at_london.status_code == 403, at_london.json()
    assert not InfusionSession.objects.filter(visit__appointment__participant=attended["london"]).exists()


def test_a_session_names_its_programme_only_at_the_site_where_the_therapy_is_visible(kare, clinic, attended, make_user):
    client = client_for(two_site_person(make_user, kare, "pharmacist", "coordinator"))
    protocol = kare.version_on().protocol
    titles = {p.level: p.title for p in protocol.therapy.programmes}
    for site, participant in attended.items():
        response = client.post(
            f"/api/appointments/{clinic.appointment(participant, 'V2').pk}/session/",
            {"session_number": 1, "attended": True, "minutes": 90},
            format="json",
        )
        assert response.status_code == 201, response.json()
        expected = titles[levels_of(participant)["therapy"]] if site == "london" else "psychological session"
        assert response.json()["programme"] == expected, site


# --- allocation lists ------------------------------------------------------------------------------


def _slots(client) -> list[dict]:
    response = client.get("/api/trials/KARE/randomisation-lists/slots/?page_size=500")
    assert response.status_code == 200, response.json()
    assert response.json()["next"] is None
    return response.json()["results"]


def test_the_slots_show_an_unblinded_statistician_the_arms_taken_at_their_site(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "unblinded_statistician", "coordinator"))
    taken = {row["study_id"]: row["arm"] for row in _slots(client) if row["study_id"]}
    at_exeter = {p.study_id: p.allocation.arm.code for p in ward if p.site.code == "exeter"}
    assert {sid: taken.get(sid) for sid in at_exeter} == at_exeter


def test_the_slots_do_not_show_the_arms_taken_at_a_site_where_the_person_is_blinded(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "unblinded_statistician", "coordinator"))
    arm_of = {p.study_id: p.allocation.arm.code for p in ward if p.site.code == "london"}
    revealed = [(row["study_id"], row["arm"]) for row in _slots(client) if arm_of.get(row["study_id"]) == row["arm"]]
    assert revealed == []


def test_the_lists_and_slots_shown_are_those_of_the_statisticians_own_site(kare, ward, make_user, as_user):
    client = as_user(two_site_person(make_user, kare, "unblinded_statistician", "coordinator"))
    lists = client.get("/api/trials/KARE/randomisation-lists/").json()
    assert {row["stratum"] for row in lists} == {"site=exeter|sex=F", "site=exeter|sex=M"}
    assert {row["stratum"] for row in _slots(client)} == {"site=exeter|sex=F", "site=exeter|sex=M"}
