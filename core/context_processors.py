"""What every staff page needs to say: whether this database keeps an audit trail."""

from __future__ import annotations

from core import audit
from core.pagination import NO_AUDIT_TRAIL


def audit_trail(request) -> dict:
    recorded = audit.enabled()
    return {"audit_trail_recorded": recorded, "audit_trail_message": "" if recorded else NO_AUDIT_TRAIL}
