"""Data queries as ODM ``Annotation`` elements of the records they sit on.

Each query on a record the file carries is one ``Annotation`` of the record's last
``ItemGroupData`` (its current state), numbered ``SeqNum`` 1, 2, … in the order raised. It holds a
``Comment`` (``SponsorOrSite="Sponsor"`` for a query raised by a monitor, a data manager or an
edit check) saying which item it is on and giving its thread, a message a line: when (UTC), the
author's role at the query's site (as the memberships stand when the file is written; the one
in which they could take that step) and OID (or the edit check, or the system), what they did
and what they wrote; and a ``Flag`` whose ``FlagValue`` is the query's state (:data:`QUERY_STATES`,
code list ``CL.QUERY_STATE``) and whose ``FlagType`` is ``query`` (code list ``CL.ANNOTATION_TYPE``,
which also has ``missing`` for the reasons items are empty, :mod:`~outcomes.exports.odm.reasons`).
:data:`CODE_LISTS` are the code lists of both kinds of annotation.

The queries are read with their threads in two queries per batch of participants (the batch is
the export's scope already), and blinded as the records are: a query on an item the file leaves
out for blinding (an infusion's dose, or the clinician's interval reason, without the dosing
factor; the allocation's arm and slot in a file that does not carry every factor) is left out
whole, as the query pages leave it out for one who may not see the item. A query on a record the
file does not carry (a screening, a drinking day cleared back to missing) has no element to sit on.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from lxml import etree

from core.models import SiteMembership
from core.roles import ANSWER_QUERIES, ENTER_DATA, RAISE_QUERIES
from outcomes.exports.odm.items import FORMS, INFUSION, RANDOMISATION, Group
from outcomes.exports.odm.reasons import ANNOTATION_TYPE_LIST, MISSING_TYPE, NULL_FLAVOUR_CODES, NULL_FLAVOUR_LIST
from outcomes.exports.odm.records import RecordWriter, group_items
from participants.blinding import presenter
from review.models import Query, QueryAction, QueryMessage, QueryState
from review.queries.selectors import queries_of_participants
from review.records import kind_of, kinds

QUERY_STATE_LIST = "CL.QUERY_STATE"
REOPENED = "reopened"
QUERY_STATES = (
    (QueryState.OPEN.value, "Open: awaiting the site's answer"),
    (QueryState.ANSWERED.value, "Answered by the site: awaiting review by whoever raised it"),
    (QueryState.CLOSED.value, "Closed by whoever raised it"),
    (REOPENED, "Re-opened by whoever raised it: awaiting the site's answer again"),
)
ANNOTATION_TYPES = (("query", "Data query"), (MISSING_TYPE, "Reason an item is empty"))
# The code lists the annotations use, as (OID, name, (code, decode) pairs), for the metadata version.
CODE_LISTS = (
    (QUERY_STATE_LIST, "Data query state", QUERY_STATES),
    (ANNOTATION_TYPE_LIST, "Annotation type", ANNOTATION_TYPES),
    (NULL_FLAVOUR_LIST, "Null flavour (ISO 21090): why an item is empty", NULL_FLAVOUR_CODES),
)
# The roles in which someone takes each step, to name the one an author held for it.
_ACTING = {
    QueryAction.RAISED: RAISE_QUERIES,
    QueryAction.CLOSED: RAISE_QUERIES,
    QueryAction.REOPENED: RAISE_QUERIES,
    QueryAction.ANSWERED: ANSWER_QUERIES,
    QueryAction.CORRECTED: ENTER_DATA,
    QueryAction.COMMENT: RAISE_QUERIES | ANSWER_QUERIES,
}


def hidden_items(scope) -> dict[str, frozenset[str]]:
    """The items, by kind of record, whose queries a file of ``scope`` leaves out: those the
    blinding presenter hides from one who does not see the dosing factor (the dose, and the
    clinician's interval reason, as :func:`~participants.blinding.presenter.infusion_hidden_fields`)
    or every factor (the allocation's arm and slot)."""
    dose_hidden = not presenter.dose_shown(protocol=scope.trial.version_on().protocol, factors=scope.factors)
    out: dict[str, frozenset[str]] = {}
    for code, group in _groups_by_kind().items():
        if group is INFUSION and dose_hidden:
            out[code] = frozenset({*presenter.DOSE_FIELDS, "interval_override_reason"})
        elif group is RANDOMISATION and not scope.unblinded:
            out[code] = frozenset(presenter.ALLOCATION_ARM_FIELDS)
    return out


def _groups_by_kind() -> dict[str, Group]:
    """The item group that carries each kind of record, for the kinds the file carries."""
    groups = {g.model: g for _name, form_groups in FORMS.values() for g in form_groups}
    return {kind.code: groups[kind.model] for kind in kinds() if kind.model in groups}


class QueryAnnotations:
    """The annotations of one export: :meth:`batch` builds those of a batch of participants, by
    ``(item group code, record id)``, for :attr:`RecordWriter.annotations`."""

    def __init__(self, w: RecordWriter, scope):
        self.w = w
        self.groups = _groups_by_kind()
        self.hidden = hidden_items(scope)
        self.roles: dict[tuple[int, int], set[str]] = defaultdict(set)
        for user_id, site_id, role in SiteMembership.objects.filter(site__trial=scope.trial).values_list(
            "user_id", "site_id", "role_id"
        ):
            self.roles[(user_id, site_id)].add(role)

    def batch(self, participant_ids: list[int]) -> dict[tuple[str, int], list[etree._Element]]:
        by_record: dict[tuple[str, int], list[Query]] = {}
        for query in queries_of_participants(participant_ids=participant_ids, hidden_items=self.hidden):
            group = self.groups.get(query.kind)
            if group is not None:
                by_record.setdefault((group.code, query.record_id), []).append(query)
        return {
            key: [self.annotation(n, query) for n, query in enumerate(queries, start=1)]
            for key, queries in by_record.items()
        }

    def annotation(self, seq: int, query: Query) -> etree._Element:
        el = etree.Element("Annotation", SeqNum=str(seq), TransactionType="Upsert")
        # Only a monitor, a data manager (review.queries.services.query_raise) or an edit check raises one.
        comment = etree.SubElement(el, "Comment", SponsorOrSite="Sponsor")
        thread = list(query.messages.all())
        comment.text = "\n".join([f"On {self._where(query)}.", *(self._line(query, m) for m in thread)])
        flag = etree.SubElement(el, "Flag")
        etree.SubElement(flag, "FlagValue", CodeListOID=QUERY_STATE_LIST).text = _state(query, thread)
        etree.SubElement(flag, "FlagType", CodeListOID=ANNOTATION_TYPE_LIST).text = "query"
        return el

    def _where(self, query: Query) -> str:
        """The item as the file names it (its ``ItemOID``s), or the whole record."""
        if not query.item:
            return "the whole record"
        group = self.groups[query.kind]
        label = next((i.label for i in kind_of(query.kind).items if i.name == query.item), "")
        oids = [
            f"IT.{i.code}" for i in group_items(group, self.w.hidden) if i.field in (query.item, f"{query.item}_id")
        ]
        named = ", ".join(oids) if oids else f"the item '{query.item}', which the file does not carry"
        return f"{named} ({label})" if label else named

    def _line(self, query: Query, message: QueryMessage) -> str:
        at = message.at.astimezone(dt.UTC).replace(microsecond=0).isoformat()
        if message.author_id is None:
            who = f"edit check {query.check_code}" if message.action == QueryAction.RAISED else "the system"
        else:
            role = self._role(message.author_id, query, _ACTING.get(message.action, frozenset()))
            role = role or self._role(message.author_id, query, None) or "staff"
            who = f"{role} ({self.w.user_oid(message.author_id)})"
        return f"{at} {who}, {QueryAction(message.action).label.lower()}: {message.text}"

    def _role(self, user_id: int, query: Query, wanted) -> str | None:
        """A role the user holds at the query's site, among ``wanted`` (None: any), in words."""
        held = self.roles.get((user_id, query.site_id), set())
        if wanted is not None:
            held = held & {str(r) for r in wanted}
        return min(held).replace("_", " ") if held else None


def _state(query: Query, thread: list[QueryMessage]) -> str:
    """The state's code: an open query that was re-opened is ``reopened``."""
    if query.state == QueryState.OPEN and any(m.action == QueryAction.REOPENED for m in thread):
        return REOPENED
    return query.state
