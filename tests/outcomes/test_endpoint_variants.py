"""Every endpoint setting a protocol can choose, against the plain reference and at its exact edges.

The relapse rules (first heavy day, first drinking day), biochemical verification by positive
biomarker samples, dropout counted as relapse, the PSNHDD responder after its grace days, and the
WHO risk levels at baseline (over the look-back) and in the window with their drop, for women and
men. Property tests draw the settings and data that land on every edge (means exactly at and just
around each WHO bound, heavy days on the last grace day and the first day after it); the examples
pin each edge with values written from the definitions.

Settings are varied by validating a changed copy of KARE's protocol and passing it to
``endpoints.compute``; MORE-KARE's shipped verification and an amendment loaded through
``protocol_load`` are checked as the trial's own protocol in force.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes import endpoints
from tests.conftest import ROOT
from tests.outcomes.endpoint_reference import (
    Person,
    day_records,
    load,
    observed,
    offset_of,
    offsets,
    person,
    reference,
    study_days,
    with_outcomes,
)
from trials.protocol import ProtocolInvalid

KARE_WINDOWS = [
    {"code": "1-91", "start": 1, "end": 91},
    {"code": "92-182", "start": 92, "end": 182},
    {"code": "1-182", "start": 1, "end": 182},
]
# A window across the anchor (no day 0 inside it) and a short late one.
MORE_WINDOWS = [
    *KARE_WINDOWS,
    {"code": "-30-30", "start": -30, "end": 30},
    {"code": "150-160", "start": 150, "end": 160},
]
FIRST_HEAVY = {"rule": "first_heavy_day"}
FIRST_DRINK = {"rule": "first_drinking_day"}
VERIFIED = {"biochemically_verified": True}
DROPOUT = {"dropout_counts_as_relapse": True}
examples = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def tlfb(**days_grams: str) -> dict[int, dict[str, Decimal]]:
    """``tlfb(d5="1", d20="64", m3="0")``: TLFB records by study day (``m3`` is day -3)."""
    out = {}
    for name, grams in days_grams.items():
        day = -int(name[1:]) if name[0] == "m" else int(name[1:])
        out[offset_of(day)] = {"tlfb": Decimal(grams)}
    return out


def abstinent(first: int, last: int) -> dict[int, dict[str, Decimal]]:
    return {offset_of(d): {"tlfb": Decimal(0)} for d in study_days(first, last)}


@pytest.fixture
def staff(kare, make_user):
    return make_user("data_manager", kare)


@pytest.fixture
def endpoints_of(kare, admin_user, staff):
    """``endpoints_of(person, **outcome_changes)``: the person's endpoint rows by window code, computed
    under KARE's protocol changed by ``outcome_changes``."""

    def run(data: Person, **changes) -> dict[str, endpoints.EndpointRow]:
        protocol = with_outcomes(kare.version_on().protocol, **changes)
        [participant] = load(kare, admin=admin_user, staff=staff, people=[data])
        return {r.window: r for r in endpoints.compute(trial=kare, participant_ids=[participant.pk], protocol=protocol)}

    return run


# --- properties ---------------------------------------------------------------------------------

relapse_settings = st.fixed_dictionaries(
    {
        "rule": st.sampled_from(["first_heavy_day", "first_drinking_day"]),
        "biochemically_verified": st.booleans(),
        "dropout_counts_as_relapse": st.booleans(),
    }
)
outcome_settings = st.fixed_dictionaries(
    {
        "relapse": relapse_settings,
        "psnhdd_grace_days": st.sampled_from([0, 1, 28, 30, 91]),
        "baseline_lookback_days": st.sampled_from([0, 1, 30, 90]),
        "windows": st.sampled_from([KARE_WINDOWS, MORE_WINDOWS]),
    }
)


@examples
@given(changes=outcome_settings, people=st.lists(person, min_size=1, max_size=3))
def test_every_setting_agrees_with_the_reference(kare, admin_user, staff, changes, people):
    protocol = with_outcomes(kare.version_on().protocol, **changes)
    made = load(kare, admin=admin_user, staff=staff, people=people)
    rows = endpoints.compute(trial=kare, participant_ids=[p.pk for p in made], protocol=protocol)
    for participant, data in zip(made, people, strict=True):
        assert observed(rows, participant) == reference(data, protocol.outcomes)


