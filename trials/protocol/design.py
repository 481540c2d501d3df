"""The trial's design: the trial and its sites, factors, levels and arms, randomisation, who may
unblind, how people sign in, eligibility and consent forms.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from enum import StrEnum
from typing import Annotated, Literal

import phonenumbers
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from core.roles import Role
from trials.protocol.fields import ROLE_CODES, Code, LanguageTag, Text, _Strict, in_language


class TrialInfo(_Strict):
    code: Code
    title: Text
    short_title: str = ""
    registry_ids: list[Text] = Field(default_factory=list)
    sponsor: Text
    phase: str = ""
    design: str = ""
    target_sample_size: int | None = Field(default=None, gt=0)


class VersionInfo(_Strict):
    label: Text
    effective_date: dt.date


class SiteContact(_Strict):
    """What a participant's reminders say of the site: a neutral name (the sender's display name
    and the signature), the place to come to, the number to call to rearrange, and the address a
    reply goes to. Each is read over a shoulder as often as by the participant, so none may name
    the trial, its drug or its arms (the protocol checks, :meth:`Protocol._check_site_contacts`)."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=60, strip_whitespace=True)]
    place: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    phone: str
    reply_to: str = ""
    # The place in other languages (``{es: "Consultas externas, planta 2"}``); the name is a name.
    place_translations: dict[
        LanguageTag, Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    ] = {}

    def place_in(self, language: str | None) -> str:
        """The place as said in ``language`` (the protocol's own text without a translation)."""
        return in_language(self.place, self.place_translations, language)

    @field_validator("name")
    @classmethod
    def _one_line_name(cls, value: str) -> str:
        if any(c in value for c in '\r\n<>"@,;'):
            raise ValueError('a display name is one line without < > " @ , ;')
        return value

    @field_validator("phone")
    @classmethod
    def _dialable(cls, value: str) -> str:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise ValueError("a phone number in international form, +44 20 7946 0000") from None
        if not phonenumbers.is_possible_number(number):
            raise ValueError("not a possible phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    @field_validator("reply_to")
    @classmethod
    def _an_address(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError("not an email address") from None
        return value


class SiteSpec(_Strict):
    code: Code
    name: Text
    time_zone: str = "Europe/London"
    contact: SiteContact | None = None

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class LevelSpec(_Strict):
    code: Code
    title: Text
    description: str = ""
    # The neutral label shown to people blinded to the factor ("study drug", "psychological session").
    blinded_label: str = ""


class FactorSpec(_Strict):
    code: Code
    title: Text
    levels: list[LevelSpec] = Field(min_length=2)
    visible_to: list[str] = Field(default_factory=list)
    blinded_label: str = ""
    # Outcomes, adverse events and questionnaires are assessed blind to this factor: a role in
    # ``visible_to`` may not enter or change them. False only for a factor that cannot be hidden
    # from those who assess (a therapy known to whoever delivers and books it).
    assessed_blind: bool = True

    @field_validator("visible_to")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ROLE_CODES)
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(sorted(ROLE_CODES))}")
        return value


class ArmSpec(_Strict):
    code: Code
    title: Text
    levels: dict[str, str]
    ratio: int = Field(default=1, ge=1, le=100)


class RandomisationMethod(StrEnum):
    PERMUTED_BLOCKS = "permuted_blocks"
    MINIMISATION = "minimisation"


class RandomisationSpec(_Strict):
    method: RandomisationMethod
    block_sizes: list[int] = Field(default_factory=list)
    stratify_by: list[Literal["site", "sex"]] = Field(default_factory=list)
    # Minimisation (Pocock-Simon): the probability of choosing the arm that minimises imbalance.
    random_element: float | None = Field(default=None, gt=0.5, le=1.0)
    minimise_over: list[Literal["site", "sex"]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _method_settings(self) -> RandomisationSpec:
        if self.method == RandomisationMethod.PERMUTED_BLOCKS:
            if not self.block_sizes:
                raise ValueError("permuted blocks need block_sizes")
            if any(size <= 0 for size in self.block_sizes):
                raise ValueError("block sizes must be positive")
            if len(set(self.block_sizes)) != len(self.block_sizes):
                raise ValueError("block sizes are listed twice")
        if self.method == RandomisationMethod.MINIMISATION:
            if self.random_element is None:
                raise ValueError("minimisation needs random_element (e.g. 0.8)")
            if not self.minimise_over:
                raise ValueError("minimisation needs minimise_over (e.g. [site, sex])")
        return self


class UnblindingSpec(_Strict):
    emergency_roles: list[str] = Field(default_factory=lambda: [Role.INVESTIGATOR.value])
    notify_roles: list[str] = Field(default_factory=lambda: [Role.UNBLINDED_STATISTICIAN.value])

    @field_validator("emergency_roles", "notify_roles")
    @classmethod
    def _known_roles(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - ROLE_CODES)
        if unknown:
            raise ValueError(f"unknown role(s) {', '.join(unknown)}")
        return value


class AccessSpec(_Strict):
    """Who signs in how. A second factor is always needed by administrators and every role in a
    factor's ``visible_to``; ``second_factor_for_all`` asks it of every member of the trial."""

    second_factor_for_all: bool = False


class CriterionKind(StrEnum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class CriterionSpec(_Strict):
    code: Code
    kind: CriterionKind
    text: Text


class AgeRange(_Strict):
    min: int = Field(ge=0, le=120)
    max: int = Field(ge=0, le=120)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRange:
        if self.max < self.min:
            raise ValueError(f"the age range ends ({self.max}) before it starts ({self.min})")
        return self


class EligibilitySpec(_Strict):
    age: AgeRange
    criteria: list[CriterionSpec] = Field(min_length=1)


class ConsentFormSpec(_Strict):
    version: Text
    date: dt.date
    title: Text
