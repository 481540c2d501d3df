"""What one drinking unit is, for the participant's diary page: the protocol's unit in grams and
millilitres of pure alcohol, and the units in a few common drinks.

Every number follows the protocol's own unit (``outcomes.unit``: its name and its grams of
ethanol), so a protocol counting US standard drinks (14 g) gets its own figures, not the UK's.

A unit's volume is its grams over the density of ethanol (0.789 g/ml), given to two significant
figures, as units are stated ("8 g, or 10 ml"); a drink's units are its pure alcohol (volume times
strength) over that volume, to one decimal. UK guidance and drink labels count from the 10 ml: a
pint of 4% beer is 2.3 units there, while 568 ml x 4% x 0.789 g/ml over 8 g gives 2.2. The page
must agree with the labels participants read, so the rounded volume is the divisor. Nothing here
reads the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

ETHANOL_G_PER_ML = Decimal("0.789")
TENTH = Decimal("0.1")

# key (the picture's drawing), what it is, millilitres, strength (% alcohol by volume)
COMMON_DRINKS = (
    ("pint", _("A pint of beer, lager or cider"), 568, Decimal(4)),
    ("bottle", _("A small bottle of beer"), 330, Decimal(5)),
    ("glass", _("A medium glass of wine"), 175, Decimal(12)),
    ("wine", _("A bottle of wine"), 750, Decimal(12)),
    ("single", _("A single measure of spirits"), 25, Decimal(40)),
)


@dataclass(frozen=True)
class Drink:
    key: str
    name: str
    ml: int
    abv: Decimal
    units: Decimal


@dataclass(frozen=True)
class UnitGuide:
    """The protocol's unit as the page explains it: ``name`` ("UK unit"), ``grams`` and ``ml`` of
    pure alcohol in one, and the common drinks with their units (``units`` by drink key too)."""

    name: str
    grams: Decimal
    ml: Decimal
    drinks: tuple[Drink, ...]

    @property
    def units(self) -> dict[str, Decimal]:
        return {d.key: d.units for d in self.drinks}


def two_figures(value: Decimal) -> Decimal:
    """``value`` to two significant figures (10.14 → 10, 17.74 → 18, 1.267 → 1.3)."""
    return value.quantize(Decimal(1).scaleb(value.adjusted() - 1), rounding=ROUND_HALF_UP)


def drink_units(*, ml: int, abv: Decimal, unit_ml: Decimal) -> Decimal:
    """Units in ``ml`` of a drink of ``abv`` percent, for a unit of ``unit_ml`` of pure alcohol."""
    return (Decimal(ml) * abv / 100 / unit_ml).quantize(TENTH, rounding=ROUND_HALF_UP)


def guide_for(unit, language: str | None = None) -> UnitGuide:
    """The guide to ``unit``, a protocol's :class:`trials.protocol.outcomes.UnitSpec`, naming it
    in ``language`` where the protocol translates its name."""
    grams = Decimal(unit.grams)
    ml = two_figures(grams / ETHANOL_G_PER_ML)
    drinks = tuple(
        Drink(key=key, name=name, ml=volume, abv=abv, units=drink_units(ml=volume, abv=abv, unit_ml=ml))
        for key, name, volume, abv in COMMON_DRINKS
    )
    return UnitGuide(name=unit.name_in(language), grams=grams, ml=ml, drinks=drinks)
