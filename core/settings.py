"""The one settings model: `KEFU_` environment variables over a TOML config file over defaults."""

from __future__ import annotations

import logging
import os
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.errors import ConfigError
from core.kpi.settings import KpiSettings

log = logging.getLogger(__name__)

ChannelKind = Literal["webhook", "dingtalk", "wecom", "feishu", "slack", "alertmanager"]
Severity = Literal["critical", "warning"]
EscalationRule = Literal[
    "complaint_threat",
    "long_wait",
    "repeated_unanswered",
    "dispute_opened",
    "refund_rejected_twice",
    "low_rating",
]
Priority = Literal["p1", "p2"]


def _escalation_severities() -> dict[EscalationRule, Severity]:
    return {
        "complaint_threat": "critical",
        "long_wait": "warning",
        "repeated_unanswered": "warning",
        "dispute_opened": "critical",
        "refund_rejected_twice": "critical",
        "low_rating": "warning",
    }


CONFIG_ENV = "KEFU_CONFIG"
DEFAULT_CONFIG_FILE = Path("kefu.toml")


class ShopSettings(BaseModel):
    """Per-shop overrides; every field has the default of docs/metrics.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = "Asia/Shanghai"
    service_start: time = time(8, 0)
    service_end: time = time(23, 0)
    threshold: float = Field(0.80, ge=0, le=1)
    hysteresis: float = Field(0.05, ge=0, le=1)
    min_inquiries: int = Field(10, ge=1)
    window_minutes: int = Field(15, ge=1)
    eval_every_seconds: int = Field(60, ge=1)
    renotify_minutes: int = Field(30, ge=1)
    warn_after_seconds: int = Field(240, ge=1)
    idle_resolve_minutes: int = Field(
        30, ge=1, description="a firing alert whose window stays empty this long resolves"
    )
    refire_after_minutes: int = Field(
        15, ge=0, description="no new alert this soon after a resolution, unless it got worse"
    )
    escalation_rules: dict[EscalationRule, Severity] = Field(
        default_factory=_escalation_severities,
        description="escalation rules in force and their severities; a rule left out is off",
    )
    escalate_after_seconds: int = Field(
        480, ge=1, description="long_wait: a buyer waiting this long, counted like reply clocks"
    )
    unanswered_messages: int = Field(
        3, ge=2, description="repeated_unanswered: buyer messages in a row without a human reply"
    )
    oncall_owner: str = Field(
        "oncall", min_length=1, description="owner of work orders whose agent has no lead"
    )
    staffing_target_rate: float = Field(
        0.80, gt=0, lt=1, description="staffing: share of inquiries to answer within the time below"
    )
    staffing_target_seconds: int = Field(
        180, ge=1, description="staffing: the answer time of the target (the 3-minute basis)"
    )
    campaign_days: tuple[date, ...] = Field(
        (), description="the shop's own promotion days (店铺活动), forecast like platform ones"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_threat_words(cls, data: Any) -> Any:
        if isinstance(data, dict) and "threat_words" in data:
            msg = (
                "threat_words is gone: complaint threats come from the QC dictionary's "
                "complaint_threat rules; add a shop's words in qc.shops_file under "
                "shops.<shop>.rules with category complaint_threat"
            )
            raise ValueError(msg)
        return data

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {value!r}"
            raise ValueError(msg) from exc
        return value

    @model_validator(mode="after")
    def _hours_in_order(self) -> ShopSettings:
        if self.service_start >= self.service_end:
            msg = (
                f"service_start {self.service_start} must be before service_end {self.service_end}"
            )
            raise ValueError(msg)
        return self

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class ChannelSettings(BaseModel):
    """A notification channel; `url` (with its token) and `secret` come from the environment.

    KEFU_NOTIFY__CHANNELS__<NAME>__URL and KEFU_NOTIFY__CHANNELS__<NAME>__SECRET (DingTalk
    and Feishu signing secrets); `kind` may sit in the config file. For `alertmanager`, url
    is the Alertmanager base URL (…:9093).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ChannelKind
    url: SecretStr
    secret: SecretStr = SecretStr("")


