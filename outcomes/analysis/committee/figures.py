"""The committee reports' picture: cumulative recruitment against the target, pooled over arms.

Saved as PNG and SVG by :func:`outcomes.analysis.figures.save`, like the analysis report's pictures.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from matplotlib.figure import Figure

from outcomes.analysis.figures import COLOURS


def _steps(dates: pd.Series, start: dt.date, cutoff: dt.date) -> tuple[list[dt.date], list[int]]:
    """The cumulative count of ``dates`` as a step line from ``start`` to ``cutoff``."""
    counts = pd.Series(1, index=pd.to_datetime(dates)).groupby(level=0).sum().sort_index().cumsum()
    xs, ys = [start], [0]
    for day, total in counts.items():
        xs.append(day.date())
        ys.append(int(total))
    xs.append(cutoff)
    ys.append(ys[-1])
    return xs, ys


def cumulative_recruitment(people: pd.DataFrame, sites: list[str], *, target: int | None, cutoff: dt.date) -> Figure:
    """Participants randomised to date, in all and per site, with the target as a dashed line."""
    fig = Figure(figsize=(7, 3.6))
    ax = fig.add_subplot(1, 1, 1)
    start = min(people["allocated_on"]) if len(people) else cutoff
    xs, ys = _steps(people["allocated_on"], start, cutoff)
    ax.step(xs, ys, where="post", color="#222222", lw=2, label="All sites")
    for i, site in enumerate(sites):
        mine = people.loc[people["site"] == site, "allocated_on"]
        if len(mine):
            xs, ys = _steps(mine, start, cutoff)
            ax.step(xs, ys, where="post", color=COLOURS[i % len(COLOURS)], lw=1.2, label=site)
    if target:
        ax.axhline(target, color="#888888", ls="--", lw=1)
        # at the right end, above the line: the legend keeps the upper left, below the line
        ax.annotate(
            f"target {target}", (cutoff, target), textcoords="offset points", xytext=(-4, 3), fontsize=8, ha="right"
        )
    ax.set_ylim(0, max(target or 0, len(people)) * 1.12 + 1)
    ax.set_ylabel("participants randomised")
    ax.set_title(f"Cumulative recruitment to {cutoff.isoformat()}", fontsize=10)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    ax.legend(fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