@pytest.fixture
def more_kare_staff(more_kare, make_user):
    return make_user("administrator", more_kare, username="more-admin"), make_user("data_manager", more_kare)


@examples
@given(people=st.lists(person, min_size=1, max_size=3))
def test_more_kare_shipped_settings_agree_with_the_reference(more_kare, more_kare_staff, people):
    """MORE-KARE counts a positive biomarker sample (EtG at 100 ng/mL and above) as relapse."""
    admin, staff = more_kare_staff
    made = load(more_kare, admin=admin, staff=staff, people=people)
    outcomes = more_kare.version_on().protocol.outcomes
    assert outcomes.relapse.biochemically_verified
    rows = endpoints.compute(trial=more_kare, participant_ids=[p.pk for p in made])
    for participant, data in zip(made, people, strict=True):
        assert observed(rows, participant) == reference(data, outcomes)


# Means (g per assessed day) exactly at and just around each WHO bound, 0 g and the least drinking.
WHO_EDGES = {
    "F": ["0", "0.01", "19.99", "20", "20.01", "21", "39.99", "40", "40.01", "41", "59.99", "60", "60.01", "61"],
    "M": ["0", "0.01", "39.99", "40", "40.01", "41", "59.99", "60", "60.01", "61", "99.99", "100", "100.01", "101"],
}


@st.composite
def days_averaging(draw, mean: str, among: range) -> dict[int, dict[str, Decimal]]:
    """1 to 5 days at distinct offsets of ``among`` whose grams average exactly ``mean``: each starts at
    the mean, then grams move from one day to another, which keeps the sum at n x mean."""
    n = draw(st.integers(1, 5))
    cents = [int(Decimal(mean) * 100)] * n
    moves = st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 100))
    for to, frm, percent in draw(st.lists(moves)):
        moved = cents[frm] * percent // 100
        cents[frm] -= moved
        cents[to] += moved
    places = draw(st.lists(st.sampled_from(among), min_size=n, max_size=n, unique=True))
    return {offset: {"tlfb": Decimal(c) / 100} for offset, c in zip(places, cents, strict=True)}


@st.composite
def who_edges(draw) -> Person:
    """A look-back, a first and maybe a second 91-day window, each averaging a WHO edge of the sex."""
    sex = draw(st.sampled_from("MF"))
    edge = st.sampled_from(WHO_EDGES[sex])
    days = draw(days_averaging(draw(edge), range(-90, 0)))
    days |= draw(days_averaging(draw(edge), range(0, 91)))
    if draw(st.booleans()):
        days |= draw(days_averaging(draw(edge), range(91, 182)))
    return Person(sex, days)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=st.lists(who_edges(), min_size=1, max_size=4))
def test_who_levels_at_every_bound_agree_with_the_reference(kare, admin_user, staff, people):
    made = load(kare, admin=admin_user, staff=staff, people=people)
    rows = endpoints.compute(trial=kare, participant_ids=[p.pk for p in made])
    outcomes = kare.version_on().protocol.outcomes
    for participant, data in zip(made, people, strict=True):
        assert observed(rows, participant) == reference(data, outcomes)


GRACES = [0, 1, 27, 28, 29, 30, 31, 90, 91]


@st.composite
def grace_edges(draw) -> tuple[int, Person]:
    """A grace period and a person with a heavy, almost heavy, abstinent or drinking day on each window's
    last grace day and on the first day after it (and a few other days)."""
    grace = draw(st.sampled_from(GRACES))
    sex = draw(st.sampled_from("MF"))
    heavy = {"F": Decimal(48), "M": Decimal(64)}[sex]
    around = st.sampled_from([Decimal(0), Decimal(1), heavy - Decimal("0.01"), heavy, Decimal(200)])
    days = draw(st.dictionaries(offsets, day_records, max_size=10))
    for w in MORE_WINDOWS:
        span = study_days(w["start"], w["end"])
        for i in (grace - 1, grace):
            if 0 <= i < len(span) and draw(st.integers(0, 5)):  # now and then leave an edge day missing
                days[offset_of(span[i])] = {"tlfb": draw(around)}
    return grace, Person(sex, days)


