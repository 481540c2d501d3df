"""``manage.py grant_app_role --role NAME [--password-stdin]``: run by the owner after migrating.

Connected as the owner of the tables (``DATABASE_URL`` naming the owner, as the container's
``migrate`` role arranges), gives the application's role what it needs and nothing more; see
:mod:`trialtracker.privileges`. Safe to run again: every run grants from nothing.
"""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from core.errors import DomainError
from trialtracker.privileges import app_role_grant


class Command(BaseCommand):
    help = (
        "Give the application's PostgreSQL role what it needs (read and write data, append to the audit "
        "trail) and nothing more. Run as the owner of the tables, after every migration."
    )
    # call_command(..., stdin=...) hands the password over as a piped stdin would.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, help="the role the application connects as")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the role's password from standard input: creates the role if absent, else sets it",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="the connection to use (the owner's)")

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(f"the database is {connection.vendor}: roles and grants are for PostgreSQL only")
        password = None
        if options["password_stdin"]:
            password = options.get("stdin", sys.stdin).readline().rstrip("\r\n")
            if not password:
                raise CommandError("--password-stdin: no password on standard input")
        connection.ensure_connection()
        try:
            with transaction.atomic(using=options["database"]):
                grants = app_role_grant(connection.connection, role=options["role"], password=password)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{grants.role}{' (created)' if grants.created else ''}, connecting to tables owned by {grants.owner}: "
            f"read and write {len(grants.data_tables)} data tables; read and append to {len(grants.event_tables)} "
            "event tables and the audit contexts; no ALTER, DROP, TRUNCATE, trigger or temporary table"
        )
