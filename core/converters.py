"""Path converters: an id in a URL is a number the database's id columns can hold.

Django's ``<int:...>`` accepts any length of digits, and an id of 10**30 overflowed the database's
64-bit columns (an OverflowError or a DataError, answered as a 500). ``<id:...>`` matches 1 to 18
digits, so anything longer is a 404 like any other id that names nothing.
"""

from __future__ import annotations


class DatabaseId:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
