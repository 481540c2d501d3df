"""The HTML pieces every report writes: numbers, p values, tables, figures and the stylesheet.

Every text is escaped here; callers pass plain strings. A figure is its PNG linked to its SVG,
both written beside the page (:func:`outcomes.analysis.figures.save`).
"""

from __future__ import annotations

import math
from html import escape

import pandas as pd

from outcomes.analysis import stats


def num(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def p_value(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def table(header: list[str], rows: list[list[str]], *, caption: str = "", first_is_label: bool = True) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = [
            f"<th scope='row'>{escape(c)}</th>" if i == 0 and first_is_label else f"<td>{escape(c)}</td>"
            for i, c in enumerate(row)
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure_html(name: str, alt: str) -> str:
    return (
        f"<figure><a href='{name}.svg'><img src='{name}.png' alt='{escape(alt)}'></a>"
        f"<figcaption>{escape(alt)} (<a href='{name}.svg'>SVG</a>, <a href='{name}.png'>PNG</a>)</figcaption></figure>"
    )


def mean_sd(values: pd.Series) -> str:
    s = stats.describe(values)
    if not s["n"]:
        return "–"
    return f"{num(s['mean'])} ({num(s['sd'])}) [n = {s['n']}]"


def n_pct(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.0f}%)" if n else "0"


STYLESHEET = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; font-weight: normal; white-space: pre; }
caption { text-align: left; font-style: italic; padding-bottom: 0.25rem; }
figure { margin: 1rem 0; } img { max-width: 100%; border: 1px solid #eee; }
.meta { color: #555; }
.warning, .refusal { border-left: 4px solid #b35900; background: #fff4e5; padding: 0.5rem 0.75rem; }
.refusal { border-left-color: #a00000; background: #fdecea; }
"""
