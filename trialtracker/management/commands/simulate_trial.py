"""``manage.py simulate_trial --protocol FILE --participants N --seed S``: the main job.

Prepares the database, loads the protocol, then runs a whole trial through the same services the
API uses (see :mod:`trialtracker.simulation`): screening, enrolment, consent, baseline,
randomisation, contact preferences and reminders, visits, infusions, sessions, adverse events,
dropouts and daily drinking records, and, where the protocol's diary goes by SMS, the diary prompts
of the last two weeks and the participants' answers. Each step shows the time since the start. It
ends with the screening flow, the reminders pending, the diary's line (prompts planned, answered,
days reported, of which not remembered), the endpoint table's summary by arm, the analysis plan's
primary endpoint with its adjusted estimates (or the completeness warning or refusal), its
missing-data sensitivity analysis and tipping point, the analysis report in ``--out``, and the data
monitoring committee's open and closed reports at today's cut-off in ``--out``/committee (HTML, and
PDF where WeasyPrint's system libraries are installed).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from statistics import mean

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.errors import DomainError
from outcomes import endpoints
from outcomes.analysis import factorial_estimates, write_report
from outcomes.analysis.committee.document import PdfUnavailable, write_committee_report
from outcomes.plan.document import load_file as load_plan
from outcomes.plan.services import analysis_plan_load
from participants import blinding
from participants.models import Allocation, Participant, Screening
from reminders.models import Kind, Notification
from trials.protocol import ProtocolInvalid, load_file
from trials.services import protocol_load
from trialtracker.simulation import Simulation

STEPS = 7


class Command(BaseCommand):
    help = "Simulate a whole trial through the services and summarise its endpoints."

    def add_arguments(self, parser):
        parser.add_argument("--protocol", required=True, help="a protocol file, e.g. protocols/kare.yaml")
        parser.add_argument("--participants", type=int, default=96, help="how many people to randomise")
        parser.add_argument("--seed", type=int, default=1, help="seed of the simulation")
        parser.add_argument("--out", default="report", help="directory for the analysis report (default: report)")

    def step(self, number: int, text: str) -> None:
        """A step's heading, with the time since the command started."""
        self.stdout.write(f"[{number}/{STEPS}] {text}  ({time.monotonic() - self.started:.1f} s)")

    def handle(self, *args, **options):
        self.started = time.monotonic()
        n = options["participants"]
        if n < 1:
            raise CommandError("--participants must be at least 1")
        self.step(1, "preparing the database")
        call_command("migrate", verbosity=0, interactive=False)
        self.step(2, f"loading {options['protocol']}")
        try:
            version = protocol_load(protocol=load_file(options["protocol"]), source=options["protocol"]).version
        except ProtocolInvalid as exc:
            raise CommandError("\n".join(f"{where}: {message}" for where, message in exc.problems)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        trial = version.trial
        if Participant.objects.filter(trial=trial).exists():
            raise CommandError(
                f"{trial.code} already has participants in this database; simulate into a fresh one "
                "(remove var/trialtracker.sqlite3, or point DATABASE_URL at an empty database)"
            )
        self._design(version)
        self._plan(trial, options["protocol"])
        simulation = Simulation(trial=trial, seed=options["seed"], progress=self.stdout.write)
        try:
            self.step(3, "adding staff and the allocation lists")
            simulation.add_staff()
            self.step(4, f"screening, enrolling and randomising {n} participants")
            participants = simulation.recruit(n)
            self.step(5, "visits, infusions, sessions, adverse events and drinking records")
            simulation.follow(participants)
        except DomainError as exc:
            raise CommandError(f"the simulation was refused: {exc}") from None
        self.step(6, "endpoints")
        self._summary(trial, simulation)
        self.step(7, f"the analysis report, into {options['out']}/")
        self._report(trial, options["out"])

    def _plan(self, trial, protocol_path: str) -> None:
        """The trial's statistical analysis plan, when a file lies beside the protocol
        (``<name>.sap.yaml``), stored as a draft: the report names it."""
        path = Path(protocol_path).with_suffix("").with_suffix(".sap.yaml")
        if not path.exists():
            self.stdout.write("      no analysis plan beside the protocol: the report follows the tracker's defaults")
            return
        try:
            plan = load_plan(path, protocol=trial.version_on().protocol)
            version, _ = analysis_plan_load(trial=trial, plan=plan, source=str(path))
        except ProtocolInvalid as exc:
            raise CommandError("\n".join(f"{path}: {where}: {message}" for where, message in exc.problems)) from None
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"      analysis plan version {version.number} ({version.label}), fingerprint {version.sha256[:12]}: "
            f"primary endpoint {plan.primary.endpoint} over days {plan.primary.window}"
        )

    def _design(self, version) -> None:
        protocol = version.protocol
        out = self.stdout.write
        out(f"      {protocol.trial.code}: {protocol.trial.title} (protocol version {version.number}, {version.label})")
        factors = [f.code for f in protocol.factors]
        out(
            "      arms: " + "; ".join(f"{a.code} = " + " + ".join(a.levels[f] for f in factors) for a in protocol.arms)
        )

    def _summary(self, trial, simulation) -> None:
        out = self.stdout.write
        tally = simulation.tally
        screenings = Counter(Screening.objects.filter(trial=trial).values_list("outcome", flat=True))
        out("")
        out(f"screening flow of {trial.code}")
        out(f"  assessed for eligibility {sum(screenings.values()):>6}")
        out(f"  not eligible             {screenings.get('not_eligible', 0):>6}")
        out(f"  declined                 {screenings.get('declined', 0):>6}")
        out(f"  randomised               {Allocation.objects.filter(participant__trial=trial).count():>6}")
        out(
            f"  visits {tally.visits}, infusions {tally.infusions}, sessions {tally.sessions}, adverse events "
            f"{tally.adverse_events} ({tally.serious} serious), dropouts {tally.dropouts}, "
            f"drinking days recorded {tally.drinking_days}"
        )
        visits = Notification.objects.filter(participant__trial=trial).exclude(kind=Kind.DIARY)
        states = Counter(visits.values_list("state", flat=True))
        out(
            f"  reminders: {states.get('pending', 0)} pending for the visits ahead, "
            f"{states.get('cancelled', 0)} cancelled by visits recorded or dropouts"
        )
        if simulation.diary.by_sms:
            out(simulation.diary.tally.line())
        protocol = trial.version_on().protocol
        arms = {a.pk: a for a in trial.arms.all()}
        arm_of = dict(Allocation.objects.filter(participant__trial=trial).values_list("participant_id", "arm_id"))
        rows = endpoints.compute(trial=trial)
        by = defaultdict(list)
        for row in rows:
            by[(row.window, arm_of[row.participant_id])].append(row)
        out("")
        out("endpoints by arm (unblinded: this is a simulation); PDA and completeness are means of participants")
        out(f"  {'window':<10}{'arm':<6}{'n':>5}{'PDA %':>9}{'PHDD %':>9}{'relapsed':>10}{'complete %':>12}")
        for window in protocol.outcomes.windows:
            for arm in sorted(arms.values(), key=lambda a: a.position):
                group = by.get((window.code, arm.pk), [])
                pdas = [float(r.pda) for r in group if r.pda is not None]
                phdds = [float(r.phdd) for r in group if r.phdd is not None]
                relapsed = sum(1 for r in group if r.relapse == 1)
                complete = [float(r.completeness) for r in group]
                out(
                    f"  {window.code:<10}{arm.code:<6}{len(group):>5}{_mean(pdas):>9}{_mean(phdds):>9}"
                    f"{relapsed:>10}{_mean(complete):>12}"
                )
        self._margins(trial, rows, arm_of, protocol)

    def _report(self, trial, out_dir: str) -> None:
        path = write_report(trial=trial, out_dir=out_dir)
        committee = self._committee_reports(trial, Path(out_dir) / "committee")
        estimates = factorial_estimates(trial)
        out = self.stdout.write
        plan = estimates["plan"]
        adjusted = ", ".join(estimates["adjusted_for"]) or "nothing"
        out("")
        out(
            f"primary endpoint of the {'analysis plan version ' + str(plan['number']) if plan else 'default plan'}: "
            f"{estimates['name']} ({estimates['outcome']}) over days {estimates['window']}, "
            f"{estimates['method']}, adjusted for {adjusted} (n = {estimates['n']})"
        )
        completeness = estimates["completeness"]
        if completeness["message"]:
            out(f"  {'REFUSED' if completeness['refused'] else 'WARNING'}: {completeness['message']}")
        for item in estimates["estimates"].values():
            out(f"  {item['label']:<45} {item['estimate']:+7.2f}  ({_ci(item)})")
        if not estimates["estimates"] and estimates["note"] and not completeness["refused"]:
            out(f"  no estimate: {estimates['note']}")
        self._sensitivity(estimates)
        out(f"report: {path}")
        out(f"data monitoring committee, data cut-off today: {committee}")
        out(f"done in {time.monotonic() - self.started:.1f} s")

    def _committee_reports(self, trial, folder: Path) -> str:
        """The committee's open (pooled) and closed (by arm) reports at today's cut-off, as HTML and,
        where WeasyPrint's system libraries are installed, PDF: the files written, named."""
        names = []
        for closed in (False, True):
            try:
                written = write_committee_report(trial=trial, out_dir=folder, closed=closed, pdf=True)
            except PdfUnavailable as exc:
                written = write_committee_report(trial=trial, out_dir=folder, closed=closed)
                self.stdout.write(f"      no PDF: {exc}")
            names += [str(p) for p in (written.html, written.pdf) if p is not None]
        return ", ".join(names)

    def _sensitivity(self, estimates: dict) -> None:
        """The other missing-data analysis beside the primary one, and the tipping point."""
        out = self.stdout.write
        other, name = (
            (estimates["complete_case"], "complete case")
            if estimates["method"] == "multiple imputation"
            else (estimates["multiple_imputation"], "multiple imputation")
        )
        for key, item in (other or {}).get("estimates", {}).items():
            if key.startswith("main:") or key == "difference":
                out(f"  sensitivity, {name}: {item['label']:<32} {item['estimate']:+7.2f}  ({_ci(item)})")
        for point in estimates["tipping_point"]:
            changes = point["changes_at"]
            verdict = f"changes at delta {changes:+g}" if changes is not None else "holds over every delta"
            deltas = ", ".join(f"{r['delta']:+g}" for r in point["rows"][1:])
            out(f"  tipping point for {point['factor']} (deltas {deltas}): the conclusion {verdict}")

    def _margins(self, trial, rows, arm_of, protocol) -> None:
        """The primary window's PDA at each factor's margins: what the factorial analysis estimates."""
        out = self.stdout.write
        levels_of = {}
        for allocation in Allocation.objects.filter(participant__trial=trial).select_related("arm"):
            levels_of[allocation.participant_id] = blinding.arm_levels(allocation)
        primary = [r for r in rows if r.window == protocol.outcomes.primary_window and r.pda is not None]
        out("")
        out(f"primary window {protocol.outcomes.primary_window}: PDA at the factor margins")
        for factor in protocol.factors:
            means = {}
            for level in factor.levels:
                values = [float(r.pda) for r in primary if levels_of[r.participant_id][factor.code] == level.code]
                means[level.code] = values
            first, second = factor.levels[0].code, factor.levels[1].code
            both = means[first] and means[second]
            difference = f"{mean(means[first]) - mean(means[second]):+.1f} points" if both else "– (a level has no PDA)"
            first_mean, second_mean = _mean(means[first]), _mean(means[second])
            out(f"  {factor.code}: {first} {first_mean} vs {second} {second_mean} (difference {difference})")


def _mean(values: list[float]) -> str:
    """The mean to one decimal, or – when there is no value (never nan)."""
    return f"{mean(values):.1f}" if values else "–"


def _ci(item: dict) -> str:
    return f"95% CI {item['ci_low']:+.2f} to {item['ci_high']:+.2f}"
