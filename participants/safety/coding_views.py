"""The coding pages: the worklist of adverse events awaiting coding at a data manager's sites, and
one event coded to a term found by searching the dictionary (htmx fills the results as the name
is typed; without script the search is a plain GET). Reads go through the safety selectors, the
write through the coding service, as in the API; whoever codes nowhere gets a 403, another site's
event a 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import Conflict, Invalid, NotFound
from core.web import form_response, refused, staff_page
from participants.models import Seriousness
from participants.safety import coding, forms, selectors


@staff_page
def coding_worklist(request):
    """``/safety/coding/``: the events awaiting coding (``?coded=true``: those coded, to recode)."""
    coded = request.GET.get("coded") == "true"
    events = list(selectors.coding_worklist(user=request.user, coded=coded)[:200])
    context = {"section": "coding", "events": events, "coded": coded}
    return form_response(request, "participants/safety/coding_worklist.html", context)


def _chosen(posted) -> list:
    """The term a POST chose, so it stays on offer when the search that found it is not repeated."""
    value = (posted or {}).get("term", "")
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        return []
    try:
        return [selectors.dictionary_term_get(pk=int(value))]
    except NotFound:
        return []


@staff_page
def coding_event(request, pk: int):
    """``/safety/coding/<id>/``: code one event. Only a data manager of its site gets the page."""
    ae = selectors.adverse_event_to_code(user=request.user, pk=pk)
    posted = request.POST if request.method == "POST" else None
    search = forms.TermSearchForm(request.GET if "q" in request.GET else (posted or None))
    query = search.cleaned_data["q"] if search.is_valid() else ""
    found = selectors.dictionary_terms_search(query=query)
    terms = found + [t for t in _chosen(posted) if t.pk not in {f.pk for f in found}]
    form = forms.CodingForm(posted, terms=terms)
    if posted is not None and form.is_valid():
        try:
            term = selectors.dictionary_term_get(pk=form.cleaned_data["term"])
            coded = coding.adverse_event_code(
                actor=request.user, adverse_event=ae, term=term, reason=form.cleaned_data["reason"]
            )
        except NotFound:
            form.add_error("term", "No such dictionary term.")
        except (Invalid, Conflict) as error:
            refused(form, error)
        else:
            messages.success(request, f"“{coded.term}” is coded to {coded.llt_name} (preferred term {coded.pt_name}).")
            return redirect("web:coding")
    context = {
        "section": "coding",
        "ae": ae,
        "criteria": [Seriousness(code).label for code in ae.seriousness],
        "search": search,
        "query": query,
        "found": found,
        "form": form,
    }
    return form_response(request, "participants/safety/coding_event.html", context, form=form)
