"""``GET /healthz``: is every service the tracker needs answering right now?

Opens a fresh database connection (not the request's pooled one, which could hide an outage) and
pings the broker when one is configured. 200 when all answer, 503 naming what is down; the error
itself goes to the log, not to the public answer.
"""

from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database() -> str | None:
    conn = connections.create_connection("default")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the message says why
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            conn.close()
    return None


def _broker() -> str | None:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:300]
    finally:
        client.close()
    return None


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database(), "broker": _broker() if settings.REDIS_URL else None}
    down = {name: problem for name, problem in checks.items() if problem}
    services = {
        "database": "down" if "database" in down else "ok",
        "broker": ("down" if "broker" in down else "ok") if settings.REDIS_URL else "not configured",
    }
    if down:
        for name, problem in down.items():
            logger.error("healthz: %s is down: %s", name, problem)
        return JsonResponse({"status": "down", "down": sorted(down), "services": services}, status=503)
    return JsonResponse({"status": "ok", "services": services})
