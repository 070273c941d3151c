"""KPI settings: defaults, partial overrides, and every validation error named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.kpi.settings import KpiSettings
from core.settings import KefuSettings


def test_defaults() -> None:
    kpi = KpiSettings()
    assert (kpi.default_role, kpi.default_stage) == ("presale", "launch")
    assert kpi.role_of("s1-a1") == "presale" and kpi.stage_of("s1") == "launch"
    for role in ("presale", "aftersale"):
        for stage in ("launch", "steady"):
            assert sum(t.weight for t in kpi.table(role, stage).values()) == pytest.approx(1.0)


def test_a_table_replaces_only_itself(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(
        'conversion_status = "grouped"\n'
        "[kpi]\n"
        'default_stage = "steady"\n'
        '[kpi.agent_roles]\n"s1-a4" = "aftersale"\n'
        '[kpi.shop_stages]\ns2 = "launch"\n'
        "[kpi.weights.presale.launch]\n"
        "response_speed = { weight = 0.5, floor = 90, target = 15 }\n"
        "conversion_rate = { weight = 0.5, floor = 0.05, target = 0.4 }\n"
        "[kpi.coaching]\n"
        'conversion_rate = "upselling bootcamp"\n'
    )
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    settings = KefuSettings()
    kpi = settings.kpi
    assert settings.conversion_status == "grouped"
    assert kpi.role_of("s1-a4") == "aftersale" and kpi.stage_of("s2") == "launch"
    assert kpi.stage_of("s9") == "steady"
    assert set(kpi.table("presale", "launch")) == {"response_speed", "conversion_rate"}
    assert "avg_order_value" in kpi.table("presale", "steady")  # untouched default
    assert kpi.topic("conversion_rate") == "upselling bootcamp"
    assert "conversation drills" in kpi.topic("response_speed")


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEFU_KPI__DEFAULT_ROLE", "aftersale")
    assert KefuSettings().kpi.default_role == "aftersale"


def _table(**metrics: str) -> dict[str, object]:
    return {"weights": {"presale": {"launch": {m: _spec(v) for m, v in metrics.items()}}}}


def _spec(text: str) -> dict[str, float]:
    weight, floor, target = (float(x) for x in text.split())
    return {"weight": weight, "floor": floor, "target": target}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _table(response_speed="0.3 120 20", conversion_rate="0.4 0.1 0.5"),
            "presale.launch: weights sum to 0.7, not 1",
        ),
        (
            _table(response_speed="0.5 120 20", speed="0.5 0 1"),
            "unknown metric 'speed'; known: response_speed, conversion_rate",
        ),
        (_table(conversion_rate="1 0.5 0.5"), "floor and target must differ"),
        (
            _table(response_speed="1 20 120"),
            "response_speed is lower-is-better: its floor \\(20.0\\) must be above",
        ),
        (
            _table(conversion_rate="1 0.5 0.1"),
            "conversion_rate is higher-is-better: its floor \\(0.5\\) must be below",
        ),
        (
            {"weights": {"presale": {"launch": {"conversion_rate": {"weight": 1, "floor": 0.1}}}}},
            "target\n  Field required",
        ),
        (
            {"weights": {"presale": {"launch": {"conversion_rate": {"weight": 1, "target": 0.5}}}}},
            "floor\n  Field required",
        ),
        (_table(conversion_rate="1.5 0.1 0.5"), "less than or equal to 1"),
        (_table(conversion_rate="0 0.1 0.5"), "greater than 0"),
        ({"weights": {"presale": {"launch": {}}}}, "presale.launch: no metric weighted"),
        ({"weights": {"sales": {}}}, "Input should be 'presale' or 'aftersale'"),
        ({"weights": {"presale": {"growth": {}}}}, "Input should be 'launch' or 'steady'"),
        ({"agent_roles": {"s1-a1": "manager"}}, "Input should be 'presale' or 'aftersale'"),
        ({"shop_stages": {"s1": "mature"}}, "Input should be 'launch' or 'steady'"),
        ({"coaching": {"charm": "smile more"}}, "coaching topic for unknown metric 'charm'"),
        ({"bonus": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_kpi_settings_are_explained(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        KpiSettings.model_validate(data)


def test_a_bad_config_file_names_the_place(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "kefu.toml"
    config.write_text(
        "[kpi.weights.aftersale.steady]\ncomplaint_rate = { weight = 1, floor = 0.005, target = 0.05 }\n"
    )
    monkeypatch.setenv("KEFU_CONFIG", str(config))
    with pytest.raises(ValidationError, match="aftersale.steady.complaint_rate is lower-is-better"):
        KefuSettings()


def test_unknown_conversion_status(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEFU_CONVERSION_STATUS", "shipped")
    with pytest.raises(ValidationError, match="'paid' or 'grouped'"):
        KefuSettings()
