"""The report's pictures, drawn with matplotlib's Agg canvas (no display, no pyplot state).

Each picture is written twice, as PNG (for reading) and SVG (for print). SVG text is kept as text
(``svg.fonttype = none``), so what a picture says can be searched, and the SVG carries no date.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch
from matplotlib.textpath import TextToPath

from outcomes.analysis import stats
from outcomes.analysis.consort import Flow, Group
from outcomes.analysis.labels import Labels

COLOURS = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6d597a", "#00798c", "#8d6a9f", "#5c5c5c"]
STYLE = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9}


def colour(labels: Labels, arm: str) -> str:
    return COLOURS[labels.order.index(arm) % len(COLOURS)]


def save(fig: Figure, out_dir: Path, name: str) -> list[str]:
    """Write ``name.png`` and ``name.svg``; return the file names."""
    FigureCanvasAgg(fig)
    with mpl.rc_context(STYLE):
        fig.savefig(out_dir / f"{name}.png", dpi=150, bbox_inches="tight", facecolor="white")
        fig.savefig(out_dir / f"{name}.svg", bbox_inches="tight", facecolor="white", metadata={"Date": None})
    return [f"{name}.png", f"{name}.svg"]


# --- the CONSORT flow diagram --------------------------------------------------------------------

LINE = 0.17  # inches per text line
PAD = 0.08
EXCLUDED_WIDTH = 3.3  # inches
REASON_CHARACTERS = 50  # an exclusion reason's line at most; fewer where its letters are wide
REASON_INCHES = EXCLUDED_WIDTH - 2 * PAD - 0.05
_FONT = FontProperties(family=STYLE["font.family"], size=8)
_TEXT_PATH = TextToPath()


def _box(ax, x: float, top: float, width: float, lines: list[str], *, bold: int = 1) -> float:
    """A box whose top edge is centred at (x, top), its first ``bold`` lines in bold; returns its bottom."""
    height = LINE * len(lines) + 2 * PAD
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, top - height),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.05",
            linewidth=0.9,
            edgecolor="#333333",
            facecolor="#f7f7f7",
        )
    )
    for i, line in enumerate(lines):
        ax.text(
            x - width / 2 + PAD,
            top - PAD - LINE * (i + 0.5),
            line,
            va="center",
            ha="left",
            fontsize=8,
            fontweight="bold" if i < bold else "normal",
        )
    return top - height


def _arrow(ax, start: tuple[float, float], end: tuple[float, float]) -> None:
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "#333333", "lw": 0.9})


def _band(ax, y: float, text: str, width: float) -> None:
    ax.text(0.05, y, text, fontsize=9, fontweight="bold", color="#1b4f72", va="center")
    ax.plot([0.05, width - 0.05], [y - 0.12, y - 0.12], color="#9fb6c8", lw=0.6)


def _reason(text: str, n: int, indent: int = 4) -> list[str]:
    """An exclusion reason and its count, wrapped at words so that every line fits the excluded box
    as drawn (capitals are wider than small letters); the count is kept whole (its spaces do not
    break). Its first line is indented by ``indent`` spaces, the next ones by four more."""
    for width in range(REASON_CHARACTERS, 9, -2):
        lines = textwrap.wrap(
            f"{text}  n\u00a0=\u00a0{n}",
            width=width,
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + 4),
        )
        if all(_inches(line) <= REASON_INCHES for line in lines):
            break
    return lines


def _failed_criteria(flow: Flow, labels: Labels) -> list[str]:
    """The excluded box's lines for the failed criteria: a heading per kind, then each criterion
    by the protocol's words with its count."""
    lines = []
    for heading, items in labels.failed_criteria(flow.failed_criteria):
        lines.append(f"    {heading}")
        lines += [line for text, n in items for line in _reason(text, n, indent=8)]
    return lines


def _inches(line: str) -> float:
    """How wide ``line`` is drawn in the diagram's 8-point text."""
    width, _height, _descent = _TEXT_PATH.get_text_width_height_descent(line, _FONT, ismath=False)
    return width / 72