@examples
@given(drawn=st.lists(grace_edges(), min_size=1, max_size=3))
def test_psnhdd_at_the_grace_edges_agrees_with_the_reference(kare, admin_user, staff, drawn):
    made = load(kare, admin=admin_user, staff=staff, people=[data for _, data in drawn])
    for participant, (grace, data) in zip(made, drawn, strict=True):
        protocol = with_outcomes(kare.version_on().protocol, psnhdd_grace_days=grace, windows=MORE_WINDOWS)
        rows = endpoints.compute(trial=kare, participant_ids=[participant.pk], protocol=protocol)
        assert observed(rows, participant) == reference(data, protocol.outcomes)


# --- WHO risk levels ----------------------------------------------------------------------------

# The level of a mean daily intake, from the WHO table: women low up to 20 g, medium up to 40 g,
# high up to 60 g, very high above; men 40, 60 and 100 g; 0 g is abstinent (0).
WOMEN = {"0": 0, "0.01": 1, "20": 1, "20.01": 2, "21": 2, "40": 2, "40.01": 3, "41": 3, "60": 3, "60.01": 4, "61": 4}
MEN = {"0": 0, "0.01": 1, "40": 1, "40.01": 2, "41": 2, "60": 2, "60.01": 3, "61": 3, "100": 3, "100.01": 4, "101": 4}


@pytest.mark.parametrize(("sex", "levels"), [("F", WOMEN), ("M", MEN)], ids=["women", "men"])
def test_who_level_of_one_assessed_day_at_each_bound(kare, admin_user, staff, sex, levels):
    people = [Person(sex, tlfb(d10=g)) for g in levels]
    made = load(kare, admin=admin_user, staff=staff, people=people)
    rows = endpoints.compute(trial=kare, participant_ids=[p.pk for p in made])
    by_pid = {r.participant_id: r.who_level for r in rows if r.window == "1-91"}
    assert {g: by_pid[p.pk] for g, p in zip(levels, made, strict=True)} == levels


@pytest.mark.parametrize(
    ("sex", "days", "level"),
    [
        ("F", {"m3": "0", "m2": "30", "m1": "30"}, 1),  # 60 g over 3 days: 20 g/day
        ("F", {"m3": "0", "m2": "30", "m1": "30.03"}, 2),  # 20.01 g/day
        ("F", {"m90": "120", "m45": "0"}, 3),  # 60 g/day at the look-back's first day
        ("F", {"m90": "122", "m1": "0"}, 4),  # 61 g/day
        ("M", {"m3": "0", "m2": "60", "m1": "60"}, 1),  # 40 g/day
        ("M", {"m3": "0", "m2": "61", "m1": "62"}, 2),  # 41 g/day
        ("M", {"m2": "120", "m1": "0"}, 2),  # 60 g/day
        ("M", {"m2": "200", "m1": "0"}, 3),  # 100 g/day
        ("M", {"m2": "202", "m1": "0"}, 4),  # 101 g/day
    ],
)
def test_who_level_at_baseline_is_that_of_the_look_backs_mean(endpoints_of, sex, days, level):
    rows = endpoints_of(Person(sex, tlfb(**days, d1="0")))
    assert rows["1-91"].who_level_baseline == level


def test_look_back_counts_only_its_own_days(endpoints_of):
    """With a 30-day look-back, a very heavy day -31 is not baseline: 10 g/day over day -30 is low."""
    rows = endpoints_of(Person("F", tlfb(m31="500", m30="10", d1="0")), baseline_lookback_days=30)
    assert rows["1-91"].who_level_baseline == 1


