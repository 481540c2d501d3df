"""Request bodies the API will read: JSON no deeper than any real request needs.

Python's JSON decoder recurses once per level, so a body of 50,000 nested brackets exhausted the
stack (a RecursionError, answered as a 500). No request of this API nests deeper than a few levels;
:class:`JSONParser` refuses more than :data:`MAX_DEPTH` with a 400 before decoding.
"""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser

MAX_DEPTH = 32
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


def nesting_depth(body: bytes, *, limit: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in ``body`` (strings skipped), counted up to one
    past ``limit``: the scan stops there."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif byte in _CLOSE:
            depth -= 1
    return deepest


class JSONParser(BaseJSONParser):
    """DRF's JSON parser, refusing a body nested deeper than :data:`MAX_DEPTH` (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        if nesting_depth(body) > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels")
        try:
            return super().parse(_Body(body), media_type, parser_context)
        except RecursionError:  # unreachable under the limit; never a 500 all the same
            raise ParseError("JSON parse error - nested too deeply") from None


class _Body:
    """The body already read, as the stream the base parser reads from."""

    def __init__(self, body: bytes):
        self._body, self._done = body, False

    def read(self, size: int = -1) -> bytes:
        if self._done:
            return b""
        self._done = True
        return self._body
