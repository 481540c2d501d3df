"""Participants and what happens to them (screening, consent, randomisation, visits)."""