def test_without_a_look_back_there_is_no_baseline_level(endpoints_of):
    rows = endpoints_of(Person("M", tlfb(m5="200", d1="0")), baseline_lookback_days=0)
    assert (rows["1-91"].who_level_baseline, rows["1-91"].who_level, rows["1-91"].who_level_drop) == (None, 0, None)


def test_who_level_drop_is_the_baseline_level_minus_the_windows(endpoints_of):
    """Very high at baseline (61 g/day), low in days 1-91 (20 g/day), nothing assessed in 92-182."""
    rows = endpoints_of(Person("F", tlfb(m10="61", d1="0", d2="40")))
    drops = {code: (r.who_level_baseline, r.who_level, r.who_level_drop) for code, r in rows.items()}
    assert drops == {"1-91": (4, 1, 3), "92-182": (4, None, None), "1-182": (4, 1, 3)}


def test_a_rise_in_level_is_a_negative_drop(endpoints_of):
    rows = endpoints_of(Person("M", tlfb(m10="40", d100="101")))
    assert (rows["92-182"].who_level_baseline, rows["92-182"].who_level, rows["92-182"].who_level_drop) == (1, 4, -3)


# --- PSNHDD and its grace days ------------------------------------------------------------------


def test_heavy_day_on_the_last_grace_day_keeps_the_responder(endpoints_of):
    """KARE's 28 grace days: a heavy day 28 is inside the grace period of days 1-91."""
    rows = endpoints_of(Person("F", {**abstinent(1, 91), **tlfb(d28="48")}))
    assert rows["1-91"].psnhdd_responder is True


def test_heavy_day_on_the_first_day_after_the_grace_days_ends_the_response(endpoints_of):
    rows = endpoints_of(Person("F", {**abstinent(1, 91), **tlfb(d29="48")}))
    assert rows["1-91"].psnhdd_responder is False


def test_grace_days_start_at_each_windows_first_day(endpoints_of):
    """Days 92-119 are the grace days of the window 92-182: heavy on day 119 responds, on 120 not."""
    late = endpoints_of(Person("M", {**abstinent(92, 182), **tlfb(d119="64")}))
    later = endpoints_of(Person("M", {**abstinent(92, 182), **tlfb(d120="64")}))
    assert (late["92-182"].psnhdd_responder, later["92-182"].psnhdd_responder) == (True, False)


def test_without_grace_days_a_heavy_first_day_ends_the_response(endpoints_of):
    rows = endpoints_of(Person("M", {**abstinent(1, 91), **tlfb(d1="64")}), psnhdd_grace_days=0)
    assert rows["1-91"].psnhdd_responder is False


@pytest.mark.parametrize(("grace", "last_grace", "first_after"), [(30, "m1", "d1"), (31, "d1", "d2")])
def test_grace_days_across_the_anchor_skip_day_0(endpoints_of, grace, last_grace, first_after):
    """Window days -30..30: after 30 grace days the last is day -1 and the next day 1; after 31, days 1 and 2."""
    window = [*KARE_WINDOWS, {"code": "around", "start": -30, "end": 30}]
    heavy_last = endpoints_of(
        Person("F", tlfb(**{last_grace: "48", first_after: "0"})), windows=window, psnhdd_grace_days=grace
    )
    heavy_after = endpoints_of(
        Person("F", tlfb(**{last_grace: "0", first_after: "48"})), windows=window, psnhdd_grace_days=grace
    )
    assert (heavy_last["around"].psnhdd_responder, heavy_after["around"].psnhdd_responder) == (True, False)


def test_nothing_assessed_after_the_grace_days_leaves_the_responder_empty(endpoints_of):
    rows = endpoints_of(Person("F", abstinent(1, 28)))
    assert (rows["1-91"].assessed_days, rows["1-91"].psnhdd_responder) == (28, None)


# --- relapse: the rule ----------------------------------------------------------------------------


def test_first_heavy_day_rule_ignores_lighter_drinking(endpoints_of):
    rows = endpoints_of(Person("M", tlfb(d5="1", d20="64", d30="63.99")), relapse=FIRST_HEAVY)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (1, 20)


