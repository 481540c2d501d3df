"""What every staff page shares: who may open one, how forms look and speak, and how a service's
refusal reaches the person at the form.

Pages are a second face on the selectors, services and blinding presenter the API uses: a page view
reads through a selector, writes through a service and shows allocation only as the presenter gives
it. This module holds none of that, only the page plumbing:

- :func:`staff_page` signs the person in (with their second factor, when they need one; a partial
  update whose session ended turns the whole page to the sign-in) and turns a service's
  :class:`~core.errors.NotFound` / :class:`~core.errors.Forbidden` into 404 / 403;
- :class:`FormRenderer` renders every form field with its label, hint and error tied to the input
  (``aria-describedby``), so an error is read out with its field;
- :func:`refused` puts a service's refusal next to the fields it names, and in the summary;
- :func:`form_response` answers an invalid form 400 (htmx is told to swap 400s in, see ``app.js``);
- :func:`url_filler` reverses a URL once for a page that links every row of a long table to it, and
  :class:`ManyTextInput` writes a text input without its templates, for a page of many inputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms.renderers import TemplatesSetting
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django_htmx.http import HttpResponseClientRedirect

from core import permissions, second_factor
from core.errors import DomainError, Forbidden, Invalid, NotFound

# A value that goes into a URL exactly as it is: reverse() would quote nothing in it.
PLAIN_URL_VALUE = re.compile(r"[A-Za-z0-9_-]+")
URL_MARK = "4729150383"  # a value every converter of the project accepts (ids and study ids)

REASON_HELP = "Why the saved value changes: it is kept in the audit trail with your name."


class FormRenderer(TemplatesSetting):
    """Forms render through the project's templates (``core/forms/``). Django gives each input an
    ``aria-describedby`` naming its hint (``<id>_helptext``) and its error (``<id>_error``): the
    field template uses those ids."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ManyTextInput(forms.TextInput):
    """A text input written in Python, as Django's widget templates write it, for a page of many
    inputs (the drinking calendar has one per day): each would otherwise render three templates."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        # escaped as the templates do: what is marked safe stays as it is
        parts = [f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"']
        if widget["value"] is not None:
            parts.append(f' value="{conditional_escape(str(widget["value"]))}"')
        for key, attr in widget["attrs"].items():
            if attr is not False:
                parts.append(
                    f" {conditional_escape(key)}" + ("" if attr is True else f'="{conditional_escape(str(attr))}"')
                )
        return mark_safe("".join(parts) + ">")  # every part above is escaped


class ReasonField(forms.CharField):
    """The reason a saved value changes: required, kept in the audit trail."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Reason for the change")
        kwargs.setdefault("help_text", REASON_HELP)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 2}))
        super().__init__(**kwargs)


def staff_page(view):
    """Decorate a page for trial staff: signed in, second factor verified when they need one, never
    cached; a service's NotFound answers 404 and Forbidden 403 (the same refusals the API gives). An
    Invalid that reaches it (a form catches its own) answers 400 on a page of its own: for a study id
    used in several of the person's trials, with a link per trial (``?trial=``)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated or (second_factor.required_for(user) and not user.is_verified()):
            return _to_sign_in(request)
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from error
        except Forbidden as error:
            raise PermissionDenied(error.message) from error
        except Invalid as error:
            return _invalid(request, error)

    return never_cache(wrapped)


def _to_sign_in(request):
    """The sign-in page, coming back here afterwards. A partial update (htmx) whose session has ended
    turns the whole page to the sign-in, back to the page it came from, instead of drawing the
    sign-in inside the section it meant to update."""
    if not request.htmx:
        return redirect_to_login(request.get_full_path())
    came_from = urlsplit(request.htmx.current_url or "")
    back = came_from.path + (f"?{came_from.query}" if came_from.query else "") if came_from.path else "/"
    return HttpResponseClientRedirect(redirect_to_login(back)["Location"])


def _invalid(request, error: Invalid):
    if "trial" in error.fields:
        trials = sorted({m.site.trial.code for m in permissions.memberships(request.user)})
        return render(request, "core/which_trial.html", {"trials": trials, "path": request.path}, status=400)
    context = {"message": error.message, "fields": sorted(error.fields.items())}
    return render(request, "core/refused.html", context, status=400)


def refused(form: forms.Form, error: DomainError, *, field_names: dict[str, str] | None = None) -> None:
    """Put a service's refusal on ``form``: each message on the field it names (``field_names`` maps a
    service's field path to the form's field), the rest, and the refusal itself, at the top."""
    names = field_names or {}
    placed = False
    for path, messages in error.fields.items():
        name = names.get(path, path)
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
                placed = True
            else:
                form.add_error(None, f"{path}: {message}" if path not in ("non_field_errors", "__all__") else message)
    if not placed:
        form.add_error(None, error.message)


def form_response(request, template: str, context: dict, *, form: forms.Form | None = None):
    """Render a page whose form may carry errors: 400 when it does, so nothing reads it as saved."""
    status = 400 if form is not None and form.errors else 200
    return render(request, template, context, status=status)


def url_filler(name: str) -> Callable[[object], str]:
    """``reverse(name, args=[value])`` for the many values of one request's table, the URL resolved
    once: a value with something to quote in it (none of the project's ids has) is reversed itself.
    Call it per request: the answer holds the request's script prefix."""
    before, _, after = reverse(name, args=[URL_MARK]).rpartition(URL_MARK)

    def fill(value: object) -> str:
        text = str(value)
        if PLAIN_URL_VALUE.fullmatch(text):
            return f"{before}{text}{after}"
        return reverse(name, args=[value])

    return fill
