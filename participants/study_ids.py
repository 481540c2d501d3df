"""Study ids: random, short enough to say on the phone, with a check character.

Six characters from Crockford's base-32 alphabet (no I, L, O or U, so nothing reads as another
letter or a digit) followed by a check character computed with the Luhn mod-N algorithm, which
catches every single-character error and most swaps of neighbours. Nothing personal goes in.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 6


def check_character(body: str) -> str:
    """The Luhn mod-32 check character of ``body`` (characters from :data:`ALPHABET`)."""
    n = len(ALPHABET)
    factor = 2
    total = 0
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def is_valid(study_id: str) -> bool:
    """True when ``study_id`` is a body of alphabet characters followed by its check character."""
    if len(study_id) < 2 or any(c not in ALPHABET for c in study_id):
        return False
    return check_character(study_id[:-1]) == study_id[-1]


def new_study_id() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)
