"""The visit schedule, the dosing of the study drug and the therapy programme."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from trials.protocol.fields import RANDOMISATION_ANCHOR, Code, Text, _loading_new, _Strict


class EventKind(StrEnum):
    SCREENING = "screening"
    BASELINE = "baseline"
    INFUSION = "infusion"
    THERAPY = "therapy"
    FOLLOW_UP = "follow_up"
    PHONE = "phone"


class Procedure(StrEnum):
    INFUSION = "infusion"
    PSYCHOLOGICAL_SESSION = "psychological_session"
    TLFB = "tlfb"
    QUESTIONNAIRES = "questionnaires"
    BIOMARKERS = "biomarkers"
    VITALS = "vitals"


class EventSpec(_Strict):
    code: Code
    title: Text
    kind: EventKind
    anchor: Code = RANDOMISATION_ANCHOR
    day: int = Field(ge=-365, le=3650)
    window: tuple[int, int] = (0, 0)
    procedures: list[Procedure] = Field(default_factory=list)
    optional: bool = False

    @field_validator("window")
    @classmethod
    def _window(cls, value: tuple[int, int]) -> tuple[int, int]:
        before, after = value
        if after < before:
            raise ValueError(f"the window ends ({after:+d}) before it starts ({before:+d})")
        if before > 0 or after < 0:
            raise ValueError(f"the window [{before:+d}, {after:+d}] does not contain the target day")
        return value


class SafetyThresholds(_Strict):
    """Vitals past which an infusion is flagged (stop and consider an adverse event)."""

    systolic_max: int = Field(gt=0, le=300)
    diastolic_max: int = Field(gt=0, le=200)
    heart_rate_max: int = Field(gt=0, le=250)
    spo2_min: int = Field(default=90, gt=50, le=100)


class DoseSpec(_Strict):
    level: Code  # a level of the drug factor
    drug: Text
    # As precise as the infusion row stores them (mg/kg to 0.001, mg to 0.01): a finer cap or rate
    # would be rounded when recorded, and a dose at the cap stored above it.
    mg_per_kg: Decimal = Field(ge=0, le=100, decimal_places=3)
    max_mg: Decimal | None = Field(default=None, gt=0, le=10000, decimal_places=2)
    route: Literal["IV", "IM", "oral", "intranasal", "SC"]
    infusion_minutes: int = Field(gt=0, le=1440)
    volume_ml: Decimal = Field(gt=0, le=5000)


class DosingSpec(_Strict):
    factor: Code
    regimen: list[DoseSpec] = Field(min_length=1)
    infusions: int = Field(ge=1, le=100)
    min_interval_days: int = Field(ge=0, le=365)
    weight_kg: tuple[Decimal, Decimal] = (Decimal(30), Decimal(250))
    duration_tolerance_percent: int = Field(default=10, ge=0, le=100)
    safety: SafetyThresholds
    vitals_every_minutes: int = Field(default=15, gt=0, le=240)

    @field_validator("weight_kg")
    @classmethod
    def _weights(cls, value: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
        low, high = value
        if low <= 0 or high <= low:
            raise ValueError(f"the plausible weight range [{low}, {high}] is empty or not positive")
        return value

    @model_validator(mode="after")
    def _infusions_look_alike(self, info: ValidationInfo) -> DosingSpec:
        # A placebo (or another dose) must look the same at the bedside: with another length or
        # volume, the infusion's start and stop times or its volume (entered and exported) would tell
        # a blinded user the drug level; so would a route the staff see.
        if _loading_new(info) and len({(d.infusion_minutes, d.volume_ml, d.route) for d in self.regimen}) > 1:
            raise ValueError(
                "the drug levels' infusions must have the same length, volume and route, so that those "
                "blinded to the drug factor cannot tell them apart"
            )
        return self


class SessionProgramme(_Strict):
    level: Code  # a level of the therapy factor
    title: Text
    sessions: int = Field(ge=1, le=100)
    minutes: int = Field(gt=0, le=600)


class TherapySpec(_Strict):
    factor: Code
    programmes: list[SessionProgramme] = Field(min_length=1)

    @model_validator(mode="after")
    def _programmes_look_alike(self, info: ValidationInfo) -> TherapySpec:
        # A blinded comparator must look the same: with other session counts or lengths, which
        # sessions and minutes are accepted (and exported) would tell a blinded user the programme.
        if _loading_new(info) and len({(p.sessions, p.minutes) for p in self.programmes}) > 1:
            raise ValueError(
                "the programmes must have the same number of sessions and minutes, so that those blinded to "
                "the therapy factor cannot tell them apart"
            )
        return self
