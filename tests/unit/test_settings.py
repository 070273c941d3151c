"""Settings: environment over file over defaults, per-shop overrides, clear validation errors."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.errors import ConfigError
from core.settings import KefuSettings


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = KefuSettings()
    assert settings.embedded_kafka and settings.embedded_store
    assert settings.shop("any").service_start == time(8, 0)


def test_file_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(
        'partitions = 8\n[shop_defaults]\nthreshold = 0.85\n[shops.s9]\ntimezone = "Europe/Berlin"\nservice_start = "09:00:00"\n'
    )
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    monkeypatch.setenv("KEFU_PARTITIONS", "6")
    monkeypatch.setenv("KEFU_CLICKHOUSE_PASSWORD", "s3cret")
    settings = KefuSettings()
    assert settings.partitions == 6
    shop = settings.shop("s9")
    assert (shop.timezone, shop.service_start, shop.threshold) == ("Europe/Berlin", time(9), 0.85)
    assert settings.shop("s1").threshold == 0.85
    assert "s3cret" not in str(settings.masked())


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[shops.s1]\ntimezone = "Mars/Base"\n', "unknown time zone"),
        ('[shops.s1]\nservice_start = "23:00:00"\nservice_end = "08:00:00"\n', "must be before"),
        ("[shop_defaults]\nthreshold = 1.5\n", "less than or equal to 1"),
        ("nonsense_key = 1\n", "Extra inputs are not permitted"),
    ],
)
def test_invalid_configuration_is_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, message: str
) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(toml)
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    with pytest.raises(ValidationError, match=message):
        KefuSettings()


@pytest.mark.parametrize(
    ("toml", "variable"),
    [
        ('clickhouse_password = "hunter2"\n', "KEFU_CLICKHOUSE_PASSWORD"),
        ('grafana_token = "glsa_x"\n', "KEFU_GRAFANA_TOKEN"),
        (
            '[notify.channels.ops]\nkind = "dingtalk"\nurl = "https://x"\n',
            "KEFU_NOTIFY__CHANNELS__OPS__URL",
        ),
    ],
)
def test_secrets_in_the_config_file_are_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, toml: str, variable: str
) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(toml)
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    with pytest.raises(ConfigError, match=f"set {variable} in the environment"):
        KefuSettings()
