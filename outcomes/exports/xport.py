"""SAS special missing values (``.A``–``.Z``, ``._``) in a SAS transport version 5 file.

pyreadstat writes version 5 files, but not special missing values: its ``missing_user_values``
path fails for the transport format. The format's layout is fixed and simple (SAS technical note
TS-140), so the tabular export writes the file with pyreadstat, each such cell an ordinary missing
value, and then :func:`special_missing_set` sets those cells in the file itself.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

RECORD = 80
MEMBER_HEADER = b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!"
NAMESTR_HEADER = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
OBS_HEADER = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
ORDINARY_MISSING = b"." + bytes(7)
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")


def special_missing_set(path: Path | str, cells: Iterable[tuple[int, str, str]]) -> int:
    """Set ``cells`` of the (first) member of the transport file at ``path`` to special missing
    values: each ``(row, variable, letter)``, the row counted from 0, the variable's name as in the
    file, the letter ``A``–``Z`` or ``_``. Returns how many cells were set.

    A numeric missing value is 8 bytes: ``.`` (0x2E) for an ordinary one, or the letter for a
    special one, then seven 0x00. Refused (ValueError), before that cell is written: a variable the
    file does not have or that is not an 8-byte number, a letter that is none of those, a cell that
    is not an ordinary missing value now.
    """
    count = 0
    with open(path, "r+b") as handle:
        start, length, variables = _layout(handle)
        for row, name, letter in cells:
            position, width = variables.get(name, (None, None))
            if width != 8 or letter not in LETTERS:
                raise ValueError(f"{name}: no 8-byte numeric variable, or {letter!r} is no special missing value")
            handle.seek(start + row * length + position)
            if handle.read(8) != ORDINARY_MISSING:
                raise ValueError(f"{name}, row {row}: not an ordinary missing value")
            handle.seek(-8, 1)
            handle.write(letter.encode("ascii") + bytes(7))
            count += 1
    return count


def _layout(handle: BinaryIO) -> tuple[int, int, dict[str, tuple[int, int]]]:
    """Where the observations start, an observation's length, and each variable's
    ``(position in the observation, length)``, read from the member's headers and NAMESTRs.

    The member header gives a NAMESTR's length (4 digits at offset 74: 140, or 136 on VAX/VMS),
    the NAMESTR header the number of variables (4 digits at offset 54). Each NAMESTR (big-endian)
    holds the variable's length (2 bytes at offset 4), its name (8 at 8) and its position NPOS
    (4 at 84). The NAMESTRs fill whole records, then comes the OBS header, then the observations
    back to back."""
    size = 140
    while record := handle.read(RECORD):
        if record.startswith(MEMBER_HEADER):
            size = int(record[74:78])
        elif record.startswith(NAMESTR_HEADER):
            count = int(record[54:58])
            break
    else:
        raise ValueError("no NAMESTR header: not a SAS transport file")
    first = handle.tell()
    raw = handle.read(count * size)
    variables: dict[str, tuple[int, int]] = {}
    for n in range(count):
        namestr = raw[n * size : (n + 1) * size]
        (length,) = struct.unpack(">h", namestr[4:6])
        (position,) = struct.unpack(">i", namestr[84:88])
        variables[namestr[8:16].decode("ascii").rstrip()] = (position, length)
    handle.seek(first + -(-count * size // RECORD) * RECORD)
    if not handle.read(RECORD).startswith(OBS_HEADER):
        raise ValueError("no OBS header after the NAMESTRs")
    return handle.tell(), sum(length for _, length in variables.values()), variables