def test_first_drinking_day_rule_relapses_on_any_alcohol(endpoints_of):
    rows = endpoints_of(Person("M", tlfb(d5="0.01", d20="64")), relapse=FIRST_DRINK)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (1, 5)


def test_first_drinking_day_rule_without_a_drink_is_no_relapse(endpoints_of):
    rows = endpoints_of(Person("F", abstinent(1, 10)), relapse=FIRST_DRINK)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (0, None)


# --- relapse: biochemical verification ------------------------------------------------------------


def _with_marker(day: int, kind: str, value: str | None, days=None) -> Person:
    return Person("F", days if days is not None else abstinent(1, 20), markers=[(offset_of(day), kind, value)])


def test_positive_marker_is_a_relapse_on_its_sample_day_when_verified(endpoints_of):
    rows = endpoints_of(_with_marker(10, "etg", Decimal(500)), relapse=VERIFIED)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (1, 10)


def test_positive_marker_is_no_relapse_when_not_verified(endpoints_of):
    rows = endpoints_of(_with_marker(10, "etg", Decimal(500)), relapse={"biochemically_verified": False})
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day, rows["1-91"].first_positive_marker_day) == (0, None, 10)


def test_marker_earlier_than_the_first_heavy_day_is_the_relapse_day(endpoints_of):
    days = {**abstinent(1, 20), **tlfb(d15="48")}
    earlier = endpoints_of(_with_marker(10, "transdermal", None, days), relapse=VERIFIED)
    later = endpoints_of(_with_marker(16, "transdermal", None, days), relapse=VERIFIED)
    assert (earlier["1-91"].relapse_day, later["1-91"].relapse_day) == (10, 15)


@pytest.mark.parametrize(
    ("kind", "value", "relapse"),
    [("etg", "499", 0), ("etg", "500", 1), ("breath", "0.00", 0), ("breath", "0.01", 1), ("transdermal", None, 1)],
)
def test_only_a_marker_past_its_cutoff_is_a_relapse(endpoints_of, kind, value, relapse):
    """KARE's cutoffs: EtG 500 ng/mL and above, breath alcohol above 0.00; any transdermal event."""
    rows = endpoints_of(_with_marker(10, kind, None if value is None else Decimal(value)), relapse=VERIFIED)
    assert rows["1-91"].relapse == relapse


def test_positive_marker_alone_is_a_relapse_in_a_window_without_records(endpoints_of):
    rows = endpoints_of(_with_marker(100, "breath", Decimal("0.2")), relapse=VERIFIED)
    assert (rows["92-182"].assessed_days, rows["92-182"].relapse, rows["92-182"].relapse_day) == (0, 1, 100)


def test_more_kare_counts_a_positive_marker_as_relapse(more_kare, more_kare_staff):
    """MORE-KARE's shipped protocol: verified relapse, EtG cutoff 100 ng/mL, diary reports."""
    admin, staff = more_kare_staff
    data = Person("M", {offset_of(d): {"diary": Decimal(0)} for d in range(1, 31)}, markers=[(14, "etg", Decimal(100))])
    [participant] = load(more_kare, admin=admin, staff=staff, people=[data])
    rows = {r.window: r for r in endpoints.compute(trial=more_kare, participant_ids=[participant.pk])}
    assert (rows["1-91"].heavy_days, rows["1-91"].relapse, rows["1-91"].relapse_day) == (0, 1, 15)


# --- relapse: dropout -----------------------------------------------------------------------------


def _withdrawn(day: int, scope: str = "follow_up", days=None) -> Person:
    return Person("M", days if days is not None else abstinent(1, 10), withdrawals={scope: offset_of(day)})


def test_dropout_is_a_relapse_on_the_withdrawal_day(endpoints_of):
    rows = endpoints_of(_withdrawn(50), relapse=DROPOUT)
    assert {code: (r.relapse, r.relapse_day) for code, r in rows.items() if code != "92-182"} == {
        "1-91": (1, 50),
        "1-182": (1, 50),
    }


def test_earlier_dropout_counts_on_the_windows_first_day(endpoints_of):
    rows = endpoints_of(_withdrawn(50), relapse=DROPOUT)
    assert (rows["92-182"].assessed_days, rows["92-182"].relapse, rows["92-182"].relapse_day) == (0, 1, 92)