class RouteSettings(BaseModel):
    """Alerts of these shops and severities go to these channels; empty lists match all."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    shops: list[str] = Field(default_factory=list)
    severities: list[Severity] = Field(default_factory=list)
    channels: list[str]


def _rule_severities() -> dict[str, Severity]:
    return {
        "reply_rate_5m": "critical",
        "waiting_buyer": "warning",
        "work_order_first_action_sla": "critical",
        "work_order_resolve_sla": "critical",
        "qc_critical": "critical",
    }


class NotifySettings(BaseModel):
    """Where alerts go and how hard the notifier tries before parking one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    board_url: str | None = Field(
        None,
        description="link template in every message ({shop}, {from_ms}, {to_ms}); "
        "default: the live-floor board under board_base_url or grafana_url",
    )
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    routes: list[RouteSettings] = Field(default_factory=list)
    severities: dict[str, Severity] = Field(default_factory=_rule_severities)
    # 1+2+4+…+64 then 120 s steps: 12 attempts span about ten minutes of receiver downtime.
    max_attempts: int = Field(12, ge=1)
    retry_initial_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(120.0, gt=0)
    timeout_seconds: float = Field(10.0, gt=0)

    @model_validator(mode="after")
    def _routes_name_channels(self) -> NotifySettings:
        for route in self.routes:
            unknown = sorted(set(route.channels) - set(self.channels))
            if unknown:
                msg = f"route names unknown channels {unknown}; known: {sorted(self.channels)}"
                raise ValueError(msg)
        return self


class SlaSettings(BaseModel):
    """Service-time clocks of one work-order priority (docs/metrics.md, "Work orders")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_action_minutes: int = Field(ge=1)
    resolve_minutes: int = Field(ge=1)


def _default_priorities() -> dict[Severity, Priority]:
    return {"critical": "p1", "warning": "p2"}


def _default_sla() -> dict[Priority, SlaSettings]:
    return {
        "p1": SlaSettings(first_action_minutes=15, resolve_minutes=240),
        "p2": SlaSettings(first_action_minutes=60, resolve_minutes=720),
    }


class WorkOrderSettings(BaseModel):
    """Who owns a work order and how fast it must move; the HTTP token comes from the env."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    leads: dict[str, str] = Field(
        default_factory=dict, description="agent_id -> the lead who owns that agent's orders"
    )
    priorities: dict[Severity, Priority] = Field(default_factory=_default_priorities)
    sla: dict[Priority, SlaSettings] = Field(default_factory=_default_sla)
    http_token: SecretStr = Field(
        SecretStr(""),
        description="bearer token of the lifecycle endpoint (KEFU_WORK_ORDERS__HTTP_TOKEN)",
    )

    @model_validator(mode="after")
    def _every_priority_has_a_clock(self) -> WorkOrderSettings:
        missing = sorted(set(self.priorities.values()) - set(self.sla))
        if missing:
            msg = f"work_orders.sla lacks priorities {missing}"
            raise ValueError(msg)
        return self


QcSeverity = Literal["critical", "warning", "info"]


def _qc_weights() -> dict[QcSeverity, float]:
    return {"critical": 10.0, "warning": 3.0, "info": 1.0}


