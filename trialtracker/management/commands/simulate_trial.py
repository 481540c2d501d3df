"""``manage.py simulate_trial --protocol FILE``: the main job on the embedded default.

Prepares the database (migrations), loads the protocol through the same service the
``load_protocol`` command uses, and prints the trial's design: arms with their factor levels and
ratios, and the visit schedule with anchors and windows.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from trials.protocol import ProtocolInvalid, load_file
from trials.services import protocol_load
from trialtracker.errors import DomainError


class Command(BaseCommand):
    help = "Load a protocol into the database and show its design and schedule."

    def add_arguments(self, parser):
        parser.add_argument("--protocol", required=True, help="a protocol file, e.g. protocols/kare.yaml")
        parser.add_argument("--participants", type=int, default=96, help="how many people to simulate")
        parser.add_argument("--seed", type=int, default=1, help="seed of the simulation")

    def handle(self, *args, **options):
        if options["participants"] < 1:
            raise CommandError("--participants must be at least 1")
        self.stdout.write("[1/2] preparing the database")
        call_command("migrate", verbosity=0, interactive=False)
        self.stdout.write(f"[2/2] loading {options['protocol']}")
        try:
            protocol = load_file(options["protocol"])
            version = protocol_load(protocol=protocol, source=options["protocol"]).version
        except ProtocolInvalid as exc:
            raise CommandError("\n".join(f"{where}: {message}" for where, message in exc.problems)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self._design(version)

    def _design(self, version) -> None:
        protocol = version.protocol
        out = self.stdout.write
        out("")
        out(f"{protocol.trial.code}: {protocol.trial.title} (protocol version {version.number}, {version.label})")
        out(f"sites: {', '.join(s.code for s in protocol.sites)}")
        factors = [f.code for f in protocol.factors]
        out("")
        out("arms")
        out(f"  {'code':<6}{'ratio':>6}  " + "".join(f"{f:<20}" for f in factors) + "title")
        for arm in protocol.arms:
            levels = "".join(f"{arm.levels[f]:<20}" for f in factors)
            out(f"  {arm.code:<6}{arm.ratio:>6}  {levels}{arm.title}")
        out("")
        out("schedule (day = days after the anchor; window around that day)")
        out(f"  {'code':<6}{'kind':<11}{'anchor':<15}{'day':>5}  {'window':<12}title")
        for event in protocol.schedule:
            window = f"[{event.window[0]:+d}, {event.window[1]:+d}]"
            out(f"  {event.code:<6}{event.kind.value:<11}{event.anchor:<15}{event.day:>5}  {window:<12}{event.title}")
