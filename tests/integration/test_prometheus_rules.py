"""deploy/prometheus and deploy/alertmanager pass the real tools' checks and rule unit tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.prom_fixtures import require_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def run(*cmd: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=DEPLOY)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_rules_and_config_check() -> None:
    (promtool,) = require_binary("promtool")
    assert "SUCCESS" in run(promtool, "check", "rules", "prometheus/rules.yml")
    assert "SUCCESS" in run(promtool, "check", "config", "prometheus/prometheus.yml")


def test_rule_unit_tests_pass() -> None:
    (promtool,) = require_binary("promtool")
    assert "SUCCESS" in run(promtool, "test", "rules", "prometheus/rules_test.yml")


def test_alertmanager_config_checks() -> None:
    (amtool,) = require_binary("amtool")
    assert "SUCCESS" in run(amtool, "check-config", "alertmanager/alertmanager.yml")