class QcSettings(BaseModel):
    """Quality inspection (docs/metrics.md#quality-inspection): dictionaries and score weights."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    dictionary: Path | None = Field(
        None, description="QC dictionary (YAML); default: the one that ships (agents/qc)"
    )
    shops_file: Path | None = Field(
        None, description="per-shop rules, allow-lists and promotions (YAML `shops:`)"
    )
    reload_seconds: float = Field(
        10.0, gt=0, description="how often the dictionary files are checked for changes"
    )
    severity_weights: dict[QcSeverity, float] = Field(
        default_factory=_qc_weights, description="penalty per finding in the QC score"
    )
    critical_alerts: bool = Field(
        True, description="raise a qc_critical alert for each critical agent or bot finding"
    )
    scripts_file: Path | None = Field(
        None,
        description="the shops' prepared replies (话术库), YAML `scripts:` [{id, shop, intent, text}]",
    )
    script_threshold: float = Field(
        85.0, ge=0, le=100, description="similarity (0..100) from which a reply uses a script"
    )


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ShiftSettings(BaseModel):
    """Shift rules for `kefu plan` (排班): lengths, the break, the agent limit and the roster."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lengths_hours: tuple[float, ...] = Field(
        (8.0, 4.0), min_length=1, description="allowed shift lengths, in half hours' steps"
    )
    break_from_hours: float = Field(
        6.0, gt=0, description="a shift this long or longer has one half-hour break"
    )
    break_margin_hours: float = Field(
        2.0, ge=0, description="no break in a shift's first or last this many hours"
    )
    max_agents_per_day: int | None = Field(None, ge=0, description="at most this many shifts a day")
    agents: dict[str, tuple[str, ...]] | None = Field(
        None,
        description="the roster: agent -> days off (mon..sun or YYYY-MM-DD); each agent works "
        "at most one shift a day",
    )

    @field_validator("lengths_hours")
    @classmethod
    def _half_hours(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        for hours in value:
            if hours <= 0 or hours * 2 != round(hours * 2):
                msg = f"shift length {hours} h is not a positive number of half hours"
                raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _room_for_the_break(self) -> ShiftSettings:
        for hours in self.lengths_hours:
            if hours >= self.break_from_hours and hours <= 2 * self.break_margin_hours:
                msg = (
                    f"a {hours} h shift has no room for its break outside the first and last "
                    f"{self.break_margin_hours} h"
                )
                raise ValueError(msg)
        return self

    @field_validator("agents")
    @classmethod
    def _days_off(
        cls, value: dict[str, tuple[str, ...]] | None
    ) -> dict[str, tuple[str, ...]] | None:
        for agent, days in (value or {}).items():
            for day in days:
                if day not in _WEEKDAYS and not _is_iso_date(day):
                    msg = f"day off {day!r} of {agent} is neither mon..sun nor YYYY-MM-DD"
                    raise ValueError(msg)
        return value


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


class PlanningSettings(BaseModel):
    """Forecast and staffing (docs/metrics.md#staffing); per-shop targets are in ShopSettings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    promotion_dates: tuple[str, ...] = Field(
        ("06-18", "11-11", "12-12"),
        description="platform promotion days (大促) as MM-DD, every year: 618, 双11, 双12",
    )
    promotion_multiplier: float = Field(
        2.0,
        gt=0,
        description="inquiries on a promotion day over an ordinary one, used while the "
        "history holds no promotion day to learn it from",
    )
    forecast_level: int = Field(80, ge=50, le=99, description="prediction interval, percent")
    history_days: int = Field(28, ge=2, description="days of shop_intervals the forecast reads")
    shifts: ShiftSettings = ShiftSettings()

    @field_validator("promotion_dates")
    @classmethod
    def _month_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for text in value:
            try:
                date.fromisoformat(f"2024-{text}")  # a leap year: 02-29 is a valid day
            except ValueError as exc:
                msg = f"promotion date {text!r} is not MM-DD"
                raise ValueError(msg) from exc
        return value


class RollupSettings(BaseModel):
    """Exact rollups of the daily and minutely views (docs/analysts.md "Rollups")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    refresh_seconds: float = Field(
        30.0,
        ge=0,
        description="how often the worker stores the FINAL computation of changed periods "
        "(0: never; run `kefu db rollup` instead). With several workers, one is enough",
    )
    settle_seconds: float = Field(
        60.0,
        ge=0,
        description="a period is refreshed once no insert has changed it for this long, so "
        "the live hour and day are computed at read time rather than stored every run",
    )
    minute_days: int = Field(
        0,
        ge=0,
        description="days the minute tier keeps its rows (0: forever); older minutes then leave "
        "shop_minutely and agent_minutely, as a tiered store's retention means",
    )
    hour_days: int = Field(
        0, ge=0, description="days the hour tier (shop_hourly, agent_hourly) keeps its rows"
    )
    day_days: int = Field(
        0,
        ge=0,
        description="days the day tier keeps its rows (0: forever), the daily inputs of "
        "the 30-day refund rates (paid_orders_daily, refund_daily) included",
    )


class KefuSettings(BaseSettings):
    """Everything the workers and the CLI read; frozen once loaded."""

    model_config = SettingsConfigDict(
        env_prefix="KEFU_",
        env_nested_delimiter="__",
        frozen=True,
        extra="forbid",
    )

    kafka_bootstrap: str | None = Field(
        None, description="host:port list; unset means the embedded Tansu broker"
    )
    clickhouse_url: str | None = Field(
        None, description="http(s)://host:port of a ClickHouse server; unset means embedded chDB"
    )
    clickhouse_user: str = "default"
    clickhouse_password: SecretStr = SecretStr("")
    clickhouse_database: str = "kefu"

    home: Path = Field(Path(".kefu"), description="embedded broker and store live under here")
    store_path: Path | None = Field(
        None, description="embedded store directory; default home/store"
    )
    app_id: str = "kefu-pulse"
    topic_prefix: str = "kefu"
    partitions: int = Field(
        4, ge=1, description="partitions of the internal, conversation-keyed topics"
    )
    raw_partitions: int = Field(4, ge=1, description="partitions of raw topics we create ourselves")

    broker_session_timeout: float = 4.0
    broker_heartbeat_interval: float = 1.0
    # A member gives its partitions up only after it has stored and checkpointed what it
    # applied; a group that stopped waiting for it sooner would let the next owner start
    # from an older checkpoint while this one still writes (two owners of one state).
    broker_rebalance_timeout: float = Field(
        60.0,
        gt=0,
        description="how long a rebalance waits for a member to store its partitions' state and rejoin",
    )

    ingest_max_records: int = Field(5000, ge=1)
    ingest_poll_ms: int = Field(100, ge=1)
    # How long a fetch may wait for data. Apache Kafka answers a fetch as soon as one record
    # arrives, so this only bounds the wait on an idle topic; Tansu, the embedded broker, holds
    # a fetch for about this long even when data arrives (measured: 500 ms gave 140 ms per
    # hop, faust's own 1,500 ms 340 ms), which event → stored paid twice (raw and events topic).
    fetch_max_wait_ms: int = Field(
        100,
        ge=1,
        description="the longest a consumer's fetch waits for data (ingest and the faust worker)",
    )
    lateness_seconds: int = Field(30, ge=0)
    dedup_window_minutes: int = Field(
        30, ge=1, description="event time for which a redelivered event id is recognised"
    )
    conversation_memory_days: int = Field(
        7,
        ge=1,
        description="a conversation without a message this long starts afresh and is forgotten",
    )
    fact_memory_days: int = Field(
        7,
        ge=1,
        description="a refund or order without an event this long leaves memory (the store keeps it)",
    )
    ingest_idle_seconds: float = Field(
        5.0, gt=0, description="a raw partition without data this long stops holding event time"
    )
    ingest_align_seconds: int = Field(
        5, ge=0, description="how far one raw partition may run ahead of another in event time"
    )
    # Both cost CPU in proportion to the state changed (checkpoints) or held (alarm
    # snapshots: a window span of inquiries per shop), and a crash replays at most this much
    # input. Profiled live at 9k events/s, 2 s alarm snapshots took 16% of the worker.
    checkpoint_seconds: float = Field(
        10.0, ge=0, description="under load, how often the stateful stage checkpoints and acks"
    )
    checkpoint_delta_ratio: float = Field(
        2.0,
        gt=0,
        description="a full state checkpoint is due once the deltas since the last full one "
        "add up to this share of its size: higher writes fewer full ones (less CPU), and a "
        "restore reads more",
    )
    alarm_snapshot_seconds: float = Field(
        10.0, ge=0, description="how often the alarm agent snapshots its state and acks its input"
    )
    # Deltas carry only the rows changed since the previous snapshot (a few seconds of a
    # 20-minute span); a restore reads the newest full one and at most this many after it.
    alarm_snapshot_full_every: int = Field(
        30,
        ge=0,
        description="alarm and side-stage (escalations, QC) snapshots between two full ones "
        "are deltas (what changed since the one before); a full one after this many deltas, "
        "0 for full snapshots only",
    )
    alarm_snapshot_delta_ratio: float = Field(
        1.0,
        gt=0,
        description="a full alarm or side-stage snapshot is also due once the deltas since the "
        "last full one add up to this share of its size (bounds what a restore reads)",
    )
    raw_text_ttl_days: int = Field(180, ge=1)
    sink_give_up_seconds: float = Field(
        300.0,
        gt=0,
        description="after inserts have failed this long the worker exits non-zero for its "
        "supervisor to restart it; input stays unacked meanwhile",
    )

    web_host: str = "127.0.0.1"
    web_port: int = 6066
    store_http_port: int = Field(8123, description="embedded store's ClickHouse HTTP interface")

    grafana_url: str = Field(
        "http://127.0.0.1:3000", description="the Grafana that `kefu grafana push` provisions"
    )
    grafana_token: SecretStr = Field(
        SecretStr(""), description="Grafana service-account token (KEFU_GRAFANA_TOKEN)"
    )
    board_base_url: str | None = Field(
        None, description="base URL of board links in alert messages; default grafana_url"
    )

    shop_defaults: ShopSettings = ShopSettings()
    shops: dict[str, ShopSettings] = Field(default_factory=dict)
    notify: NotifySettings = NotifySettings()
    work_orders: WorkOrderSettings = WorkOrderSettings()
    qc: QcSettings = QcSettings()

    conversion_status: Literal["paid", "grouped"] = Field(
        "paid",
        description="order status whose first time converts a buyer-day (docs/metrics.md#conversion)",
    )
    kpi: KpiSettings = Field(
        default_factory=KpiSettings, description="scorecard (docs/metrics.md#kpi-score)"
    )
    planning: PlanningSettings = PlanningSettings()
    rollups: RollupSettings = RollupSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = _TomlWithoutSecrets(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)

    @model_validator(mode="before")
    @classmethod
    def _shops_inherit_defaults(cls, data: Any) -> Any:
        """A shop section overrides only what it names; the rest comes from shop_defaults."""
        if not isinstance(data, dict) or not isinstance(data.get("shops"), dict):
            return data
        base = data.get("shop_defaults") or {}
        if isinstance(base, ShopSettings):
            base = base.model_dump()
        data = dict(data)
        data["shops"] = {
            shop: {
                **base,
                **(over.model_dump(exclude_unset=True) if isinstance(over, ShopSettings) else over),
            }
            for shop, over in data["shops"].items()
        }
        return data

    def shop(self, shop_id: str) -> ShopSettings:
        return self.shops.get(shop_id, self.shop_defaults)

    @property
    def embedded_kafka(self) -> bool:
        return self.kafka_bootstrap is None

    @property
    def embedded_store(self) -> bool:
        return self.clickhouse_url is None

    @property
    def store_dir(self) -> Path:
        return self.store_path or self.home / "store"

    def masked(self) -> dict[str, Any]:
        """The effective configuration as it may be logged: secrets masked by SecretStr."""
        return self.model_dump(mode="json", exclude={"shops"}) | {"shops": sorted(self.shops)}


TOP_LEVEL_SECRETS = frozenset({"clickhouse_password", "grafana_token"})


class _TomlWithoutSecrets(TomlConfigSettingsSource):
    """The config file, refusing secrets (passwords, tokens, channel URLs): environment only."""

    def __call__(self) -> dict[str, Any]:
        data = super().__call__()
        for key in sorted(set(data) & TOP_LEVEL_SECRETS):
            msg = f"{key} is a secret: set KEFU_{key.upper()} in the environment, not in the config file"
            raise ConfigError(msg)
        channels = (data.get("notify") or {}).get("channels") or {}
        for name, channel in channels.items():
            leaked = sorted(set(channel or {}) & {"url", "secret"})
            if leaked:
                env = f"KEFU_NOTIFY__CHANNELS__{name.upper()}__{leaked[0].upper()}"
                msg = f"notify.channels.{name}.{leaked[0]} is a secret: set {env} in the environment, not in the config file"
                raise ConfigError(msg)
        if "http_token" in (data.get("work_orders") or {}):
            msg = "work_orders.http_token is a secret: set KEFU_WORK_ORDERS__HTTP_TOKEN in the environment, not in the config file"
            raise ConfigError(msg)
        return data


def config_file() -> Path | None:
    """The TOML file named by KEFU_CONFIG, else ./kefu.toml when present."""
    named = os.environ.get(CONFIG_ENV)
    if named:
        return Path(named)
    return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None


def load_settings(**overrides: Any) -> KefuSettings:
    return KefuSettings(**overrides)
