"""The infusion dose against a plain reference, for any protocol the schema accepts and any weight.

The dose is mg/kg × the weight, rounded half up to 0.01 mg, capped at the protocol's maximum; it
never falls as the weight rises; and a weight outside the protocol's plausible range is refused
before any dose is computed or anything written. The reference works in exact fractions, so it
shares neither Decimal's contexts nor the code's rounding call.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core.errors import Invalid
from participants import blinding
from participants.models import InfusionSession, Participant
from participants.schedule import services as schedule
from tests.conftest import ROOT
from tests.participants.visits_fixtures import LONDON, Clinic, client_for
from trials.protocol import DoseSpec, validate

PROPERTY = settings(max_examples=200, deadline=None)
_KARE = yaml.safe_load((ROOT / "protocols" / "kare.yaml").read_text(encoding="utf-8"))
KARE = validate(_KARE)
LOW, HIGH = KARE.dosing.weight_kg

# What the protocol schema and the infusion table accept: mg/kg to 0.001 in [0, 100], a cap in
# (0, 10000] mg to 0.01 (or none), weights to 0.1 kg inside the protocol's range.
mg_per_kg = st.decimals(min_value=0, max_value=100, places=3)
caps = st.none() | st.decimals(min_value=Decimal("0.01"), max_value=10000, places=2)
weights = st.decimals(min_value=LOW, max_value=HIGH, places=1)


def protocol_with(*, mg_per_kg: Decimal, max_mg: Decimal | None):
    """KARE with its ketamine dose changed, validated as a protocol file would be."""
    document = copy.deepcopy(_KARE)
    ketamine = next(d for d in document["dosing"]["regimen"] if d["level"] == "ketamine")
    ketamine["mg_per_kg"] = str(mg_per_kg)
    ketamine.pop("max_mg", None)
    if max_mg is not None:
        ketamine["max_mg"] = str(max_mg)
    return validate(document)


def dose(protocol, weight: Decimal) -> Decimal:
    return schedule.dose_for(protocol=protocol, level="ketamine", weight_kg=weight)[1]


def reference(mg_per_kg: Decimal, weight: Decimal, max_mg: Decimal | None) -> Fraction:
    exact = Fraction(mg_per_kg) * Fraction(weight)
    hundredths = math.floor(exact * 100 + Fraction(1, 2))  # half up (a dose is never negative)
    rounded = Fraction(hundredths, 100)
    return rounded if max_mg is None else min(rounded, Fraction(max_mg))


@PROPERTY
@given(mg_per_kg=mg_per_kg, max_mg=caps, weight=weights)
@example(mg_per_kg=Decimal("0.25"), max_mg=None, weight=Decimal("30.1"))  # 7.525: half up, not to even
@example(mg_per_kg=Decimal("0.75"), max_mg=None, weight=Decimal("30.3"))  # 22.725
@example(mg_per_kg=Decimal("0.001"), max_mg=None, weight=Decimal("45.0"))  # 0.045
@example(mg_per_kg=Decimal("0.8"), max_mg=Decimal("100"), weight=Decimal("125.0"))  # exactly the cap
@example(mg_per_kg=Decimal("0.8"), max_mg=Decimal("100"), weight=Decimal("125.1"))  # just past it
def test_the_dose_is_mg_per_kg_times_the_weight_rounded_half_up_to_a_hundredth_and_capped(mg_per_kg, max_mg, weight):
    protocol = protocol_with(mg_per_kg=mg_per_kg, max_mg=max_mg)

    computed = dose(protocol, weight)

    assert Fraction(computed) == reference(mg_per_kg, weight, max_mg)
    assert computed == computed.quantize(Decimal("0.01")), "a dose is recorded to 0.01 mg"


@PROPERTY
@given(mg_per_kg=mg_per_kg, max_mg=caps, lighter=weights, heavier=weights)
def test_the_dose_never_falls_as_the_weight_rises(mg_per_kg, max_mg, lighter, heavier):
    lighter, heavier = sorted((lighter, heavier))
    protocol = protocol_with(mg_per_kg=mg_per_kg, max_mg=max_mg)

    assert dose(protocol, lighter) <= dose(protocol, heavier)


@PROPERTY
@given(mg_per_kg=mg_per_kg, max_mg=caps.filter(lambda cap: cap is not None), weight=weights)
def test_the_dose_never_exceeds_the_protocols_maximum(mg_per_kg, max_mg, weight):
    protocol = protocol_with(mg_per_kg=mg_per_kg, max_mg=max_mg)

    assert dose(protocol, weight) <= max_mg


@PROPERTY
@given(weight=weights)
def test_kare_gives_0_8_mg_per_kg_up_to_100_mg_and_a_placebo_dose_of_nothing(weight):
    ketamine = schedule.dose_for(protocol=KARE, level="ketamine", weight_kg=weight)
    placebo = schedule.dose_for(protocol=KARE, level="placebo", weight_kg=weight)

    assert ketamine == (Decimal("0.8"), min(Decimal("0.8") * weight, Decimal(100)))
    assert placebo[1] == 0


# --- weights outside the protocol's range -------------------------------------------------------


@pytest.fixture
def at_the_infusion(people, lists, make_user):
    """A randomised participant attended at V2, and a pharmacist to record the infusion."""
    clinic = Clinic(people, make_user)
    participant = clinic.randomised()
    clinic.attend(client_for(clinic.coordinator), participant, "V2", 7)
    return Infusing(clinic, participant, clinic.user("pharmacist"))


class Infusing(NamedTuple):
    clinic: Clinic
    participant: Participant
    pharmacist: Any


def _infuse(at: Infusing, weight: Decimal) -> InfusionSession:
    start = dt.datetime.combine(at.clinic.day(at.participant, 7), dt.time(10), tzinfo=LONDON)
    return schedule.infusion_record(
        actor=at.pharmacist,
        appointment=at.clinic.appointment(at.participant, "V2"),
        weight_kg=weight,
        volume_ml=Decimal("50.0"),
        breath_alcohol=Decimal("0.00"),
        started_at=start,
        stopped_at=start + dt.timedelta(minutes=40),
        completed=True,
        vitals=[schedule.VitalsReading("before", -10, 122, 78, 70, 98)],
    )


out_of_range = st.decimals(min_value=-1000, max_value=LOW - Decimal("0.1"), places=1) | st.decimals(
    min_value=HIGH + Decimal("0.1"), max_value=5000, places=1
)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(weight=out_of_range)
@example(weight=LOW - Decimal("0.1"))
@example(weight=HIGH + Decimal("0.1"))
def test_a_weight_outside_the_protocols_range_is_refused_and_nothing_is_written(at_the_infusion, weight):
    # The fixture is shared by every example: each is refused, so none changes it.
    with pytest.raises(Invalid, match="the infusion is not valid") as refused:
        _infuse(at_the_infusion, weight)

    assert refused.value.fields == {"weight_kg": [f"The protocol accepts {LOW} to {HIGH} kg."]}
    assert not InfusionSession.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("weight", [LOW, HIGH], ids=["lowest", "highest"])
def test_the_ends_of_the_protocols_range_are_accepted(at_the_infusion, weight):
    level = blinding.arm_levels(at_the_infusion.participant.allocation)[KARE.dosing.factor]

    infusion = _infuse(at_the_infusion, weight)

    infusion.refresh_from_db()
    assert (infusion.weight_kg, infusion.dose_mg) == (
        weight,
        schedule.dose_for(protocol=KARE, level=level, weight_kg=weight)[1],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("weight", ["NaN", "Infinity", "75.05"])
def test_a_weight_that_is_not_a_number_or_finer_than_the_row_keeps_is_refused(at_the_infusion, weight):
    """Found by the dose properties: NaN raised past the checks, and 75.05 kg was dosed as 75.05 but
    stored as 75.1."""
    with pytest.raises(Invalid, match="infusion is not valid") as refused:
        _infuse(at_the_infusion, Decimal(weight))
    assert "weight_kg" in refused.value.fields
    assert not InfusionSession.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("mg_per_kg", "0.8125"), ("max_mg", "99.999")])
def test_a_dose_more_precise_than_the_infusion_row_is_refused_by_the_protocol(field, value):
    """A cap of 99.999 mg let a dose of 100.00 mg be stored; a rate of 0.8125 was stored as 0.813."""
    values = {"mg_per_kg": "0.8", field: value}
    with pytest.raises(ValidationError, match="decimal places"):
        DoseSpec(level="ketamine", drug="ketamine", route="IV", infusion_minutes=40, volume_ml="50", **values)
