"""Pages of safety: an adverse event recorded, then viewed with its reporting clocks, changed with a
reason and marked reported. Reads go through the safety selectors (another site's event or
participant is a 404), writes through the same services as the API."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone

from core.clock import today_at
from core.errors import Conflict, Invalid, NotFound
from core.web import form_response, refused, staff_page
from participants.models import Seriousness
from participants.safety import forms, selectors, services
from participants.schedule.selectors import infusion_of_participant
from participants.selectors import participant_get

CHANGEABLE = (
    "term",
    "onset_date",
    "end_date",
    "grade",
    "drug_causality",
    "therapy_causality",
    "expected",
    "action_taken",
    "outcome",
)


def _linked_infusion(request, participant):
    """The participant's infusion named by ``?infusion=<appointment id>`` (the prompt of a reading
    past its threshold), None when none is named; a 404 when it is not this participant's."""
    named = request.GET.get("infusion", "")
    if not named:
        return None
    well_formed = named.isascii() and named.isdigit() and len(named) <= 18  # as the <id:...> converter
    infusion = infusion_of_participant(participant=participant, appointment_id=int(named)) if well_formed else None
    if infusion is None:
        raise NotFound("no such infusion")
    return infusion


def _now_at(zone) -> dt.datetime:
    return timezone.localtime(timezone.now(), zone).replace(second=0, microsecond=0)


@staff_page
def adverse_event_new(request, study_id: str):
    """Record an adverse event of the participant; serious ones ask their criteria and when the site
    became aware, and the page says how long the reporting clocks run."""
    participant = participant_get(user=request.user, study_id=study_id, trial_code=request.GET.get("trial"))
    infusion = _linked_infusion(request, participant)
    zone = zoneinfo.ZoneInfo(participant.site.time_zone)
    with timezone.override(zone):
        onset = infusion.visit.actual_date if infusion else today_at(participant.site)
        initial = {"onset_date": onset, "aware_at": _now_at(zone), "serious": "no"}
        form = forms.AdverseEventForm(request.POST if request.method == "POST" else None, initial=initial)
        if request.method == "POST" and form.is_valid():
            values = form.service_values()
            try:
                services.adverse_event_record(actor=request.user, participant=participant, infusion=infusion, **values)
            except (Invalid, Conflict) as error:
                refused(form, error)
            else:
                messages.success(request, f"The adverse event “{values['term'].strip()}” is recorded.")
                return redirect("web:casebook", study_id=participant.study_id)
        context = {
            "section": "participants",
            "participant": participant,
            "infusion": infusion,
            "form": form,
            "clocks": _clock_rules(),
        }
        return form_response(request, "participants/safety/adverse_event_new.html", context, form=form)


def _clock_rules() -> dict:
    return {
        "sponsor_hours": services.SPONSOR_HOURS,
        "regulator_days_fatal": services.REGULATOR_DAYS_FATAL,
        "regulator_days_other": services.REGULATOR_DAYS_OTHER,
    }


def _saved_values(ae) -> dict:
    values = {name: getattr(ae, name) for name in CHANGEABLE}
    values.update(seriousness=list(ae.seriousness), serious="yes" if ae.serious else "no")
    values["expected"] = "yes" if ae.expected else "no"
    return values


def _changes(ae, cleaned: dict) -> dict:
    """The values the form changes, as the update service takes them."""
    changes = {name: cleaned[name] for name in CHANGEABLE if cleaned[name] != getattr(ae, name)}
    if sorted(cleaned["seriousness"]) != sorted(ae.seriousness):
        changes["seriousness"] = cleaned["seriousness"]
    return changes


def _reports(ae, data) -> list[dict]:
    """Each report the event needs: to whom, by when, when it was made, and a form while it is not."""
    now = timezone.now()
    rows = []
    for to, due in services.deadlines(ae).items():
        if due is None:
            continue
        reported = getattr(ae, f"{to}_reported_at")
        form = None
        if reported is None:
            form = forms.ReportForm(data if data is not None and data.get("report") == to else None, prefix=to)
            # The next whole minute: the field holds minutes, and a report cannot precede awareness.
            form.fields["reported_at"].initial = _now_at(timezone.get_current_timezone()) + dt.timedelta(minutes=1)
        rows.append(
            {"to": to, "due": due, "reported_at": reported, "overdue": reported is None and due < now, "form": form}
        )
    return rows


@staff_page
def adverse_event(request, pk: int):
    """An adverse event with its reporting clocks: change it with a reason, or record a report made."""
    ae = selectors.adverse_event_get(user=request.user, pk=pk)
    participant = ae.participant
    posted = request.POST if request.method == "POST" else None
    with timezone.override(zoneinfo.ZoneInfo(participant.site.time_zone)):
        reporting = posted is not None and posted.get("report") in ("sponsor", "regulator")
        form = forms.AdverseEventChangeForm(None if reporting else posted, initial=_saved_values(ae))
        reports = _reports(ae, posted)
        done = None
        if reporting:
            report = next((r["form"] for r in reports if r["to"] == posted["report"] and r["form"]), None)
            if report is None:
                messages.error(request, f"This event has no report to the {posted['report']} waiting to be recorded.")
                return redirect("web:adverse-event", pk=ae.pk)
            if report.is_valid():
                try:
                    services.adverse_event_report(
                        actor=request.user, ae=ae, to=posted["report"], reported_at=report.cleaned_data["reported_at"]
                    )
                    done = f"The report to the {posted['report']} is recorded."
                except (Invalid, Conflict) as error:
                    refused(report, error)
        elif posted is not None and form.is_valid():
            changes = _changes(ae, form.cleaned_data)
            done = "Nothing was changed."
            if changes:
                try:
                    services.adverse_event_update(
                        actor=request.user, ae=ae, reason=form.cleaned_data["reason"], **changes
                    )
                    done = f"The adverse event “{ae.term}” is changed."
                except (Invalid, Conflict) as error:
                    refused(form, error)
                    done = None
        if done:
            messages.success(request, done)
            return redirect("web:casebook", study_id=participant.study_id)
        invalid = any(r["form"] is not None and r["form"].errors for r in reports)
        context = {
            "section": "participants",
            "ae": ae,
            "criteria": [Seriousness(code).label for code in ae.seriousness],
            "form": form,
            "reports": reports,
        }
        response = form_response(request, "participants/safety/adverse_event.html", context, form=form)
        if invalid:
            response.status_code = 400
        return response
