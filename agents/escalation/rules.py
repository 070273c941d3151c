"""What an escalation is and its id: one per conversation, rule and business day."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from core.settings import EscalationRule, Severity


@dataclass(slots=True)
class Escalation:
    escalation_id: str
    shop_id: str
    buyer_id: str
    agent_id: str
    rule: EscalationRule
    severity: Severity
    occurred_at: int  # UTC epoch ms: the event that matched, or the moment a wait ran out
    business_date: date
    detail: str


def escalation_id(shop_id: str, buyer_id: str, rule: str, business_date: date) -> str:
    """Deterministic, so a replay or restart raises the same escalation, never a second one."""
    key = f"{shop_id}\x1f{buyer_id}\x1f{rule}\x1f{business_date.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]
