"""Reports for the data monitoring committee, at a data cut-off (see docs/committee-reports.md).

* the open report, pooled over the arms, for anyone who may read the trial's reports;
* the closed report, by arm, for the committee and the unblinded statistician only.

``write_committee_report(trial=..., out_dir=..., closed=..., cutoff=..., pdf=...)`` writes either as
HTML with its pictures (PNG and SVG) and, if asked, as PDF. Who may have which is decided by the
caller through :func:`outcomes.exports.policy.report_scope`, as for the analysis report.
"""

from outcomes.analysis.committee.data import NothingRandomised, cutoff_check
from outcomes.analysis.committee.document import PdfUnavailable, Written, write_committee_report

__all__ = ["NothingRandomised", "PdfUnavailable", "Written", "cutoff_check", "write_committee_report"]