def test_dropout_on_the_windows_last_day_counts_in_it(endpoints_of):
    rows = endpoints_of(_withdrawn(91, "data_use"), relapse=DROPOUT)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (1, 91)


def test_dropout_after_the_windows_last_day_is_no_relapse_in_it(endpoints_of):
    rows = endpoints_of(_withdrawn(92), relapse=DROPOUT)
    assert (rows["1-91"].relapse, rows["1-91"].relapse_day) == (0, None)
    assert (rows["92-182"].relapse, rows["92-182"].relapse_day) == (1, 92)


def test_dropout_before_the_first_heavy_day_is_the_relapse_day(endpoints_of):
    rows = endpoints_of(_withdrawn(8, days={**abstinent(1, 10), **tlfb(d9="64")}), relapse=DROPOUT)
    assert (rows["1-91"].relapse_day, rows["1-91"].first_heavy_day) == (8, 9)


def test_withdrawal_from_the_intervention_alone_is_no_dropout(endpoints_of):
    rows = endpoints_of(_withdrawn(50, "intervention"), relapse=DROPOUT)
    assert (rows["1-91"].relapse, rows["92-182"].relapse) == (0, None)


def test_the_first_withdrawal_from_follow_up_counts(endpoints_of):
    data = Person("M", abstinent(1, 10), withdrawals={"intervention": 4, "data_use": 69, "follow_up": 59})
    rows = endpoints_of(data, relapse=DROPOUT)
    assert rows["1-91"].relapse_day == 60


def test_dropout_is_no_relapse_unless_the_protocol_counts_it(endpoints_of):
    rows = endpoints_of(_withdrawn(50), relapse={"dropout_counts_as_relapse": False})
    assert (rows["1-91"].relapse, rows["92-182"].relapse) == (0, None)


# --- the settings of the version in force -------------------------------------------------------


@pytest.mark.parametrize(
    ("relapse", "days"),
    [
        ({}, {"1-91": 40, "92-182": None}),
        (FIRST_DRINK, {"1-91": 30, "92-182": None}),
        (VERIFIED, {"1-91": 20, "92-182": None}),
        (DROPOUT, {"1-91": 40, "92-182": 92}),
    ],
    ids=["shipped", "first-drinking-day", "verified", "dropout"],
)
def test_an_amended_relapse_definition_applies_to_the_endpoints(kare, admin_user, staff, relapse, days):
    """An amendment loaded through the service changes the relapse of the version in force: a drink
    on day 30, a heavy day 40, a positive EtG on day 20, a withdrawal from follow-up on day 60."""
    from trials.protocol import validate
    from trials.services import protocol_load

    if relapse:
        document = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text())
        document["version"] = {"label": "1.1", "effective_date": dt.date(2016, 6, 1)}
        document["outcomes"]["relapse"] |= relapse
        protocol_load(protocol=validate(document), amend=True, reason="relapse definition of the analysis plan")
    data = Person(
        "M",
        {**abstinent(1, 50), **tlfb(d30="1", d40="64")},
        markers=[(offset_of(20), "etg", Decimal(800))],
        withdrawals={"follow_up": offset_of(60)},
    )
    [participant] = load(kare, admin=admin_user, staff=staff, people=[data])
    rows = endpoints.compute(trial=kare, participant_ids=[participant.pk])
    assert {r.window: r.relapse_day for r in rows if r.window != "1-182"} == days


# --- a window the protocol calls "baseline" -------------------------------------------------------


def test_a_protocol_window_named_baseline_is_refused_on_load(kare):
    """The engine names its look-back window ``baseline``: a protocol window of that code got no
    endpoint rows and its mean replaced the look-back's WHO level, silently. It is refused instead."""
    with pytest.raises(ProtocolInvalid, match="look-back"):
        with_outcomes(
            kare.version_on().protocol, windows=[{"code": "baseline", "start": -28, "end": -1}, *KARE_WINDOWS]
        )
