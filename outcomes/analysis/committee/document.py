"""A committee report as files: ``dmc-open.html`` or ``dmc-closed.html`` with its pictures beside it
(PNG and SVG), and optionally the same page as PDF.

The PDF is the HTML laid out by WeasyPrint, the PNG pictures embedded; every page carries the
report's name, the data cut-off and its number in CSS ``@page`` margin boxes, and wide listings go
on landscape pages. WeasyPrint needs Pango from the system (see docs/committee-reports.md); it is
imported only when a PDF is asked for, so the HTML is written where Pango is missing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from django.utils import timezone

from outcomes.analysis import figures as analysis_figures
from outcomes.analysis.committee import safety, sections
from outcomes.analysis.committee.data import CommitteeData, cutoff_check, load
from outcomes.analysis.committee.figures import cumulative_recruitment
from outcomes.analysis.committee.groups import Wording, columns
from outcomes.analysis.html import STYLESHEET, figure_html


class PdfUnavailable(Exception):
    """WeasyPrint cannot run here: its system libraries are missing."""


@dataclass
class Written:
    """What :func:`write_committee_report` wrote: the page, the PDF if asked, every file's name."""

    html: Path
    cutoff: dt.date
    randomised: int
    pdf: Path | None = None
    files: list[str] = field(default_factory=list)


def title(trial_code: str, *, closed: bool) -> str:
    return f"{trial_code}: {'closed' if closed else 'open'} report for the data monitoring committee"


def _print_css(name: str, cutoff: dt.date) -> str:
    """Page rules for the PDF (browsers ignore them): the report's name, the cut-off and the page
    number on every page, and landscape pages for wide listings."""
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f"""
@page {{
  size: A4; margin: 22mm 14mm 18mm 14mm; font-family: "DejaVu Sans", sans-serif;
  @top-left {{ content: "{quoted}"; font-size: 8pt; color: #555; }}
  @top-right {{ content: "Data cut-off {cutoff.isoformat()}"; font-size: 9pt; font-weight: bold; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; }}
}}
@page wide {{ size: A4 landscape; }}
section.wide {{ page: wide; }}
th[scope=row] {{ white-space: pre-wrap; }}
td, th {{ overflow-wrap: break-word; }}
.listing td, .listing th {{ text-align: left; white-space: normal; }}
td {{ white-space: nowrap; }}
.closed {{ color: #a00; font-weight: bold; }}
.cutoff {{ font-weight: bold; }}
@media print {{
  body {{ max-width: none; margin: 0; padding: 0; font-size: 9pt; }}
  h1 {{ font-size: 14pt; }} h2 {{ font-size: 11pt; break-after: avoid; }}
  table {{ font-size: 7.5pt; max-width: 100%; }} caption {{ break-after: avoid; }}
  tr {{ break-inside: avoid; }}
  figure {{ break-inside: avoid; }} figure img {{ width: 150mm; }}
  a {{ color: inherit; text-decoration: none; }}
}}
"""


def _header(trial, data: CommitteeData, *, closed: bool, wording: Wording) -> str:
    version = trial.version_on(data.cutoff)
    written = timezone.localdate().isoformat()
    html = (
        f"<h1>{escape(title(trial.code, closed=closed))}</h1>"
        f"<p class='cutoff'>Data cut-off {data.cutoff.isoformat()}</p>"
        f"<p class='meta'>Participants randomised, and screenings, adverse events (by onset), deviations, "
        f"withdrawals, visits and drinking records dated on or before the cut-off. Written on {written} from "
        f"protocol version {version.number} ({escape(wording.text(version.label))}).</p>"
    )
    if closed:
        return html + (
            "<p class='closed'>Closed report, by arm: for the data monitoring committee and the unblinded "
            "statistician only. Do not copy or pass on.</p>"
        )
    return html + "<p class='meta'>Open report: every figure is pooled over the arms.</p>"


def _page(trial, data: CommitteeData, *, closed: bool, figure: str) -> str:
    groups = columns(data.protocol, closed=closed)
    wording = Wording(data.protocol, trial_code=trial.code, closed=closed)
    body = [
        _header(trial, data, closed=closed, wording=wording),
        sections.recruitment(data, groups, figure),
        sections.screening(data),
        sections.baseline(data, groups),
        sections.completeness(data, groups),
        sections.adherence(data, groups),
        sections.withdrawals(data, groups, wording),
        sections.deviations(data, groups),
        safety.section(data, groups, wording),
    ]
    if closed:
        body.append(safety.sae_listing(data))
    name = title(trial.code, closed=closed)
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(name)}</title><style>{STYLESHEET}{_print_css(name, data.cutoff)}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_pdf(html_path: Path, pdf_path: Path) -> None:
    """Lay the page out as PDF with WeasyPrint, its pictures read from beside it."""
    try:
        from weasyprint import HTML
    except OSError as exc:  # the library loads Pango when imported
        raise PdfUnavailable(
            f"WeasyPrint cannot load its system libraries ({exc}): install Pango "
            "(libpango-1.0-0 libpangoft2-1.0-0) and a font"
        ) from None
    HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(pdf_path))


def write_committee_report(
    *, trial, out_dir, closed: bool, cutoff: dt.date | None = None, pdf: bool = False, progress=None
) -> Written:
    """Write the open (pooled) or closed (by arm) committee report of ``trial`` at ``cutoff``
    (today when None) into ``out_dir``, created if needed; with ``pdf``, the PDF beside it.

    The closed report's folder and files are readable by their owner only (0700, 0600). Checks the
    cut-off first (:func:`~outcomes.analysis.committee.data.cutoff_check`: raises
    :class:`~core.errors.Invalid` or :class:`NothingRandomised` before writing anything); raises
    :class:`PdfUnavailable` when a PDF is asked for and WeasyPrint cannot run. Who may read which
    report is the caller's decision (:func:`outcomes.exports.policy.report_scope`). ``progress``,
    if given, is called with a line before each slow step.
    """
    say = progress or (lambda line: None)
    cutoff = cutoff_check(trial, cutoff)
    say(f"reading {trial.code} as known on {cutoff.isoformat()}")
    data = load(trial, cutoff)
    stem = "dmc-closed" if closed else "dmc-open"
    picture = f"{stem}-recruitment"
    # Everything is computed before the first file is written: a failure leaves nothing half-made.
    page = _page(trial, data, closed=closed, figure=figure_html(picture, "Cumulative recruitment against the target"))
    say("drawing the recruitment picture")
    target = data.protocol.trial.target_sample_size
    fig = cumulative_recruitment(data.participants, data.sites, target=target, cutoff=cutoff)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if closed:
        out_dir.chmod(0o700)
    written = Written(html=out_dir / f"{stem}.html", cutoff=cutoff, randomised=len(data.participants))
    try:
        written.files += analysis_figures.save(fig, out_dir, picture)
        written.files.append(written.html.name)
        written.html.write_text(page, encoding="utf-8")
        if pdf:
            say("laying out the PDF")
            written.pdf = out_dir / f"{stem}.pdf"
            written.files.append(written.pdf.name)
            write_pdf(written.html, written.pdf)
    finally:
        if closed:
            for name in written.files:
                if (out_dir / name).exists():
                    (out_dir / name).chmod(0o600)
    return written
