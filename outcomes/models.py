"""What is measured and what it means (drinking records, biomarkers, questionnaires, endpoints)."""
