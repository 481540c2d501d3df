"""The container files hold together: compose services, health checks, the env file, and the scripts they name.

No Docker engine is needed: the compose file is read as YAML, the Dockerfile and docker/env.example
as text, and the scripts are checked with ``bash -n`` and run against a stub server. The entrypoint's
``migrate`` role is run against PostgreSQL in tests/core/test_database_roles.py.
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
APP_SERVICES = ("web", "worker", "beat")  # long-running, as the application's database role
# Variables compose builds itself from the passwords and its own service names.
BUILT_BY_COMPOSE = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DATABASE_MIGRATE_URL", "REDIS_URL"}
# Read by the settings for the embedded default only: production ignores them (DEBUG is forced off).
NOT_FOR_CONTAINERS = {"SQLITE_PATH", "TRIALTRACKER_VAR_DIR", "DJANGO_DEBUG"}


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


def _settings_variables() -> set[str]:
    """Every environment variable trialtracker/settings/*.py reads, with ``env(...)`` or ``os.environ``."""
    names = set()
    for path in (ROOT / "trialtracker" / "settings").glob("*.py"):
        source = path.read_text()
        names |= set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]*)"', source))
        names |= set(re.findall(r'os\.environ(?:\.get\(|\[)\s*"([A-Z][A-Z0-9_]*)"', source))
    return names


def _env_example() -> dict[str, str | None]:
    """The variables docker/env.example names: the value to fill in, or None when commented out."""
    names: dict[str, str | None] = {}
    for line in (DOCKER / "env.example").read_text().splitlines():
        if match := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line):
            names[match[1]] = match[2]
        elif match := re.match(r"^#\s?([A-Z][A-Z0-9_]*)=", line):
            names.setdefault(match[1], None)
    return names


def _compose_variables(compose_text: str) -> set[str]:
    """Variables compose takes from the env file: interpolated, or passed on by a key with no value."""
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", compose_text))
    document = yaml.safe_load(compose_text)
    passed = {
        key
        for service in document["services"].values()
        for key, value in (service.get("environment") or {}).items()
        if value is None
    }
    return interpolated | passed


def _image_path(path: str) -> Path:
    """A path inside the image (``/app/...``) as a path in the repository."""
    assert path.startswith("/app/"), path
    return ROOT / path.removeprefix("/app/")


def test_compose_declares_its_services(compose):
    assert set(compose["services"]) == {"migrate", "web", "worker", "beat", "postgres", "redis"}


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
    for role in (*APP_SERVICES, "migrate"):
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


def test_web_worker_and_beat_start_after_the_migrations_succeeded(compose):
    for name in APP_SERVICES:
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name


def test_migrate_runs_once_after_postgres_and_is_not_restarted(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["restart"] == "no"  # "unless-stopped" would run it again and again
    assert migrate["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert migrate["healthcheck"].get("disable") is True


def test_worker_health_check_pings_this_worker_through_the_broker(compose):
    check = compose["services"]["worker"]["healthcheck"]
    assert check["test"][0] == "CMD-SHELL"
    command = shlex.split(check["test"][1].replace("$$", "$"))  # compose's escape for a literal $
    assert command[:5] == ["celery", "-A", "trialtracker", "inspect", "ping"]
    # Celery names a worker celery@<host name> unless told otherwise; HOSTNAME is the container's.
    assert command[command.index("--destination") + 1] == "celery@${HOSTNAME}"
    worker = next(line for line in (DOCKER / "entrypoint.sh").read_text().splitlines() if "trialtracker worker" in line)
    assert "--hostname" not in worker
    assert "-n " not in worker
    assert float(command[command.index("--timeout") + 1]) < _seconds(check["timeout"])


def _seconds(duration: str) -> float:
    return float(duration.removesuffix("s"))


def test_beat_does_not_inherit_the_web_health_check(compose):
    assert compose["services"]["beat"]["healthcheck"].get("disable") is True


def test_app_services_get_production_settings_and_services(compose):
    for name in (*APP_SERVICES, "migrate"):
        env = compose["services"][name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "trialtracker.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        for required in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
            assert required in env, (name, required)


def _user(url: str) -> str:
    """The user of a database URL whose password is a compose interpolation (not a URL to urlsplit)."""
    return re.match(r"^postgres://([^:@/]+)[:@]", url)[1]


def test_app_services_connect_as_the_application_role_not_the_owner(compose):
    owner = compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
    migrate = compose["services"]["migrate"]["environment"]
    assert _user(migrate["DATABASE_MIGRATE_URL"]) == owner
    assert _user(migrate["DATABASE_URL"]) not in (owner, "postgres")
    for name in APP_SERVICES:
        env = compose["services"][name]["environment"]
        assert _user(env["DATABASE_URL"]) == _user(migrate["DATABASE_URL"]), name
        # The owner's password reaches no long-running process.
        assert "DATABASE_MIGRATE_URL" not in env, name
        assert not any("POSTGRES_PASSWORD" in str(value) for value in env.values()), name


def test_every_variable_the_settings_read_reaches_the_containers(compose):
    read = _settings_variables()
    assert {"DJANGO_SECRET_KEY", "EMAIL_URL", "REMINDERS_SMS_BACKEND", "TWILIO_AUTH_TOKEN"} <= read
    for name in (*APP_SERVICES, "migrate"):
        missing = read - NOT_FOR_CONTAINERS - set(compose["services"][name]["environment"])
        assert not missing, (name, missing)


def test_every_variable_the_settings_read_is_in_the_env_example():
    missing = _settings_variables() - NOT_FOR_CONTAINERS - BUILT_BY_COMPOSE - set(_env_example())
    assert not missing
    text = (DOCKER / "env.example").read_text()
    for name in NOT_FOR_CONTAINERS:
        assert name in text, name  # named, with why compose leaves it out


def test_the_env_example_names_exactly_what_compose_reads():
    compose_text = (DOCKER / "compose.yaml").read_text()
    assert _compose_variables(compose_text) == set(_env_example())


def test_the_env_example_holds_no_secret_and_its_required_values_are_required_by_compose():
    compose_text = (DOCKER / "compose.yaml").read_text()
    to_fill = {name for name, value in _env_example().items() if value is not None}
    assert {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "POSTGRES_APP_PASSWORD", "EMAIL_URL"} <= to_fill
    for name in to_fill:
        assert _env_example()[name] == "", name
        assert re.search(rf"\$\{{{name}:\?", compose_text), name  # compose refuses to start without it


def test_mail_is_required_and_sms_settings_reach_the_worker(compose):
    """Without them a stack printed reminders to its console and marked them sent."""
    env = compose["services"]["worker"]["environment"]
    assert env["EMAIL_URL"].startswith("${EMAIL_URL:?")
    for name in ("REMINDERS_SMS_BACKEND", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "ANYMAIL"):
        assert name in env, name


def test_compose_provides_every_variable_production_settings_require(compose):
    """A variable read with no default in production settings must reach every app service."""
    source = (ROOT / "trialtracker" / "settings" / "production.py").read_text()
    required = set(re.findall(r'\benv(?:\.\w+)?\(\s*"([A-Z0-9_]+)"\s*\)', source))
    assert {"DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"} <= required
    for name in APP_SERVICES:
        missing = required - set(compose["services"][name]["environment"])
        assert not missing, (name, missing)


def test_only_the_migrate_service_migrates(compose):
    migrating = [name for name, service in compose["services"].items() if "migrate" in _command(service)]
    assert migrating == ["migrate"]
    text = (DOCKER / "entrypoint.sh").read_text()
    assert "MIGRATE:-" not in text  # the web role no longer migrates on a flag


def test_entrypoint_migrates_as_the_owner_then_grants_the_application_role():
    text = (DOCKER / "entrypoint.sh").read_text()
    block = text[text.index('if [ "$role" = migrate ]; then') :]
    assert 'export DATABASE_URL="$DATABASE_MIGRATE_URL"' in text
    assert block.index("manage.py migrate --noinput") < block.index("manage.py grant_app_role")


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
