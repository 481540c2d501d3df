"""The trial's analysis: CONSORT flow, baseline table, the factorial model, time to relapse, and the
report that shows them (see docs/analysis.md).

``write_report(trial=..., out_dir=..., blinded=False)`` writes the HTML report and its pictures;
``factorial_estimates(trial)`` returns the key estimates as plain data.
"""

from outcomes.analysis.report import NothingToAnalyse, factorial_estimates, write_report

__all__ = ["NothingToAnalyse", "factorial_estimates", "write_report"]
