"""What is measured and how reminders are sent: outcome windows, units, the heavy-day thresholds,
the relapse rule, biomarkers, the primary endpoint and the reminder policies.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from trials.protocol.fields import LanguageTag, Text, TimeOfDay, _loading_new, _Strict, in_language


class RelapseRule(StrEnum):
    FIRST_HEAVY_DAY = "first_heavy_day"
    FIRST_DRINKING_DAY = "first_drinking_day"


class DrinkSource(StrEnum):
    TLFB = "tlfb"
    DIARY = "diary"
    BREATHALYSER = "breathalyser"
    TRANSDERMAL = "transdermal"


class UnitSpec(_Strict):
    code: Literal["g", "uk_unit", "us_drink"]
    name: Text
    grams: Decimal = Field(gt=0, le=100)
    plural: Text | None = None  # the name of more than one ("UK units"; by default the name and an "s")
    # The name and the plural in other languages, as the participant's diary asks in them
    # (``{es: unidad británica}``, ``{es: unidades británicas}``).
    name_translations: dict[LanguageTag, Text] = {}
    plural_translations: dict[LanguageTag, Text] = {}

    def name_in(self, language: str | None) -> str:
        """The unit's name as said in ``language`` (the protocol's own without a translation)."""
        return in_language(self.name, self.name_translations, language)

    def plural_in(self, language: str | None) -> str:
        """The plural as said in ``language``: its translation; else, where only the name is
        translated, the name as translated (never an English "s" on another language's word);
        else the protocol's own plural."""
        own = in_language(self.plural or f"{self.name}s", self.plural_translations, language)
        named = in_language(self.name, self.name_translations, language)
        if own == (self.plural or f"{self.name}s") and named != self.name:
            return named
        return own


class RelapseSpec(_Strict):
    rule: RelapseRule
    biochemically_verified: bool = False
    dropout_counts_as_relapse: bool = False


# The code of the baseline look-back (``baseline_lookback_days``) in the endpoint rows and exports.
RESERVED_WINDOW_CODES = frozenset({"baseline"})


class WindowSpec(_Strict):
    code: Text
    start: int
    end: int

    @field_validator("code")
    @classmethod
    def _not_reserved(cls, code: str, info: ValidationInfo) -> str:
        if code in RESERVED_WINDOW_CODES and _loading_new(info):
            raise ValueError(
                f"{code!r} names the baseline look-back (baseline_lookback_days): call the window otherwise"
            )
        return code

    @model_validator(mode="after")
    def _study_days(self) -> WindowSpec:
        if self.start == 0 or self.end == 0:
            raise ValueError("there is no study day 0: day 1 is the anchor date, day -1 the day before")
        if self.end < self.start:
            raise ValueError(f"the window ends (day {self.end}) before it starts (day {self.start})")
        return self


class BiomarkerSpec(_Strict):
    etg_cutoff_ng_ml: int = Field(default=500, gt=0, le=100000)
    etg_detection_days: int = Field(default=2, ge=0, le=14)
    breath_alcohol_cutoff: Decimal = Field(default=Decimal("0.00"), ge=0)
    transdermal_detection_days: int = Field(default=1, ge=0, le=14)


class PrimaryEndpoint(StrEnum):
    PDA = "pda"
    PHDD = "phdd"
    HEAVY_DAYS = "heavy_days"
    RELAPSE = "relapse"


class OutcomeSpec(_Strict):
    # Study day 1. Only the randomisation date so far: the endpoints, exports and diary all count
    # from the allocation. ``first_infusion`` is refused by name rather than silently ignored.
    anchor: str = "randomisation"
    primary_endpoint: PrimaryEndpoint
    primary_window: Text
    unit: UnitSpec
    units_known: list[Literal["g", "uk_unit", "us_drink"]] = Field(default_factory=lambda: ["g", "uk_unit", "us_drink"])
    heavy_day_grams: dict[Literal["M", "F"], Decimal]
    relapse: RelapseSpec
    windows: list[WindowSpec] = Field(min_length=1)
    baseline_lookback_days: int = Field(default=90, ge=0, le=730)
    max_grams_per_day: Decimal = Field(default=Decimal(1000), gt=0, le=5000)
    source_priority: list[DrinkSource] = Field(default_factory=lambda: [DrinkSource.TLFB, DrinkSource.DIARY])
    psnhdd_grace_days: int = Field(default=28, ge=0, le=365)
    daily_self_report: bool = False
    biomarkers: BiomarkerSpec = Field(default_factory=BiomarkerSpec)

    @field_validator("anchor")
    @classmethod
    def _supported_anchor(cls, value: str) -> str:
        if value == "first_infusion":
            raise ValueError("study day 1 at the first infusion is not supported yet; use randomisation")
        if value != "randomisation":
            raise ValueError("use randomisation")
        return value

    @field_validator("heavy_day_grams")
    @classmethod
    def _both_sexes(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        missing = {"M", "F"} - set(value)
        if missing:
            raise ValueError(f"a heavy-drinking-day threshold is needed for {', '.join(sorted(missing))}")
        for sex, grams in value.items():
            if grams <= 0:
                raise ValueError(f"the threshold for {sex} must be more than 0 g")
        return value

    @field_validator("source_priority")
    @classmethod
    def _unique_sources(cls, value: list[DrinkSource]) -> list[DrinkSource]:
        if len(set(value)) != len(value) or not value:
            raise ValueError("list each source once, at least one")
        return value


class ReminderPolicy(_Strict):
    """When to remind participants of events of one kind (``missed_visit`` after a miss)."""

    event_kind: Literal["screening", "baseline", "infusion", "therapy", "follow_up", "phone", "missed_visit"]
    offsets_days: list[int] = Field(min_length=1)
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    time_of_day: TimeOfDay = dt.time(9, 0)


class DiaryPrompt(_Strict):
    channels: list[Literal["email", "sms"]] = Field(min_length=1)
    default_time: TimeOfDay = dt.time(19, 0)


class RemindersSpec(_Strict):
    policies: list[ReminderPolicy] = Field(default_factory=list)
    daily_diary: DiaryPrompt | None = None
