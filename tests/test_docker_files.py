"""The container files hold together: compose services, health checks, and the scripts they name.

No Docker engine is needed: the compose file is read as YAML, the Dockerfile as text, and the
scripts are checked with ``bash -n`` and run against a stub server.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKER = ROOT / "docker"
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> str:
    # Join continuation lines so that each instruction is one line.
    return re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())


def _instruction(dockerfile: str, name: str) -> str:
    lines = [line for line in dockerfile.splitlines() if line.startswith(f"{name} ")]
    assert len(lines) == 1, f"expected one {name} instruction, found {len(lines)}"
    return lines[0].removeprefix(f"{name} ").strip()


def _exec_form(value: str) -> list[str]:
    return json.loads(value)


def _command(service: dict) -> list[str]:
    command = service.get("command", [])
    return shlex.split(command) if isinstance(command, str) else list(command)


def _test(healthcheck: dict) -> str:
    test = healthcheck["test"]
    return test if isinstance(test, str) else " ".join(test)


def _image_path(path: str) -> Path:
    """A path inside the image (``/app/...``) as a path in the repository."""
    assert path.startswith("/app/"), path
    return ROOT / path.removeprefix("/app/")


def test_compose_declares_the_five_services(compose):
    assert set(compose["services"]) == {"web", "worker", "beat", "postgres", "redis"}


def test_postgres_is_version_15_with_a_volume_and_pg_isready(compose):
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:15"
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert "pg_isready" in _test(postgres["healthcheck"])


def test_redis_is_version_7_with_redis_cli_ping(compose):
    redis = compose["services"]["redis"]
    assert redis["image"] == "redis:7"
    assert "redis-cli ping" in _test(redis["healthcheck"])


def test_exactly_one_beat_runs(compose):
    beats = [name for name, s in compose["services"].items() if "beat" in _command(s)]
    assert beats == ["beat"]
    assert compose["services"]["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_each_app_service_runs_its_role(compose):
    for role in APP_SERVICES:
        assert _command(compose["services"][role])[:1] == [role]


def test_app_services_wait_for_healthy_postgres_and_redis(compose):
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        for service in ("postgres", "redis"):
            assert depends[service]["condition"] == "service_healthy", (name, service)


def test_web_health_check_asks_healthz(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert "/healthz" in _test(compose["services"]["web"]["healthcheck"])
    assert _image_path(test[2]).is_file()


def test_worker_and_beat_do_not_inherit_the_web_health_check(compose):
    for name in ("worker", "beat"):
        assert compose["services"][name]["healthcheck"].get("disable") is True


def test_app_services_get_production_settings_and_services(compose):
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "trialtracker.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        for required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
            assert required in env, (name, required)


def test_compose_provides_every_variable_production_settings_require(compose):
    """A variable read with no default in production settings must reach every app service."""
    source = (ROOT / "trialtracker" / "settings" / "production.py").read_text()
    required = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z0-9_]+)"\s*\)', source))
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= required
    for name in APP_SERVICES:
        missing = required - set(compose["services"][name]["environment"])
        assert not missing, (name, missing)


def test_only_web_migrates(compose):
    assert compose["services"]["web"]["environment"].get("MIGRATE") == "1"
    for name in ("worker", "beat"):
        assert compose["services"][name]["environment"].get("MIGRATE", "0") != "1"


def test_compose_builds_the_dockerfile_from_the_repository_root(compose):
    for name in APP_SERVICES:
        build = compose["services"][name]["build"]
        context = (DOCKER / build["context"]).resolve()
        assert context == ROOT
        assert (context / build["dockerfile"]).is_file()


def test_dockerfile_base_install_and_user(dockerfile):
    assert _instruction(dockerfile, "FROM") == "python:3.11-slim"
    assert 'pip install "uv==' in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert _instruction(dockerfile, "USER") not in {"root", "0"}
    assert _instruction(dockerfile, "EXPOSE") == "8000"


def test_dockerfile_entrypoint_and_cmd_name_files_that_exist(dockerfile):
    entrypoint = _exec_form(_instruction(dockerfile, "ENTRYPOINT"))
    assert _image_path(entrypoint[0]) == DOCKER / "entrypoint.sh"
    assert (DOCKER / "entrypoint.sh").is_file()
    assert _exec_form(_instruction(dockerfile, "CMD")) == ["web"]


def test_dockerfile_health_check_runs_the_script_on_healthz(dockerfile):
    check = _instruction(dockerfile, "HEALTHCHECK")
    command = _exec_form(check[check.index("CMD ") + 4 :])
    assert command[0] == "python"
    assert _image_path(command[1]).is_file()
    assert command[2].endswith(":8000/healthz")
    assert "curl" not in dockerfile


def test_entrypoint_is_valid_bash_and_executable():
    script = DOCKER / "entrypoint.sh"
    bash = shutil.which("bash")
    assert bash is not None
    subprocess.run([bash, "-n", str(script)], check=True)
    assert script.stat().st_mode & 0o111


def test_entrypoint_roles_run_gunicorn_and_celery_with_prefetch_one():
    text = (DOCKER / "entrypoint.sh").read_text()
    assert "gunicorn trialtracker.wsgi:application --bind 0.0.0.0:8000" in text
    worker = next(line for line in text.splitlines() if "celery -A trialtracker worker" in line)
    assert "--prefetch-multiplier=1" in worker
    assert "celery -A trialtracker beat" in text
    assert re.search(r'\[ "\$role" = web \] && \[ "\$\{MIGRATE:-0\}" = 1 \]', text)


def test_dockerignore_keeps_what_the_image_needs_and_drops_secrets():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "var"} <= ignored
    for needed in ("pyproject.toml", "uv.lock", "manage.py", "protocols", "docker", "trialtracker"):
        assert needed not in ignored


# --- the health check script ------------------------------------------------------------------


def _healthcheck_module():
    spec = importlib.util.spec_from_file_location("docker_healthcheck", DOCKER / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def stub_server():
    """A local HTTP server answering ``status`` and remembering the Host header it was sent."""
    state = {"status": 200, "hosts": []}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["hosts"].append(self.headers["Host"])
            self.send_response(state["status"])
            if state["status"] in (301, 302):
                self.send_header("Location", "https://elsewhere.example/healthz")
            self.end_headers()
            self.wfile.write(b'{"status": "x"}')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_port}/healthz"
    yield state
    server.shutdown()
    server.server_close()


def test_health_check_sends_an_allowed_host_and_passes_on_200(stub_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "trials.example.org,localhost")
    assert _healthcheck_module().main(["healthcheck.py", stub_server["url"]]) == 0
    assert stub_server["hosts"] == ["trials.example.org"]


@pytest.mark.parametrize("status", [503, 301, 400])
def test_health_check_fails_on_anything_but_200(stub_server, monkeypatch, status):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", ".example.org")
    stub_server["status"] = status
    assert _healthcheck_module().main(["healthcheck.py", stub_server["url"]]) == 1
    assert stub_server["hosts"] == ["example.org"]  # a redirect is not followed


def test_health_check_fails_when_nothing_listens(monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOWED_HOSTS", raising=False)
    assert _healthcheck_module().main(["healthcheck.py", "http://127.0.0.1:9/healthz"]) == 1
