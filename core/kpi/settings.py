"""KPI settings (docs/metrics.md#kpi-score): weights, floors and targets per role and stage, coaching topics.

Part of the one settings model (`core.settings.KefuSettings.kpi`), kept here beside the
scoring it configures. A `[kpi.weights.<role>.<stage>]` table in the config file replaces that
one table; roles and stages it does not name keep their defaults, and so do coaching topics.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.kpi.metrics import BY_NAME, NAMES

Role = Literal["presale", "aftersale"]
Stage = Literal["launch", "steady"]

# Weights must sum to 1; this much float noise (0.1 + 0.2) is forgiven.
SUM_TOLERANCE = 1e-6


class MetricTarget(BaseModel):
    """One scored metric: its weight, the value scoring 0 (floor) and the one scoring 100."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weight: float = Field(gt=0, le=1)
    floor: float
    target: float

    @model_validator(mode="after")
    def _floor_is_not_target(self) -> MetricTarget:
        if self.floor == self.target:
            msg = f"floor and target must differ (both {self.floor})"
            raise ValueError(msg)
        return self


def _m(weight: float, floor: float, target: float) -> dict[str, float]:
    return {"weight": weight, "floor": floor, "target": target}


_AFTERSALE = {
    "dispute_resolution_rate": _m(0.50, 0.30, 0.90),
    "complaint_rate": _m(0.30, 0.05, 0.005),
    "refund_speed": _m(0.20, 6 * 3600, 30 * 60),
}
# docs/metrics.md#kpi-score: the launch table is the spec's default split; a steady shop moves weight from
# conversion to average order value and repeat purchase. After-sales work does not change
# with the business stage.
DEFAULT_WEIGHTS: dict[str, dict[str, dict[str, dict[str, float]]]] = {
    "presale": {
        "launch": {
            "response_speed": _m(0.30, 120, 20),
            "conversion_rate": _m(0.40, 0.10, 0.50),
            "positive_rating_rate": _m(0.30, 0.60, 0.95),
        },
        "steady": {
            "response_speed": _m(0.25, 120, 20),
            "conversion_rate": _m(0.30, 0.10, 0.50),
            "positive_rating_rate": _m(0.25, 0.60, 0.95),
            "avg_order_value": _m(0.10, 20, 100),
            "repeat_purchase_rate": _m(0.10, 0.0, 0.30),
        },
    },
    "aftersale": {"launch": dict(_AFTERSALE), "steady": dict(_AFTERSALE)},
}

DEFAULT_COACHING: dict[str, str] = {
    "response_speed": "conversation drills: first reply within 30 s, quick phrases (快捷短语)",
    "conversion_rate": "cross-selling course (关联销售)",
    "positive_rating_rate": "service etiquette and follow-up (服务礼仪)",
    "avg_order_value": "bundles and upselling (搭配销售)",
    "repeat_purchase_rate": "returning-customer care (老客维护)",
    "complaint_rate": "complaint prevention: tone and expectations (投诉预防)",
    "dispute_resolution_rate": "platform dispute rules and evidence (纠纷规则与举证)",
    "refund_speed": "after-sales workflow: decide refunds fast (售后处理流程)",
    "dispute_refund_rate": "refund policy and merchant responsibility (退款规则)",
    "work_order_sla_rate": "escalated conversations: act and close within the SLA (工单处理时效)",
    "qc_score": "service standards: no off-platform contact, banned claims or shrugs (服务规范)",
}

Table = dict[str, MetricTarget]


class KpiSettings(BaseModel):
    """Who is scored how: agent roles, shop stages, the weight tables and coaching topics."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_role: Role = "presale"
    default_stage: Stage = "launch"
    agent_roles: dict[str, Role] = Field(default_factory=dict)
    shop_stages: dict[str, Stage] = Field(default_factory=dict)
    weights: dict[Role, dict[Stage, Table]] = Field(default_factory=dict)
    coaching: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        """Named tables and topics replace the defaults one by one; the rest stay."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        given = data.get("weights") or {}
        if isinstance(given, dict):
            merged: dict[Any, Any] = {
                role: dict(stages) for role, stages in DEFAULT_WEIGHTS.items()
            }
            for role, stages in given.items():
                if isinstance(stages, dict) and role in merged:
                    merged[role].update(stages)
                else:
                    merged[role] = stages  # field validation names the bad role
            data["weights"] = merged
        coaching = data.get("coaching") or {}
        if isinstance(coaching, dict):
            data["coaching"] = {**DEFAULT_COACHING, **coaching}
        return data

    @field_validator("weights")
    @classmethod
    def _tables_valid(cls, weights: dict[str, dict[str, Table]]) -> dict[str, dict[str, Table]]:
        for role, stages in weights.items():
            for stage, table in stages.items():
                _check_table(f"{role}.{stage}", table)
        return weights

    @field_validator("coaching")
    @classmethod
    def _known_topics(cls, coaching: dict[str, str]) -> dict[str, str]:
        for metric in coaching:
            _known(metric, "coaching topic for")
        return coaching

    def role_of(self, agent_id: str) -> str:
        return self.agent_roles.get(agent_id, self.default_role)

    def stage_of(self, shop_id: str) -> str:
        return self.shop_stages.get(shop_id, self.default_stage)

    def table(self, role: str, stage: str) -> Table:
        return self.weights[role][stage]  # type: ignore[index]

    def topic(self, metric: str) -> str:
        return self.coaching.get(metric) or f"review {BY_NAME[metric].label}"


def _known(metric: str, what: str) -> None:
    if metric not in BY_NAME:
        msg = f"{what} unknown metric {metric!r}; known: {', '.join(NAMES)}"
        raise ValueError(msg)


def _check_table(where: str, table: Table) -> None:
    if not table:
        msg = f"{where}: no metric weighted"
        raise ValueError(msg)
    for metric, spec in table.items():
        _known(metric, f"{where}:")
        lower = BY_NAME[metric].lower_is_better
        if lower and spec.floor < spec.target:
            msg = (
                f"{where}.{metric} is lower-is-better: its floor ({spec.floor}) must be above "
                f"its target ({spec.target})"
            )
            raise ValueError(msg)
        if not lower and spec.floor > spec.target:
            msg = (
                f"{where}.{metric} is higher-is-better: its floor ({spec.floor}) must be below "
                f"its target ({spec.target})"
            )
            raise ValueError(msg)
    total = math.fsum(spec.weight for spec in table.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        msg = f"{where}: weights sum to {total:g}, not 1"
        raise ValueError(msg)
