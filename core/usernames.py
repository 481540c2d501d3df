"""User names that cannot be mistaken for one another.

A name is normalised (Unicode NFKC, as Django's own forms do) and refused when it mixes alphabets
(``сarol`` with a Cyrillic ``с``) or when its *skeleton* equals an existing name's: the skeleton
maps every character to the Latin one it looks like (Cyrillic ``е`` to ``e``, Greek ``ο`` to ``o``,
``0`` to ``o``, ``1`` and ``I`` to ``l``), folds case and joins ``rn`` into ``m``, after Unicode's
confusable detection (UTS #39). The table of look-alikes is Unicode's, through the
``confusable-homoglyphs`` package (the standard library has none); a name in one other alphabet
alone (a Greek or Cyrillic name) is allowed as long as it does not look like an existing one.

A safe ASCII set only would have been simpler but refuses real names (``josé``, ``Zoë``) that
Django accepts, and would still let ``caro1`` pass for ``carol``; the skeleton catches both.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from confusable_homoglyphs import categories, confusables

# Look-alikes inside Latin and the digits, which Unicode's cross-script table leaves out.
_LATIN_LOOKALIKES = str.maketrans({"0": "o", "1": "l", "I": "l", "|": "l"})
_LATIN_SEQUENCES = (("rn", "m"), ("vv", "w"))


def normalise(username: str) -> str:
    """The name as it is stored: NFKC, surrounding spaces removed."""
    return unicodedata.normalize("NFKC", username or "").strip()


def mixed_alphabets(username: str) -> list[str]:
    """The alphabets ``username`` mixes (empty when it keeps to one; digits and signs belong to none)."""
    aliases = categories.unique_aliases(username) - {"COMMON"}
    return sorted(aliases) if len(aliases) > 1 else []


@lru_cache(maxsize=4096)
def _latin(character: str) -> str:
    found = confusables.is_confusable(character, preferred_aliases=["latin"], greedy=True)
    return found[0]["homoglyphs"][0]["c"] if found else character


def skeleton(username: str) -> str:
    """What ``username`` looks like: equal skeletons are names a reader can mistake for each other."""
    text = "".join(_latin(c) for c in normalise(username)).translate(_LATIN_LOOKALIKES).casefold()
    text = text.translate(_LATIN_LOOKALIKES)
    for sequence, lookalike in _LATIN_SEQUENCES:
        text = text.replace(sequence, lookalike)
    return text


def problems(username: str, *, existing) -> list[str]:
    """Why ``username`` (normalised) may not be added next to the ``existing`` names (an iterable)."""
    alphabets = mixed_alphabets(username)
    if alphabets:
        return [f"The username mixes alphabets ({', '.join(a.title() for a in alphabets)}): use letters of one."]
    mine = skeleton(username)
    if any(skeleton(other) == mine and other.casefold() != username.casefold() for other in existing):
        return ["The username looks too much like an existing one: choose another."]
    return []