def _group_lines(group: Group, title: str) -> tuple[list[str], list[str], list[str]]:
    allocation = [
        *title.split("\n"),
        f"Allocated  n = {group.allocated}",
        f"Received allocated intervention  n = {group.received}",
        f"Did not receive it  n = {group.not_received}",
    ]
    follow_up = [
        "Follow-up",
        f"Lost to follow-up  n = {group.lost}",
        f"    withdrew from follow-up  n = {group.lost_withdrew}",
        f"    missed final follow-up  n = {group.lost_missed_visit}",
        f"Discontinued intervention  n = {group.discontinued}",
    ]
    analysis = [
        "Analysis",
        f"Analysed  n = {group.analysed}",
        f"Excluded (no assessed day)  n = {group.not_analysed}",
    ]
    return allocation, follow_up, analysis


def _columns(ax, groups: list[tuple[Group, str]], *, top: float, col_width: float, offset: float, from_xy) -> float:
    """One column of boxes per group, from ``offset``, fed by arrows from ``from_xy``; returns the
    lowest bottom."""
    lowest = top
    box_width = col_width - 0.25
    xs = [offset + col_width * (i + 0.5) for i in range(len(groups))]
    if from_xy is not None:
        fx, fy = from_xy
        split = top + 0.18
        ax.plot([fx, fx], [fy, split], color="#333333", lw=0.9)
        ax.plot([min(*xs, fx), max(*xs, fx)], [split, split], color="#333333", lw=0.9)
    for x, (group, title) in zip(xs, groups, strict=True):
        if from_xy is not None:
            _arrow(ax, (x, top + 0.18), (x, top))
        allocation, follow_up, analysis = _group_lines(group, title)
        bottom = _box(ax, x, top, box_width, allocation, bold=title.count("\n") + 1)
        _arrow(ax, (x, bottom), (x, bottom - 0.22))
        bottom = _box(ax, x, bottom - 0.22, box_width, follow_up)
        _arrow(ax, (x, bottom), (x, bottom - 0.22))
        bottom = _box(ax, x, bottom - 0.22, box_width, analysis)
        lowest = min(lowest, bottom)
    return lowest


def consort(flow: Flow, labels: Labels, *, show_margins: bool) -> Figure:
    """The CONSORT 2010 flow diagram; with ``show_margins``, the factor margins below the arms."""
    arms = [(next(g for g in flow.arms if g.key == code), labels.arm(code)) for code in labels.order]
    margins: list[tuple[Group, str]] = []
    if show_margins:
        for factor in labels.protocol.factors:
            for group, level in zip(flow.margins[factor.code], factor.levels, strict=True):
                arm_list = ", ".join(group.arms)
                margins.append((group, f"{factor.title[:40]}\n{level.code} ({arm_list})"))
    n_cols = max(len(arms), len(margins), 3)  # room for the excluded box beside the flow
    col_width = 2.9
    width = n_cols * col_width
    excluded = [
        "Excluded",
        f"n = {flow.excluded}",
        f"Not meeting criteria  n = {flow.not_eligible}",
        *_failed_criteria(flow, labels),
        f"Declined to participate  n = {flow.declined}",
        f"Other reasons  n = {flow.other}",
        f"Eligible, not randomised  n = {flow.eligible_not_randomised}",
    ]
    arm_height = LINE * 13 + 6 * PAD + 0.44 + 0.4
    assessed_height = LINE * 3 + 2 * PAD
    height = 0.5 + assessed_height + 0.15 + LINE * len(excluded) + 2 * PAD + 0.3 + 0.9 + arm_height + 0.3
    if margins:
        height += arm_height + 0.6
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    centre = width / 2
    _band(ax, height - 0.2, "Enrolment", width)
    assessed = [
        "Assessed for eligibility",
        f"n = {flow.assessed}",
    ]
    if flow.imported:
        assessed.append(f"({flow.imported} randomised before the tracker)")
    top = height - 0.45
    left = centre - 1.6
    bottom = _box(ax, left, top, 2.6, assessed)
    ex_top = bottom - 0.15
    ex_bottom = _box(ax, centre + 1.9, ex_top, EXCLUDED_WIDTH, excluded)
    random_top = ex_bottom - 0.3
    ax.plot([left, left], [bottom, random_top + 0.05], color="#333333", lw=0.9)
    _arrow(ax, (left, random_top + 0.05), (left, random_top))
    branch_y = ex_top - PAD - LINE * 0.5
    _arrow(ax, (left, branch_y), (centre + 1.9 - EXCLUDED_WIDTH / 2, branch_y))
    rand_bottom = _box(ax, left, random_top, 2.6, ["Randomised", f"n = {flow.randomised}"])
    _band(ax, rand_bottom - 0.3, "Allocation, follow-up and analysis by arm", width)
    offset = (width - len(arms) * col_width) / 2
    lowest = _columns(ax, arms, top=rand_bottom - 0.75, col_width=col_width, offset=offset, from_xy=(left, rand_bottom))
    if margins:
        _band(ax, lowest - 0.3, "Factor margins (each level pools the arms in brackets)", width)
        offset = (width - len(margins) * col_width) / 2
        lowest = _columns(ax, margins, top=lowest - 0.6, col_width=col_width, offset=offset, from_xy=None)
    # trim the page to what was drawn
    ax.set_ylim(lowest - 0.15, height)
    fig.set_size_inches(width, height - lowest + 0.15)
    return fig


