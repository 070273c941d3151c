"""deploy/compose.yaml and deploy/Dockerfile, checked offline (no container runtime runs here).

What `docker compose config` would catch, and what it would not: every file the services
mount or build from exists, every `${VAR}` is either defaulted or set in `.env.example`,
the settings the workers receive load into KefuSettings, and the health checks ask the
endpoints the worker serves.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.settings import KefuSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


def _example_env() -> dict[str, str]:
    lines = (DEPLOY / ".env.example").read_text("utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name: value or f"example-{name.lower()}" for name, value in pairs}


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` with env as the environment."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"] or "", match["arg"]
        if env.get(name):
            return env[name]
        if op.endswith("-"):
            return arg
        msg = f"${{{name}}} has no default and is not in deploy/.env.example"
        raise AssertionError(msg)

    return _VARIABLE.sub(one, value)


def test_the_stack_has_every_part() -> None:
    assert set(SERVICES) >= {
        "kafka",
        "clickhouse",
        "grafana",
        "prometheus",
        "alertmanager",
        "migrate",
        "worker",
    }


def test_every_variable_is_defaulted_or_in_the_example_env() -> None:
    env = _example_env()
    text = (DEPLOY / "compose.yaml").read_text("utf-8")
    for match in _VARIABLE.finditer(text):
        _interpolate(match[0], env)


def test_every_mounted_file_exists() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name} mounts missing {source}"


def test_depends_on_names_services() -> None:
    for name, service in SERVICES.items():
        needs = service.get("depends_on", [])
        assert set(needs) <= set(SERVICES), f"{name} depends on an unknown service"


def test_the_image_copies_every_shipped_package_and_the_migrations() -> None:
    build = SERVICES["migrate"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    dockerfile = (context / build["dockerfile"]).read_text("utf-8")
    copied = {
        source
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
    }
    for source in copied:
        assert (context / source).exists(), f"Dockerfile copies missing {source}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"sql", "pyproject.toml", "README.md"} == copied
    assert SERVICES["worker"]["image"] == SERVICES["migrate"]["image"]


def _worker_environment() -> dict[str, str]:
    env = _example_env()
    raw: dict[str, Any] = SERVICES["worker"]["environment"]
    return {key: _interpolate(str(value), env) for key, value in raw.items()}


def test_the_workers_settings_load_from_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no kefu.toml: environment only
    for key, value in _worker_environment().items():
        monkeypatch.setenv(key, value)
    settings = KefuSettings()
    assert settings.kafka_bootstrap == "kafka:9092"
    assert settings.clickhouse_url == "http://clickhouse:8123"
    assert settings.clickhouse_password.get_secret_value()
    assert settings.web_host == "0.0.0.0"  # noqa: S104 - scraped by Prometheus across containers


def test_health_checks_ask_the_workers_endpoints() -> None:
    port = _worker_environment()["KEFU_WEB_PORT"]
    probe = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/ready" in probe
    assert f"127.0.0.1:{port}/health" in (DEPLOY / "Dockerfile").read_text("utf-8")
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "compose.yml").read_text("utf-8"))
    assert scrape["scrape_configs"][0]["dns_sd_configs"][0]["port"] == int(port)


def test_compose_datasources_match_the_generated_ones_but_for_hosts() -> None:
    def load(path: Path) -> list[dict[str, Any]]:
        return yaml.safe_load(path.read_text("utf-8"))["datasources"]

    generated = load(ROOT / "grafana" / "provisioning" / "datasources" / "kefu.yaml")
    compose = load(DEPLOY / "grafana" / "datasources.yaml")
    local = {"host", "url", "username"}

    def strip(source: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in source.items() if k not in local}
        kept["jsonData"] = {k: v for k, v in source["jsonData"].items() if k not in local}
        return kept

    assert [strip(s) for s in compose] == [strip(s) for s in generated]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian prometheus) absent")
def test_the_compose_prometheus_config_is_valid() -> None:
    done = subprocess.run(
        [
            "promtool",
            "check",
            "config",
            "--syntax-only",
            str(DEPLOY / "prometheus" / "compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
