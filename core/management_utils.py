"""Who a management command acts as: a person who proves it with their password, or the system.

Commands once took ``--as USERNAME`` for any active user, without proof, and acted as "the system"
(every factor, a log entry with no user) when it was left out. Now a command that acts on trial data
needs one of:

* ``--as USERNAME``, with that person's password on standard input (piped: the first line) or typed at
  a prompt; a wrong password, an unknown or inactive user is a refusal (a non-zero exit);
* ``--system``, where the command allows it: the server's operator acting as the system itself, which
  is blinded (no factor reaches a file it writes) and recorded as the system in the audit trail.
"""

from __future__ import annotations

import getpass
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

SYSTEM = None  # the actor of ``--system``: services and the audit trail record no user


def add_actor_arguments(parser, *, system: bool = True, required: bool = True) -> None:
    """``--as USERNAME`` (and ``--system`` when the command allows the system to act)."""
    parser.add_argument(
        "--as",
        dest="actor",
        metavar="USERNAME",
        default=None,
        help="act as this person; their password is read from standard input (or asked for)",
    )
    if system:
        parser.add_argument(
            "--system", action="store_true", help="act as the system itself: blinded, and recorded as the system"
        )
    parser.set_defaults(actor_required=required)


def actor_from_options(options: dict):
    """The user the command acts as (password checked), or :data:`SYSTEM` for ``--system``.

    Refuses (``CommandError``) both or, where an actor is required, neither; an unknown or inactive
    user; a password that is missing or wrong. ``options["stdin"]`` (``call_command(..., stdin=...)``)
    stands for standard input.
    """
    username, system = options.get("actor"), options.get("system", False)
    if username and system:
        raise CommandError("give --as USERNAME or --system, not both")
    if system:
        return SYSTEM
    if not username:
        if options.get("actor_required", True):
            raise CommandError("say who is acting: --as USERNAME (their password on standard input) or --system")
        return SYSTEM
    return person_from_options(options)[0]


def person_from_options(options: dict):
    """``(user, password)`` of ``--as USERNAME`` with the password read as :func:`actor_from_options`
    reads it, for a command whose service asks for the password again (a grave step: locking the
    analysis plan). Refuses as :func:`actor_from_options` does; ``--as`` is required."""
    username = options.get("actor")
    if not username:
        raise CommandError("say who is acting: --as USERNAME (their password on standard input)")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    password = _password(options.get("stdin") or sys.stdin, username)
    if user is None or not password or not user.check_password(password):
        raise CommandError(f"{username!r} is not an active user with that password")
    return user, password


def _password(stdin, username: str) -> str:
    if stdin.isatty():
        return getpass.getpass(f"password of {username}: ")
    return stdin.readline().rstrip("\r\n")
