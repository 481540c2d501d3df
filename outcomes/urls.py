"""The outcomes app's pages, gathered for the project's URLs."""

from outcomes.views import committee, drinking, measures, trial

page_patterns = [
    *drinking.page_patterns,
    *measures.page_patterns,
    *trial.page_patterns,
    *committee.page_patterns,
]
