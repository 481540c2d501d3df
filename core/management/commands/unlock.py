"""``manage.py unlock USERNAME --reason TEXT (--as ADMIN | --system)``, or ``--address IP`` instead
of a username."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core import login, selectors
from core.errors import DomainError, NotFound
from core.management_utils import SYSTEM, actor_from_options, add_actor_arguments
from core.permissions import is_administrator


class Command(BaseCommand):
    help = (
        "Lift the lockout after repeated failed sign-ins of an account (or of a client address) before "
        "its cool-off ends. Recorded as an account event with the reason and who unlocked: an "
        "administrator of the account's trials (--as, with their password, which works even when their "
        "own account is locked) or the server's operator as the system (--system)."
    )
    stealth_options = ("stdin",)  # call_command(..., stdin=...): the password of --as, as if piped

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the locked account")
        parser.add_argument("--address", help="a locked client address instead")
        parser.add_argument("--reason", required=True, help="why (kept in the record)")
        add_actor_arguments(parser)

    def handle(self, *args, **options):
        username, address = options["username"], options["address"]
        if bool(username) == bool(address):
            raise CommandError("name either a username or --address")
        actor = actor_from_options(options)
        if actor is not SYSTEM and not is_administrator(actor):
            raise CommandError(f"{actor.username!r} is not an administrator: only administrators unlock")
        try:
            if address:
                cleared = login.address_unlock(address=address, actor=actor, reason=options["reason"])
                what = f"address {address}"
            else:
                user = self._account(username, actor)
                cleared = login.account_unlock(user=user, actor=actor, reason=options["reason"])
                what = username
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"unlocked {what} ({cleared} records of failed sign-ins cleared)"))

    @staticmethod
    def _account(username: str, actor):
        """The account to unlock: any for the system, one of the trials an administrator administers
        otherwise (the API's rule; anyone else's is "no user", as for no one)."""
        user = get_user_model().objects.filter(username=username).first()
        if user is not None and actor is not SYSTEM:
            try:
                selectors.user_managed_get(user=actor, pk=user.pk)
            except NotFound:
                user = None
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user
