"""The embedded default: SQLite and in-process Celery unless the environment names services.

Without ``DJANGO_SECRET_KEY`` and ``FIELD_ENCRYPTION_SALTS`` this install makes its own, random,
under ``var/`` (mode 0600) on first run, and keeps them: no two installs share a key. The SQLite
file and ``var/`` are readable by their owner only. Debug mode is off unless a developer sets
``DJANGO_DEBUG=true`` (base settings).
"""

from trialtracker.settings.base import *  # noqa: F403
from trialtracker.settings.secrets import keep_private, local_secret

SECRET_KEY = SECRET_KEY or local_secret(VAR_DIR / "secret_key")  # noqa: F405
SALT_KEY = SALT_KEY or [local_secret(VAR_DIR / "identity_salt", nbytes=24)]  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    database = Path(DATABASES["default"]["NAME"])  # noqa: F405
    keep_private(database, folder=VAR_DIR if database.parent == VAR_DIR else None)  # noqa: F405
