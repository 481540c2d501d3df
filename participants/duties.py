"""The trial's unblinded team is told of every request for a role and of its decision.

The base layer announces each request and decision (:func:`core.events.role_request_changed`)
inside its transaction; :class:`~participants.apps.ParticipantsConfig` subscribes
:func:`role_request_notify`, which writes a staff notification to each member of the team the
protocol in force names (``unblinding.notify_roles``, as for an emergency unblinding) and asks for
them to be sent once the transaction commits.
"""

from __future__ import annotations

from core.models import RequestState
from participants.models import StaffNotification
from participants.notifications import unblinded_team
from participants.tasks import staff_notifications_queue


def _text(request) -> tuple[str, str]:
    sites = ", ".join(sorted(link.site.code for link in request.request_sites.select_related("site")))
    asked = (
        f"{request.requested_by.get_username()} asked on {request.requested_at:%Y-%m-%d %H:%M} UTC that "
        f"{request.user.get_username()} be given the role {request.role_id} at {sites}.\nReason: {request.reason}"
    )
    what = (
        f"{request.trial.code}: request {request.pk} for the role {request.role_id} for {request.user.get_username()}"
    )
    if request.state == RequestState.PENDING:
        return what, f"{asked}\nA second administrator of the trial approves or refuses it."
    by = request.decided_by.get_username()
    decided = f"{request.state.capitalize()} by {by} on {request.decided_at:%Y-%m-%d %H:%M} UTC."
    if request.decision_reason:
        decided += f"\nReason: {request.decision_reason}"
    return f"{what} {request.state}", f"{asked}\n{decided}"


def role_request_notify(*, request) -> None:
    """Tell each member of the trial's unblinded team of ``request`` as it now stands."""
    subject, body = _text(request)
    for member in unblinded_team(request.trial):
        StaffNotification.objects.create(recipient=member, kind="role_request", subject=subject[:200], body=body)
    staff_notifications_queue()
