"""``manage.py unlock USERNAME --reason TEXT`` or ``manage.py unlock --address IP --reason TEXT``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import login
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Lift the lockout after repeated failed sign-ins of an account (or of a client address) before "
        "its cool-off ends. Recorded as an account event with the reason, by whoever runs the server."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the locked account")
        parser.add_argument("--address", help="a locked client address instead")
        parser.add_argument("--reason", required=True, help="why (kept in the record)")

    def handle(self, *args, **options):
        username, address = options["username"], options["address"]
        if bool(username) == bool(address):
            raise CommandError("name either a username or --address")
        try:
            if address:
                cleared = login.address_unlock(address=address, actor=None, reason=options["reason"])
                what = f"address {address}"
            else:
                user = get_user_model().objects.filter(username=username).first()
                if user is None:
                    raise CommandError(f"no user {username!r}")
                cleared = login.account_unlock(user=user, actor=None, reason=options["reason"])
                what = username
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"unlocked {what} ({cleared} records of failed sign-ins cleared)"))
