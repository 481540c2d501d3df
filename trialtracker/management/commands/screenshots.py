"""``manage.py screenshots --out docs/screenshots``: pictures of the staff pages from a simulated trial.

Runs itself again on a throwaway SQLite database of its own (the database you have configured is not
touched): loads protocols/kare.yaml, simulates a trial with some participants finished and some in
the middle of their infusions, starts the pages on a local port, and has Chromium (through
Playwright, a development dependency) photograph, at a 768-pixel-wide tablet, as a blinded site
coordinator: the dashboard, a casebook, the infusion day's form and the timeline follow-back
calendar. Chromium is the ``chromium`` program on the path, or ``TRIALTRACKER_CHROMIUM``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

PAGES = ("dashboard", "casebook", "infusion-day", "drinking")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--lang=en-GB"]


class Command(BaseCommand):
    help = "Photograph the staff pages of a simulated trial into --out (PNG files)."

    def add_arguments(self, parser):
        parser.add_argument("--out", default="docs/screenshots", help="directory for the PNG files")
        parser.add_argument("--seed", type=int, default=3, help="seed of the simulation")
        parser.add_argument("--inside", action="store_true", help="(internal) run on the throwaway database")

    def handle(self, *args, **options):
        out = Path(options["out"]).resolve()
        if not options["inside"]:
            return self._outside(out, options["seed"])
        self._inside(out, options["seed"])

    def _outside(self, out: Path, seed: int) -> None:
        chromium = os.environ.get("TRIALTRACKER_CHROMIUM") or shutil.which("chromium")
        if not chromium:
            raise CommandError("no chromium program on the path (apt-get install chromium), nor TRIALTRACKER_CHROMIUM")
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="screenshots-") as work:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CACHE_URL")}
            env.update(
                DATABASE_URL=f"sqlite:///{work}/db.sqlite3",
                TRIALTRACKER_VAR_DIR=work,
                TRIALTRACKER_CHROMIUM=chromium,
                DJANGO_SETTINGS_MODULE="trialtracker.settings.local",
            )
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "screenshots", "--inside"]
            done = subprocess.run([*command, "--out", str(out), "--seed", str(seed)], env=env, check=False)
        if done.returncode:
            raise CommandError(f"taking the screenshots failed (exit {done.returncode})")

    def _inside(self, out: Path, seed: int) -> None:
        self.stdout.write("preparing a simulated trial")
        call_command("migrate", verbosity=0, interactive=False)
        scene = _scene(seed, self.stdout.write)
        server, port = _serve()
        try:
            _photograph(scene, f"http://127.0.0.1:{port}", out, self.stdout.write)
        finally:
            server.shutdown()
        self.stdout.write(f"wrote {len(PAGES)} screenshots to {out}")


def _scene(seed: int, say) -> dict:
    """The trial the pictures show, and the paths and session of its blinded Exeter coordinator."""
    import django_otp
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from participants.models import AppointmentStatus
    from participants.schedule.selectors import appointments_of
    from participants.selectors import participant_get
    from trials.protocol import load_file
    from trials.services import protocol_load
    from trialtracker.simulation import Simulation

    trial = protocol_load(
        protocol=load_file(Path(settings.BASE_DIR) / "protocols" / "kare.yaml"), source="kare.yaml"
    ).version.trial
    simulation = Simulation(trial=trial, seed=seed, progress=lambda line: say(line.strip()))
    staff = simulation.add_staff()
    simulation.follow(simulation.recruit(8))
    simulation.follow(simulation.recruit(12, over_last_days=21))
    coordinator = staff.coordinators[trial.sites.get(code="exeter").pk]
    ongoing = [
        a
        for participant in trial.participants.filter(site__code="exeter").order_by("-study_id")
        for a in appointments_of(participant=participant)
        if a.kind == "infusion" and a.status == AppointmentStatus.SCHEDULED
    ]
    appointment = ongoing[0]
    participant = participant_get(user=coordinator, study_id=appointment.participant.study_id)
    client = Client()
    client.force_login(coordinator)
    device = TOTPDevice.objects.create(user=coordinator, name="authenticator", confirmed=True)
    session = client.session
    session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return {
        "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "dashboard": "/",
        "casebook": f"/participants/{participant.study_id}/",
        "infusion-day": f"/appointments/{appointment.pk}/infusion-day/",
        "drinking": f"/participants/{participant.study_id}/drinking/",
    }


def _serve():
    """The pages and their static files on a free local port, in a thread of this process."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    time.sleep(0.2)
    return server, server.server_address[1]


def _photograph(scene: dict, base: str, out: Path, say) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise CommandError("Playwright is a development dependency: run `uv sync` first") from None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ["TRIALTRACKER_CHROMIUM"],
            args=CHROMIUM_ARGS,
            env={**os.environ, "LANGUAGE": "en_GB"},  # date fields day/month/year, as at a UK site
        )
        context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="en-GB")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": scene["cookie"], "url": base}])
        page = context.new_page()
        for name in PAGES:
            response = page.goto(base + scene[name])
            if response is None or response.status != 200:
                raise CommandError(f"{scene[name]} answered {response.status if response else 'nothing'}")
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            say(f"  {name}.png  ({scene[name]})")
        browser.close()
