"""Pages of data queries: the user's queries (``/queries/``), one query with its record and thread
(``/queries/<id>/``) and raising one on a record (``/queries/new/?kind=&record=``).

Like the API, they read through :mod:`review.queries.selectors` (scoped, blinded) and write through
:mod:`review.queries.services`; a refusal appears next to the field (400) or as the page's answer
(403, 404, 409).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render

from core import permissions
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.web import form_response, refused, staff_page
from review.queries import selectors, services
from review.queries.forms import FilterForm, MessageForm, RaiseForm
from review.records import kinds, record_get

# action: (the label of its message, whether a message is needed, the button, what was done)
ACTIONS = {
    "answer": ("Your answer", True, "Answer the query", "answered"),
    "comment": ("A comment", True, "Add the comment", "commented on"),
    "close": ("A note on closing (optional)", False, "Close the query", "closed"),
    "reopen": ("Why it is re-opened", True, "Re-open the query", "re-opened"),
}
SHOWN = 200


@staff_page
def query_list(request):
    """The queries at the user's sites, open and answered by default, oldest first."""
    held = permissions.memberships(request.user)
    form = FilterForm(
        request.GET or {"state": "unfinished"},
        trials=sorted({m.site.trial.code for m in held}),
        sites=sorted({(m.site.code, m.site.name) for m in held}),
        kinds=[(k.code, k.label) for k in kinds()],
    )
    found: list = []
    if form.is_valid():
        given = form.cleaned_data
        found = selectors.queries_list(
            user=request.user,
            state=given["state"],
            trial_code=given["trial"],
            site_code=given["site"],
            kind=given["kind"],
            min_age_days=given["min_age"],
        )
    context = {"section": "dashboard", "form": form, "queries": found[:SHOWN], "total": len(found), "shown": SHOWN}
    return form_response(request, "review/queries/list.html", context, form=form)


def _forms(request, query, allowed: set[str], posted: str | None):
    return {
        action: MessageForm(request.POST if action == posted else None, prefix=action, label=label, required=required)
        for action, (label, required, _, _) in ACTIONS.items()
        if action in allowed
    }


@staff_page
def query_page(request, pk: int):
    """One query: the record as the user may see it, the item's value, a link to the page the record
    is corrected on (where it has one), the thread and the actions the user may take."""
    query = selectors.query_get(user=request.user, pk=pk)
    record = selectors.query_record(user=request.user, query=query)
    allowed = services.query_actions(user=request.user, query=query)
    posted = request.POST.get("action") if request.method == "POST" else None
    if posted is not None and posted not in ACTIONS:
        raise NotFound("no such action")
    forms_by_action = _forms(request, query, allowed | ({posted} if posted else set()), posted)
    status = 200
    if posted:
        form = forms_by_action[posted]
        status = 400
        if form.is_valid():
            try:
                _act(posted, actor=request.user, query=query, text=form.cleaned_data["text"])
            except (Invalid, Conflict) as error:
                refused(form, error)
                status = error.status
            except Forbidden as error:
                refused(form, error)
                status = 403
            else:
                messages.success(request, f"Query {query.pk} {ACTIONS[posted][3]}.")
                return redirect("web:query", pk=query.pk)
    context = {
        "section": "dashboard",
        "query": query,
        "record": record,
        "items": [
            {"label": i.label, "value": record.shown_value(i.name, request.user), "queried": i.name == query.item}
            for i in record.kind.items
            if i.name not in record.hidden(request.user)
        ]
        if record is not None
        else [],
        "record_page": record.page() if record is not None else None,
        "may_answer": "answer" in allowed,
        "thread": list(query.messages.all()),
        "actions": [(a, forms_by_action[a], ACTIONS[a][2]) for a in ACTIONS if a in forms_by_action],
    }
    return render(request, "review/queries/query.html", context, status=status)


def _act(action: str, *, actor, query, text: str) -> None:
    {
        "answer": services.query_answer,
        "comment": services.query_comment,
        "close": services.query_close,
        "reopen": services.query_reopen,
    }[action](actor=actor, query=query, text=text)


@staff_page
def query_new(request):
    """Raise a query on the record ``?kind=&record=``, picking the item (a monitor or a data manager)."""
    try:
        record_id = int(request.GET.get("record", ""))
    except ValueError:
        raise NotFound("no such record") from None
    record = record_get(user=request.user, kind=request.GET.get("kind", ""), pk=record_id)
    if not permissions.has_role(request.user, services.RAISE_QUERIES, site=record.site_id):
        raise Forbidden("your roles here do not allow you to raise data queries at this site")
    form = RaiseForm(request.POST if request.method == "POST" else None, record=record, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            query = services.query_raise(
                actor=request.user, kind=record.kind.code, record_id=record.pk, **form.cleaned_data
            )
        except Invalid as error:
            refused(form, error)
        else:
            messages.success(request, f"Query {query.pk} raised: the site is asked to answer it.")
            return redirect("web:query", pk=query.pk)
    context = {"section": "participants", "record": record, "participant": record.participant, "form": form}
    return form_response(request, "review/queries/new.html", context, form=form)