# --- outcomes -----------------------------------------------------------------------------------


def pda(
    primary: pd.DataFrame,
    labels: Labels,
    *,
    interaction: bool,
    outcome: str = "pda",
    name: str = "Percentage of days abstinent",
    unit: str = "% of assessed days",
    window: str = "primary window",
) -> Figure:
    """The endpoint ``outcome`` per arm (participants, mean and 95% CI), by default PDA; with
    ``interaction``, the 2×2 means plot beside. A percentage gets the axis 0 to 100."""
    fig = Figure(figsize=(9.5 if interaction else 6, 3.8))
    ax = fig.add_subplot(1, 2 if interaction else 1, 1)
    rng = np.random.default_rng(0)
    for i, arm in enumerate(labels.order):
        values = primary.loc[primary["arm"] == arm, outcome].dropna()
        summary = stats.describe(values)
        c = colour(labels, arm)
        ax.scatter(i + rng.uniform(-0.18, 0.18, len(values)), values, s=10, color=c, alpha=0.35, linewidths=0)
        if summary["n"]:
            low, high = summary["ci_low"], summary["ci_high"]
            ax.errorbar(
                i + 0.3,
                summary["mean"],
                yerr=[[summary["mean"] - low], [high - summary["mean"]]] if summary["n"] > 1 else None,
                fmt="o",
                color=c,
                capsize=4,
                ms=6,
            )
    ax.set_xticks(range(len(labels.order)), [_wrap(labels.arm(a)) for a in labels.order])
    ax.set_ylabel(unit)
    if unit.startswith("%"):
        ax.set_ylim(-3, 103)
    ax.set_title(f"{name}, window {window}", fontsize=10)
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    if interaction:
        a, b = labels.protocol.factors
        ax2 = fig.add_subplot(1, 2, 2)
        for j, level_b in enumerate(b.levels):
            means, lows, highs = [], [], []
            for level_a in a.levels:
                values = primary.loc[(primary[a.code] == level_a.code) & (primary[b.code] == level_b.code), outcome]
                s = stats.describe(values)
                means.append(s["mean"])
                lows.append(s["mean"] - s["ci_low"])
                highs.append(s["ci_high"] - s["mean"])
            xs = np.arange(len(a.levels)) + (j - 0.5) * 0.06
            ax2.errorbar(xs, means, yerr=[lows, highs], marker="o", capsize=3, label=level_b.code, color=COLOURS[j])
        ax2.set_xticks(range(len(a.levels)), [lv.code for lv in a.levels])
        ax2.set_xlabel(a.title)
        ax2.set_ylabel(f"mean, {unit} (95% CI)")
        ax2.set_title(f"Interaction: {a.code} × {b.code}", fontsize=10)
        ax2.legend(title=b.title, fontsize=8, title_fontsize=8)
        ax2.grid(axis="y", color="#dddddd", lw=0.6)
    fig.tight_layout()
    return fig


def _wrap(text: str, width: int = 12) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)


LINE_STYLES = ["-", "--", "-.", (0, (1, 1)), (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2)), (0, (3, 1, 1, 1))]
BAND_ALPHA = 0.08  # four overlapping bands still let the curves and the grid show through
MARGIN_SHARE = 0.05  # the time axis runs this share past the last follow-up, at least two days


def line_style(labels: Labels, arm: str):
    """One dash pattern per arm, so that the curves can be told apart in greyscale."""
    return LINE_STYLES[labels.order.index(arm) % len(LINE_STYLES)]


