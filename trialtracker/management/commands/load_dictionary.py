"""``manage.py load_dictionary --meddra DIR --version 27.1 --as USERNAME`` (or ``--ctcae FILE``):
load a licensed medical dictionary release the unit holds, all or nothing."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from core.management_utils import actor_from_options, add_actor_arguments
from participants.models import DictionaryKind
from participants.safety.dictionaries import dictionary_load


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = (
        "Load a MedDRA release from its ASCII files (the MedAscii directory: soc.asc, pt.asc, llt.asc, "
        "mdhier.asc) or the CTCAE v5 term list (CSV). An administrator or a data manager loads; a "
        "version is loaded once; a malformed file names its lines and nothing is written."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names the release loaded, not Django's version: ours replaces the default one.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--meddra", metavar="DIR", help="the release's MedAscii directory")
        source.add_argument("--ctcae", metavar="FILE", help="the CTCAE term list as CSV")
        parser.add_argument("--version", dest="release_version", required=True, help="the release's version, e.g. 27.1")
        add_actor_arguments(parser, system=False)

    def handle(self, *args, **options):
        actor = actor_from_options(options)
        kind = DictionaryKind.MEDDRA if options["meddra"] else DictionaryKind.CTCAE
        source = options["meddra"] or options["ctcae"]

        def progress(name: str, line: int) -> None:
            self.stdout.write(f"  {name}: {line:,} lines read")
            self.stdout.flush()

        self.stdout.write(f"Reading {DictionaryKind(kind).label} {options['release_version']} from {source}")
        try:
            release = dictionary_load(
                actor=actor, kind=kind, version=options["release_version"], source=source, progress=progress
            )
        except DomainError as exc:
            lines = [f"  {where}: {' '.join(messages)}" for where, messages in (exc.fields or {}).items()]
            raise CommandError("\n".join([exc.message, *lines])) from None
        self.stdout.write(self.style.SUCCESS(f"{release}: loaded {release.terms_loaded:,} terms"))
