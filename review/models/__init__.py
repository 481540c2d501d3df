"""The review's tables, one module per concept, re-exported here (one app label, ``review``)."""

from review.models.queries import Query, QueryAction, QueryMessage, QueryState

__all__ = ["Query", "QueryAction", "QueryMessage", "QueryState"]
