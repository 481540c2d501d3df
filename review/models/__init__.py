"""The review's tables, one module per concept, all under the app label ``review``: data queries
(:mod:`~review.models.queries`), source data verification marks (:mod:`~review.models.verification`)
and investigators' signatures (:mod:`~review.models.signatures`). Foreign keys to the participants'
tables are by name, since review sits below participants."""

from review.models.queries import Query, QueryAction, QueryMessage, QueryState
from review.models.signatures import MEANING_TEXT, Signature, SignatureMeaning, SignatureScope
from review.models.verification import VerificationMark

__all__ = [
    "MEANING_TEXT",
    "Query",
    "QueryAction",
    "QueryMessage",
    "QueryState",
    "Signature",
    "SignatureMeaning",
    "SignatureScope",
    "VerificationMark",
]
