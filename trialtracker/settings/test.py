"""Settings for the test suite: fast password hashing, a relaxed token throttle, the same services as the
environment names."""

from trialtracker.settings.base import *  # noqa: F403
from trialtracker.settings.secrets import local_secret

# As the embedded default: this checkout's own secrets, never a published one.
SECRET_KEY = SECRET_KEY or local_secret(VAR_DIR / "secret_key")  # noqa: F405
SALT_KEY = SALT_KEY or [local_secret(VAR_DIR / "identity_salt", nbytes=24)]  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["NAME"] = ":memory:"  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
# Tests ask for many tokens from one address; the throttle's own tests lower it again.
LOGIN_THROTTLE_RATE = "10000/min"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# Sends are not paced in tests unless the environment says so (the pacing tests and worker tests
# name a Redis of their own): a bucket left in a shared Redis would slow the next test's sends.
REMINDERS_PACING_URL = env("REMINDERS_PACING_URL", default="")  # noqa: F405
