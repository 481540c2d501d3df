"""The kinds of value a protocol is made of, and the error that lists every problem of a file."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
)

from core.roles import Role


def _time_text(value: Any) -> Any:
    """Refuse a bare number as a time: YAML reads an unquoted 19:00 as the integer 1140."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError('write times as quoted text, e.g. "19:00" (an unquoted 19:00 is read as a number)')
    return value


TimeOfDay = Annotated[dt.time, BeforeValidator(_time_text)]


Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")]


Text = Annotated[str, StringConstraints(min_length=1, max_length=500, strip_whitespace=True)]


# A language as participants' texts name it: ``es``, ``cy``, ``pt-br`` (ISO 639-1, lower case,
# with a region when needed). The key of a text's translations into the languages reminders speak.
def _language_tag(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2}(-[a-z]{2})?", value):
        raise ValueError("not a language code: write one such as es, cy or pt-br")
    return value


LanguageTag = Annotated[str, AfterValidator(_language_tag)]


def in_language(text: str, translations: dict[str, str], language: str | None) -> str:
    """``text`` as said in ``language``: its translation when the protocol gives one (for the
    language, else for its base: ``pt`` for ``pt-br``), else the protocol's own text."""
    if not language:
        return text
    language = language.lower()
    return translations.get(language) or translations.get(language.split("-")[0]) or text


ROLE_CODES = frozenset(role.value for role in Role)


RANDOMISATION_ANCHOR = "randomisation"


class ProtocolInvalid(Exception):
    """The file is not a valid protocol; ``problems`` lists ``(field path, message)`` pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _loading_new(info: ValidationInfo) -> bool:
    """False when a stored version is being read back (:func:`from_document`): a rule added since it
    was stored must not make a running trial's protocol unreadable. Rules that only protect the
    blinding of new protocols apply to new ones."""
    return not (info.context or {}).get("stored", False)
