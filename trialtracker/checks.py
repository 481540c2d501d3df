"""System checks for what makes the tracker unfit for a real trial."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import connections


@register(Tags.database)
def audit_trail_on(app_configs=None, **kwargs):
    """Warn when the database cannot record the audit trail (anything but PostgreSQL)."""
    vendor = connections["default"].vendor
    if vendor == "postgresql":
        return []
    return [
        Warning(
            f"The audit trail is off: the database is {vendor}, and only PostgreSQL records it.",
            hint="Set DATABASE_URL to a PostgreSQL database for any real trial data.",
            id="trialtracker.W001",
        )
    ]


@register(deploy=True)
def broker_configured(app_configs=None, **kwargs):
    """Warn in deployment checks when Celery would run tasks in-process."""
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        return [
            Warning(
                "Celery runs tasks in-process: no broker is configured.",
                hint="Set REDIS_URL so that reminders are dispatched by workers.",
                id="trialtracker.W002",
            )
        ]
    return []


@register()
def providers_over_https(app_configs=None, **kwargs):
    """Refuse a Twilio address that is not HTTPS: every request carries the account's credentials."""
    url = getattr(settings, "TWILIO_API_URL", "")
    if url.startswith("https://"):
        return []
    return [
        Error(
            f"TWILIO_API_URL is {url!r}: SMS requests would carry the Twilio credentials unencrypted, or go nowhere.",
            hint="Use https://api.twilio.com, or a Twilio edge such as https://api.dublin.ie1.twilio.com.",
            id="trialtracker.E001",
        )
    ]
