"""``manage.py add_user USERNAME --role ROLE [--site CODE ...] [--trial CODE] [--as USERNAME]``: the
operator's direct grant (:func:`core.services.user_create`), which needs no second administrator.

Run by whoever operates the server, it is the audited way to set up the first accounts: without
``--as`` the audit trail records the system (the operator) as the actor. With ``--as`` the acting
person's password comes first on standard input, then the new person's.
"""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from core.roles import Role
from core.services import set_password_link, sites_for, user_create


class Command(BaseCommand):
    help = (
        "Add a person with a role at sites. The password is read from standard input when it is "
        "piped in (after the acting person's, with --as); otherwise a one-time set-password link is "
        "printed. Run by whoever operates the server, it grants any role at once, with no second "
        "administrator's approval: it is the audited way to set up a trial's first accounts; afterwards "
        "administrators give roles through the API or the admin, where a role that sees a factor, or "
        "the administrator's, waits for a second administrator."
    )
    # call_command(..., stdin=...) hands the password over as a piped stdin would.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--site", action="append", default=[], help="a site code (repeatable)")
        parser.add_argument("--trial", default=None, help="the trial; alone, every site of it")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        add_actor_arguments(parser, system=False, required=False)
        parser.add_argument("--no-input", action="store_true", help="never read a password; print a set-password link")

    def handle(self, *args, **options):
        actor = actor_from_options(options)  # reads the acting person's password first, with --as
        password = None
        stdin = options.get("stdin", sys.stdin)
        if not options["no_input"] and stdin is not None and not stdin.isatty():
            password = stdin.readline().rstrip("\r\n") or None
        try:
            sites = sites_for(trial=options["trial"], sites=options["site"])
            user = user_create(
                username=options["username"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
                role=options["role"],
                sites=sites,
                actor=actor,
                reason="added from the command line",
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        where = ", ".join(str(site) for site in sites)
        self.stdout.write(self.style.SUCCESS(f"added {user.username} as {options['role']} at {where}"))
        if password is None:
            link = set_password_link(user, base_url=settings.SITE_URL)
            self.stdout.write(f"one-time link to set the password: {link}")
