"""SAS special missing values set in a transport file pyreadstat wrote (outcomes.exports.xport)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from pyreadstat._readstat_parser import parser_entry_point  # read_xport does not offer user_missing

from outcomes.exports.xport import special_missing_set

NAN = float("nan")


def _written(tmp_path, columns: dict) -> str:
    path = str(tmp_path / "t.xpt")
    pyreadstat.write_xport(pd.DataFrame(columns), path, table_name="T", file_format_version=5)
    return path


def test_the_cells_named_become_special_missing_values_and_nothing_else_changes(tmp_path):
    # a text variable of odd length first: the numbers sit at unaligned positions of an observation
    path = _written(
        tmp_path,
        {"ID": ["a", "bb", "ccc"], "X": [1.5, NAN, NAN], "NOTE": ["", "x", "y"], "Y": [NAN, 2.0, NAN]},
    )
    assert special_missing_set(path, [(1, "X", "U"), (2, "X", "N"), (0, "Y", "_"), (2, "Y", "A")]) == 4
    frame, _meta = parser_entry_point(path, "xport", user_missing=True)
    assert list(frame["X"]) == [1.5, "U", "N"]
    assert list(frame["Y"]) == ["_", 2.0, "A"]
    assert list(frame["ID"]) == ["a", "bb", "ccc"]
    assert list(frame["NOTE"]) == ["", "x", "y"]
    plain, _ = pyreadstat.read_xport(path)  # a reader without special values sees them as missing
    assert plain["X"][0] == 1.5
    assert math.isnan(plain["X"][1])


def test_nothing_to_set_leaves_the_file_as_it_was(tmp_path):
    path = _written(tmp_path, {"X": [NAN]})
    before = Path(path).read_bytes()
    assert special_missing_set(path, []) == 0
    assert Path(path).read_bytes() == before


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ((0, "X", "U"), "not an ordinary missing value"),  # it holds 1.5
        ((5, "X", "U"), "not an ordinary missing value"),  # past the last observation
        ((1, "Z", "U"), "no 8-byte numeric variable"),
        ((1, "ID", "U"), "no 8-byte numeric variable"),
        ((1, "X", "u"), "no special missing value"),
    ],
)
def test_a_cell_that_cannot_take_a_special_missing_value_is_refused(tmp_path, cell, fragment):
    path = _written(tmp_path, {"ID": ["a", "b"], "X": [1.5, NAN]})
    before = Path(path).read_bytes()
    with pytest.raises(ValueError, match=fragment):
        special_missing_set(path, [cell])
    assert Path(path).read_bytes() == before


def test_a_file_that_is_not_sas_transport_is_refused(tmp_path):
    path = tmp_path / "t.xpt"
    path.write_bytes(b"not a transport file" * 10)
    with pytest.raises(ValueError, match="not a SAS transport file"):
        special_missing_set(path, [(0, "X", "U")])
