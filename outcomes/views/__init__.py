"""The outcomes app's pages: the timeline follow-back calendar, biomarkers and questionnaires, and the
trial's page (recruitment, endpoints, exports, the report, locks)."""
