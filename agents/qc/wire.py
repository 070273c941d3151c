"""QC findings on `kefu.qc-findings` and in `qc_findings`, and the alert a critical one raises;
script uses on `kefu.script-uses` and in `script_uses`."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from agents.alarms.model import FIRING, Alert
from agents.qc.findings import Finding
from agents.qc.model import CRITICAL
from agents.qc.scripts import Script, ScriptUse
from schemas.timestamps import from_epoch_ms

FORMAT_VERSION = 1
QC_CRITICAL = "qc_critical"
# Bots speak for the shop: a bot steering buyers off the platform is as urgent as an agent.
_ALERTING_SENDERS = frozenset({"agent", "bot"})

_LABELS = {
    "off_platform": "站外引流",
    "abusive": "辱骂/怼客户",
    "forbidden_claim": "广告法违禁词",
    "unauthorised_promise": "违规承诺",
}


def finding_json(finding: Finding, business_date: date) -> bytes:
    return orjson.dumps(
        {
            "v": FORMAT_VERSION,
            "event_id": finding.event_id,
            "shop_id": finding.shop_id,
            "buyer_id": finding.buyer_id,
            "agent_id": finding.agent_id,
            "sender": finding.sender,
            "occurred_at": finding.occurred_at_ms,
            "business_date": business_date.isoformat(),
            "category": finding.category,
            "severity": finding.severity,
            "rule_id": finding.rule_id,
            "matched": finding.matched,
        }
    )


def finding_row(raw: bytes) -> tuple[Any, ...]:
    """The tuple in `sinks.tables.QC_FINDINGS` order."""
    body = orjson.loads(raw)
    if body.get("v") != FORMAT_VERSION:
        msg = f"QC finding format {body.get('v')!r} is not {FORMAT_VERSION}"
        raise ValueError(msg)
    return (
        body["event_id"],
        body["shop_id"],
        body["buyer_id"],
        body["agent_id"],
        body["sender"],
        from_epoch_ms(body["occurred_at"]),
        date.fromisoformat(body["business_date"]),
        body["category"],
        body["severity"],
        body["rule_id"],
        body["matched"],
    )


def script_use_json(use: ScriptUse, business_date: date) -> bytes:
    return orjson.dumps(
        {
            "v": FORMAT_VERSION,
            "event_id": use.event_id,
            "shop_id": use.shop_id,
            "buyer_id": use.buyer_id,
            "agent_id": use.agent_id,
            "occurred_at": use.occurred_at_ms,
            "business_date": business_date.isoformat(),
            "script_id": use.script_id,
            "similarity": use.similarity,
        }
    )


def script_use_row(raw: bytes) -> tuple[Any, ...]:
    """The tuple in `sinks.tables.SCRIPT_USES` order."""
    body = orjson.loads(raw)
    if body.get("v") != FORMAT_VERSION:
        msg = f"script use format {body.get('v')!r} is not {FORMAT_VERSION}"
        raise ValueError(msg)
    return (
        body["event_id"],
        body["shop_id"],
        body["buyer_id"],
        body["agent_id"],
        from_epoch_ms(body["occurred_at"]),
        date.fromisoformat(body["business_date"]),
        body["script_id"],
        float(body["similarity"]),
    )


def script_row(script: Script, version: int) -> tuple[Any, ...]:
    """The tuple in `sinks.tables.SCRIPTS` order."""
    return (script.shop_id, script.script_id, script.intent, script.text, version)


def raises_alert(finding: Finding) -> bool:
    return finding.severity == CRITICAL and finding.sender in _ALERTING_SENDERS


def critical_alert(finding: Finding, now_ms: int) -> Alert:
    """Once per message and rule: a replayed finding repeats the alert's id and event time."""
    who = f"客服 {finding.agent_id}" if finding.agent_id else "机器人"
    what = _LABELS.get(finding.category, finding.category)
    message = (
        f"【质检严重违规】店铺 {finding.shop_id} {who} 对买家 {finding.buyer_id}\n"
        f"类别 {what}（{finding.category}，规则 {finding.rule_id}）：「{finding.matched}」\n"
        f"查看：SELECT * FROM qc_findings FINAL WHERE event_id = '{finding.event_id}'"
    )
    return Alert(
        alert_id=f"{QC_CRITICAL}:{finding.event_id}:{finding.rule_id}",
        rule=QC_CRITICAL,
        shop_id=finding.shop_id,
        agent_id=finding.agent_id,
        state=FIRING,
        value=None,
        threshold=None,
        inquiries=0,
        window_start_ms=finding.occurred_at_ms,
        window_end_ms=finding.occurred_at_ms,
        event_time_ms=finding.occurred_at_ms,
        raised_at_ms=now_ms,
        message=message,
    )
