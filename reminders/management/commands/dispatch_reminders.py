"""``manage.py dispatch_reminders``: one dispatch of due reminders, as the beat task does every minute.

Without a broker (no ``REDIS_URL``) the sends run in this process; with one they are queued for
the workers. ``--until-empty`` repeats until no due reminder is left (at most ``--max-runs``).
"""

from django.core.management.base import BaseCommand, CommandError

from reminders.dispatch import notifications_dispatch
from reminders.tasks import enqueue_sends


class Command(BaseCommand):
    help = "Claim due reminders and send them (or queue their sends when a broker is configured)."

    def add_arguments(self, parser):
        parser.add_argument("--until-empty", action="store_true", help="repeat until nothing is due")
        parser.add_argument("--max-runs", type=int, default=1000)

    def handle(self, *args, **options):
        totals = {"swept": 0, "claimed": 0, "released": 0}
        for _ in range(options["max_runs"] if options["until_empty"] else 1):
            result = notifications_dispatch(enqueue=enqueue_sends)
            totals["swept"] += result.swept
            totals["claimed"] += result.claimed
            totals["released"] += result.released
            if result.error:
                raise CommandError(
                    f"{result.error}; {result.released} reminder(s) kept for the next dispatch "
                    f"(claimed {totals['claimed']}, swept {totals['swept']})"
                )
            if result.claimed == 0 and result.swept == 0:
                break
        self.stdout.write(f"claimed {totals['claimed']}, swept {totals['swept']}, released {totals['released']}")
