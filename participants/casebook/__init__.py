"""The coordinator's pages on one participant: the list of participants and the casebook."""
