"""``manage.py start_trial PROTOCOL --admin USERNAME``: a new installation's first step.

Prepares the database, loads the protocol as the system (a trial already loaded from the same file
is left as it is) and adds its first administrator at every site, then says which address to open.
The administrator's password is read from standard input when it is piped in; otherwise a one-time
set-password link is printed. It is the operator's direct grant, as ``add_user`` is: the audit trail
records the system as the actor. Further people are added by that administrator (or ``add_user``).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.roles import Role
from core.services import set_password_link, sites_for, user_create
from trials.protocol import ProtocolInvalid, load_file
from trials.services import protocol_load


class Command(BaseCommand):
    help = "Prepare the database, load a protocol and add the trial's first administrator."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("protocol", help="a protocol file, e.g. protocols/kare.yaml")
        parser.add_argument("--admin", required=True, help="username of the trial's first administrator")
        parser.add_argument("--email", default="", help="the administrator's email address")

    def handle(self, *args, **options):
        username = options["admin"]
        existing = self._migrated() and get_user_model().objects.filter(username__iexact=username).first()
        if existing:
            raise CommandError(
                f"{existing.username} already exists: add other people with add_user, or sign in as {existing.username}"
            )
        call_command("migrate", verbosity=0, interactive=False)
        try:
            result = protocol_load(protocol=load_file(options["protocol"]), source=str(options["protocol"]))
        except ProtocolInvalid as exc:
            raise CommandError("\n".join(f"{where}: {message}" for where, message in exc.problems)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        trial = result.version.trial
        said = "loaded" if result.created_trial else "already loaded"
        self.stdout.write(f"{trial.code}: {said} (version {result.version.number}, {result.version.label})")
        stdin = options.get("stdin", sys.stdin)
        password = None
        if stdin is not None and not stdin.isatty():
            password = stdin.readline().rstrip("\r\n") or None
        try:
            user = user_create(
                username=username,
                email=options["email"],
                password=password,
                role=Role.ADMINISTRATOR.value,
                sites=sites_for(trial=trial.code, sites=[]),
                reason="the trial's first administrator",
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"added {user.username} as administrator of {trial.code} at every site"))
        if password is None:
            self.stdout.write(
                f"one-time link to set the password: {set_password_link(user, base_url=settings.SITE_URL)}"
            )
        self.stdout.write(
            f"Start the server (manage.py runserver) and open {settings.SITE_URL}/ to sign in as {user.username};"
            " the first sign-in sets up an authenticator app."
        )

    def _migrated(self) -> bool:
        from django.db import connection

        return get_user_model()._meta.db_table in connection.introspection.table_names()
