"""The benchmarks under bench/ still run: each on a tiny trial, in its own throwaway database.

They are commands, not tests of speed (their figures are read by people); this only keeps them from
breaking unseen when the schema changes, as a new non-null column once broke their bulk loader.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("script", "options", "expected"),
    [
        ("export.py", ["--participants", "30", "--days", "20"], "ratio export / COPY"),
        ("endpoints.py", ["--participants", "30", "--days", "20"], "ratio"),
        ("randomise.py", ["--participants", "12", "--threads", "1,2"], "per second"),
        ("pages.py", ["--participants", "20", "--days", "30", "--requests", "2"], "worst ratio"),
    ],
)
def test_a_benchmark_runs_on_a_tiny_trial(script, options, expected):
    settings = connection.settings_dict
    server = urlunsplit(
        ("postgresql", f"{settings['USER']}@{settings['HOST']}:{settings['PORT']}", "/postgres", "", "")
    )
    name = f"bench_smoke_{script.removesuffix('.py')}_{os.getpid()}"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *options, "--database", name],
        env={**os.environ, "DATABASE_URL": server},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert expected in result.stdout
