"""Secrets of an install that was given none: random, made once, kept beside its SQLite file.

The embedded default (and the test suite) must not share a key with every other copy of the code:
a link signed with a published key would be accepted, and whoever holds the database file could
derive the key that encrypts identities. :func:`local_secret` makes a random secret on first use,
in a file readable by its owner only (0600), and reads it back afterwards. Production settings never
call it: they refuse to start without their own.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def local_secret(path: Path, *, nbytes: int = 48) -> str:
    """The secret kept in ``path``, made (random, mode 0600) if there is none yet.

    Two processes starting at once agree: the secret is written to a private temporary file and
    linked into place, which fails for the second, which then reads the first one's.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(nbytes) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


def keep_private(path: Path, *, folder: Path | None = None) -> None:
    """Make ``path`` (created empty if absent) readable by its owner only, and ``folder`` too when
    named (never a folder the operator chose for the file, which may be shared).

    For the embedded default's SQLite file, which holds participants' encrypted identities beside
    everything else: SQLite gives its journal files the database file's permissions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder is not None:
        folder.chmod(0o700)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
