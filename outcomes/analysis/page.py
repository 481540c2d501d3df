"""The analysis report for a browser: the report :func:`~outcomes.analysis.report.write_report`
writes, as one fragment to put inside a page.

The report is written into a temporary directory and read back: its body (its title apart, for the
page's own heading), each picture inline as its SVG (whose text is kept as text), and
nothing left on disk. Who gets which version (blinded or not) is the caller's to ask of the export
policy, as the ``analysis_report`` command does.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import quote

from outcomes.analysis.report import write_report

# A picture as html.figure_html writes it: the PNG linked to the SVG, the caption naming both files.
_FIGURE = re.compile(
    r"<figure><a href='(?P<name>[\w-]+)\.svg'><img src='(?P=name)\.png' alt='(?P<alt>[^']*)'></a>"
    r"<figcaption>(?P<caption>[^<]*) \(<a href='(?P=name)\.svg'>SVG</a>, <a href='(?P=name)\.png'>PNG</a>\)"
    r"</figcaption></figure>"
)
_BODY = re.compile(r"<body>(?P<body>.*)</body>", re.DOTALL)


@dataclass(frozen=True)
class ReportPage:
    """The report's title, its body as HTML (escaped by the report), and whether it is blinded."""

    title: str
    body: str
    blinded: bool
    figures: int


def _inline(match: re.Match, folder: Path) -> str:
    svg = (folder / f"{match['name']}.svg").read_text(encoding="utf-8")
    svg = svg[svg.index("<svg") :]  # without the XML declaration and doctype
    source = "data:image/svg+xml;charset=utf-8," + quote(svg, safe=" =:;,/'()-._")
    return (
        f"<figure class='report-figure'><img src=\"{source}\" alt='{match['alt']}'>"
        f"<figcaption>{match['caption']}</figcaption></figure>"
    )


def fragment(path: Path, *, blinded: bool) -> ReportPage:
    """A written report page (its pictures beside it) as a fragment: its title, and its body without
    the title with every picture inline as its SVG."""
    html = path.read_text(encoding="utf-8")
    body = _BODY.search(html)["body"]
    title = re.search(r"<h1>(.*?)</h1>", body)[1]
    body = body.replace(f"<h1>{title}</h1>", "", 1)
    body, figures = _FIGURE.subn(lambda m: _inline(m, path.parent), body)
    return ReportPage(title=unescape(title), body=body.strip(), blinded=blinded, figures=figures)


def report_page(*, trial, blinded: bool) -> ReportPage:
    """The report of ``trial`` (``blinded``: arms as coded groups, no factor, level or trial title),
    ready to put under a page's ``h1`` (the title apart). Raises
    :class:`~outcomes.analysis.NothingToAnalyse` when nobody is randomised."""
    with tempfile.TemporaryDirectory(prefix="report-") as folder:
        return fragment(write_report(trial=trial, out_dir=folder, blinded=blinded), blinded=blinded)