def time_axis(times: pd.Series, window_days: int) -> tuple[float, list[int]]:
    """The time axis's upper limit and ticks for follow-up ``times`` (events and censorings).

    The axis ends a little (5%, at least two days) past the longest follow-up, the last point
    of any curve whether an event or a censoring, rounded up to the next tick; it ends at the
    window's last day when that margin would reach it. Ticks every 7 days up to 8 weeks, every
    14 up to 20 weeks, else every 30.
    """
    last = float(times.max()) if len(times) else float(window_days)
    end = last + max(2.0, MARGIN_SHARE * last)
    step = 7 if end <= 56 else 14 if end <= 140 else 30
    end = step * int(np.ceil(end / step))
    if end >= window_days:
        return float(window_days), list(range(0, window_days + 1, step))
    return float(end), list(range(0, end + 1, step))


def kaplan_meier(frame: pd.DataFrame, labels: Labels, *, window_days: int) -> Figure:
    """Kaplan–Meier curves of time to relapse per arm, with the numbers at risk below.

    Each arm has its colour and its dash pattern; its 95% band is a light fill under every curve,
    censorings are ticks on the curve, and the legend stands outside the plot, to its right, so
    that it hides no part of a curve. The time axis is :func:`time_axis`.
    """
    from lifelines import KaplanMeierFitter

    arms = [a for a in labels.order if (frame["arm"] == a).any()]
    fig = Figure(figsize=(7.5, 4.6 + 0.2 * len(arms)))
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.6 + 0.25 * len(arms)], hspace=0.35)
    ax = fig.add_subplot(grid[0])
    table = fig.add_subplot(grid[1], sharex=ax)
    end, ticks = time_axis(frame["time"], window_days)
    for arm in arms:
        part = frame[frame["arm"] == arm]
        km = KaplanMeierFitter().fit(part["time"], part["event"])
        sf = km.survival_function_.iloc[:, 0]
        ci = km.confidence_interval_survival_function_
        c, dashes = colour(labels, arm), line_style(labels, arm)
        ax.fill_between(ci.index, ci.iloc[:, 0], ci.iloc[:, 1], step="post", color=c, alpha=BAND_ALPHA, lw=0, zorder=1)
        label = f"{labels.arm(arm)} (n = {len(part)})"
        ax.step(sf.index, sf.values, where="post", color=c, ls=dashes, lw=1.8, label=label, zorder=3)
        censored = part.loc[part["event"] == 0, "time"]
        ax.plot(censored, [km.predict(t) for t in censored], "|", color=c, ms=7, mew=1.2, zorder=4)
    ax.set_ylim(0, 1.03)
    ax.set_xlim(0, end)
    ax.set_ylabel("without relapse")
    ax.set_title("Time to relapse (Kaplan–Meier), primary window", fontsize=10)
    ax.grid(color="#eeeeee", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xticks(ticks)
    handles, names = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="#333333", marker="|", ls="none", ms=7, mew=1.2),
        Patch(facecolor="#333333", alpha=2 * BAND_ALPHA, lw=0),
    ]
    names += ["censored", "95% confidence band"]
    ax.legend(handles, names, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, handlelength=3)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("days from the start of the window")
    _at_risk(table, frame, labels, arms, ticks)
    return fig


def _at_risk(table, frame: pd.DataFrame, labels: Labels, arms: list[str], ticks: list[int]) -> None:
    """The numbers at risk at each tick, one row per arm, under the curves."""
    table.axis("off")
    table.set_ylim(-0.5, len(arms) + 0.5)
    table.text(
        -0.04,
        len(arms),
        "Numbers at risk",
        transform=table.get_yaxis_transform(),
        ha="right",
        fontsize=8,
        fontweight="bold",
    )
    for row, arm in enumerate(arms):
        y = len(arms) - 1 - row
        times = frame.loc[frame["arm"] == arm, "time"]
        table.text(
            -0.04,
            y,
            labels.arm_short(arm) if not labels.blinded else labels.arm(arm),
            transform=table.get_yaxis_transform(),
            ha="right",
            va="center",
            fontsize=8,
            color=colour(labels, arm),
        )
        for t in ticks:
            table.text(t, y, str(int((times >= max(t, 1)).sum())), ha="center", va="center", fontsize=8)
