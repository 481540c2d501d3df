"""``manage.py simulate_trial --protocol FILE --participants N --seed S``: the main job.

Runs a trial's front door through the same services the API uses: loads the protocol, adds the
staff (a coordinator per site and an unblinded statistician), generates the concealed allocation
lists (or uses minimisation), screens people with exclusions for the protocol's own reasons,
enrols and consents the eligible ones (some decline), completes their baselines and randomises
them. It ends with the screening flow and the allocation per arm.

The same seed gives the same people and the same screening outcomes; allocation lists are drawn
from a seed derived from it, so the whole run is reproducible.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from participants import services as participant_services
from participants.models import Allocation, Participant, Screening
from trials.protocol import CriterionKind, ProtocolInvalid, RandomisationMethod, load_file
from trials.services import protocol_load
from trialtracker.clock import today_at
from trialtracker.errors import DomainError
from trialtracker.services import sites_for, user_create

# How often a screened person fails one criterion, and how often an eligible one declines.
EXCLUSION_RATE = 0.22
DECLINE_RATE = 0.06


class Command(BaseCommand):
    help = "Simulate a trial through the services: screening, enrolment, consent, baseline, randomisation."

    def add_arguments(self, parser):
        parser.add_argument("--protocol", required=True, help="a protocol file, e.g. protocols/kare.yaml")
        parser.add_argument("--participants", type=int, default=96, help="how many people to randomise")
        parser.add_argument("--seed", type=int, default=1, help="seed of the simulation")

    def handle(self, *args, **options):
        n = options["participants"]
        if n < 1:
            raise CommandError("--participants must be at least 1")
        self.rng = random.Random(options["seed"])
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
        try:
            self.step(3, "adding staff and the allocation lists")
            staff = self._staff(trial, options["seed"])
            self.step(4, f"screening, enrolling and randomising {n} participants")
            self._recruit(trial, staff, n)
        except DomainError as exc:
            raise CommandError(f"the simulation was refused: {exc}") from None
        self._summary(trial)

    def step(self, number: int, text: str) -> None:
        self.stdout.write(f"[{number}/4] {text}")

    # -- staff -------------------------------------------------------------------------------

    def _staff(self, trial, seed: int) -> dict:
        User = get_user_model()
        password = None  # simulated staff cannot log in
        staff = {"coordinators": {}}
        prefix = trial.code.lower()
        for site in trial.sites.order_by("code"):
            name = f"sim-{prefix}-coordinator-{site.code}"
            user = User.objects.filter(username=name).first() or user_create(
                username=name, password=password, role="coordinator", sites=[site], reason="simulation"
            )
            staff["coordinators"][site.pk] = user
        name = f"sim-{prefix}-statistician"
        staff["statistician"] = User.objects.filter(username=name).first() or user_create(
            username=name,
            password=password,
            role="unblinded_statistician",
            sites=sites_for(trial=trial.code, sites=[]),
            reason="simulation",
        )
        protocol = trial.version_on().protocol
        if protocol.randomisation.method == RandomisationMethod.PERMUTED_BLOCKS:
            seed_text = hashlib.sha256(f"simulation:{trial.code}:{seed}".encode()).hexdigest()[:32]
            participant_services.randomisation_lists_generate(
                actor=staff["statistician"], trial=trial, blocks=max(4, len(protocol.arms)), seed=seed_text
            )
        return staff

    # -- recruitment ---------------------------------------------------------------------------

    def _recruit(self, trial, staff: dict, target: int) -> None:
        rng = self.rng
        protocol = trial.version_on().protocol
        sites = list(trial.sites.order_by("code"))
        criteria = protocol.eligibility.criteria
        lowest_age, highest_age = protocol.eligibility.age.min, protocol.eligibility.age.max
        weights = protocol.dosing.weight_kg if protocol.dosing else (Decimal(40), Decimal(150))
        start = dt.date.today() - dt.timedelta(days=7 + target)  # recruit about one a day, up to last week
        randomised = 0
        screened = 0
        report_every = max(1, target // 10)
        while randomised < target:
            site = sites[screened % len(sites)]
            coordinator = staff["coordinators"][site.pk]
            day = min(start + dt.timedelta(days=screened * target // max(1, target + target // 3)), today_at(site))
            screened += 1
            answers = {c.code: c.kind == CriterionKind.INCLUSION for c in criteria}
            if rng.random() < EXCLUSION_RATE:
                failing = rng.choice(criteria)
                answers[failing.code] = not answers[failing.code]
            declined = rng.random() < DECLINE_RATE
            screening = participant_services.screening_record(
                actor=coordinator,
                site=site,
                screened_on=day,
                answers=answers,
                outcome="declined" if declined and all(self._met(c, answers) for c in criteria) else None,
            )
            if screening.outcome != "eligible":
                continue
            participant = participant_services.participant_enrol(
                actor=coordinator,
                screening=screening,
                sex=rng.choices(["M", "F"], weights=[0.62, 0.38])[0],
                age_at_consent=rng.randint(lowest_age, highest_age),
                consent_form_version=protocol.current_consent_form().version,
                consented_on=day,
                first_name=f"Sim{screened}",
                last_name="Participant",
            )
            weight = Decimal(str(round(rng.uniform(float(max(weights[0], 50)), float(min(weights[1], 120))), 1)))
            participant_services.baseline_complete(
                actor=coordinator, participant=participant, completed_on=day, weight_kg=weight
            )
            self._randomise(participant, coordinator, staff, day)
            randomised += 1
            if randomised % report_every == 0 or randomised == target:
                self.stdout.write(f"      {randomised}/{target} randomised ({screened} screened)")

    @staticmethod
    def _met(criterion, answers) -> bool:
        return answers[criterion.code] == (criterion.kind == CriterionKind.INCLUSION)

    def _randomise(self, participant, coordinator, staff, day) -> None:
        try:
            participant_services.participant_randomise(actor=coordinator, participant=participant, on=day)
        except DomainError as exc:
            if getattr(exc, "code", "") != "list_exhausted":
                raise
            participant_services.randomisation_list_top_up(
                actor=staff["statistician"], trial=participant.trial, blocks=4, stratum=None
            )
            participant_services.participant_randomise(actor=coordinator, participant=participant, on=day)

    # -- output --------------------------------------------------------------------------------

    def _design(self, version) -> None:
        protocol = version.protocol
        out = self.stdout.write
        out(f"      {protocol.trial.code}: {protocol.trial.title} (protocol version {version.number}, {version.label})")
        factors = [f.code for f in protocol.factors]
        out(
            "      arms: " + "; ".join(f"{a.code} = " + " + ".join(a.levels[f] for f in factors) for a in protocol.arms)
        )
        out(
            "      schedule: "
            + ", ".join(f"{e.code} {e.kind.value} day {e.day} after {e.anchor}" for e in protocol.schedule)
        )

    def _summary(self, trial) -> None:
        out = self.stdout.write
        screenings = Counter(Screening.objects.filter(trial=trial).values_list("outcome", flat=True))
        failed = Counter(
            code
            for row in Screening.objects.filter(trial=trial, outcome="not_eligible")
            for code in row.failed_criteria
        )
        out("")
        out(f"screening flow of {trial.code}")
        out(f"  assessed for eligibility   {sum(screenings.values()):>5}")
        out(f"  not eligible               {screenings.get('not_eligible', 0):>5}")
        for code, count in failed.most_common():
            out(f"      {code:<22} {count:>5}")
        out(f"  declined                   {screenings.get('declined', 0):>5}")
        out(f"  randomised                 {Allocation.objects.filter(participant__trial=trial).count():>5}")
        out("")
        out("allocation (unblinded: this is a simulation)")
        per_arm = Counter(Allocation.objects.filter(participant__trial=trial).values_list("arm__code", flat=True))
        per_site_arm = Counter(
            Allocation.objects.filter(participant__trial=trial).values_list("participant__site__code", "arm__code")
        )
        sites = list(trial.sites.order_by("code").values_list("code", flat=True))
        out(f"  {'arm':<6}{'total':>7}" + "".join(f"{s:>12}" for s in sites))
        for arm in trial.arms.order_by("position"):
            out(
                f"  {arm.code:<6}{per_arm.get(arm.code, 0):>7}"
                + "".join(f"{per_site_arm.get((s, arm.code), 0):>12}" for s in sites)
            )
