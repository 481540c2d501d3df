"""Geometry of the trial page's recruitment chart: cumulative randomisations by month against the
target, as numbers an inline SVG template draws. The table beside it carries the same figures."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 720
HEIGHT = 240
LEFT = 48  # room for the axis labels
BOTTOM = 28
TOP = 12
# At most this many month labels under the bars; the others are left out, the table has them all.
MONTH_LABELS = 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str
    show_label: bool


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    baseline: float
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of the axis labels
    target_y: float | None
    target: int | None
    description: str


def recruitment_chart(recruitment) -> Chart | None:
    """The chart of ``recruitment``'s months (None when nothing was counted yet): one bar per month,
    as tall as the participants randomised so far, and the target as a line across."""
    months = recruitment.months
    if not months:
        return None
    target = recruitment.target
    top = max(target or 0, months[-1].cumulative, 1)
    plot = HEIGHT - BOTTOM - TOP
    baseline = HEIGHT - BOTTOM
    step = (WIDTH - LEFT) / len(months)
    every = -(-len(months) // MONTH_LABELS)

    def y_of(value: int) -> float:
        return round(baseline - plot * value / top, 1)

    bars = [
        Bar(
            x=round(LEFT + i * step + step * 0.15, 1),
            y=y_of(row.cumulative),
            width=round(step * 0.7, 1),
            height=round(baseline - y_of(row.cumulative), 1),
            value=row.cumulative,
            label=row.month.strftime("%b %y"),
            show_label=i % every == 0,
        )
        for i, row in enumerate(months)
    ]
    ticks = sorted({(y_of(v), v) for v in (0, top // 2, top)})
    first, last = months[0], months[-1]
    description = (
        f"Participants randomised so far, month by month from {first.label} to {last.label}: "
        f"{last.cumulative} by {last.label}"
        + (f", against a target of {target}." if target else ".")
        + " The table below gives every month's figures."
    )
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        baseline=baseline,
        bars=bars,
        ticks=ticks,
        target_y=y_of(target) if target else None,
        target=target,
        description=description,
    )
