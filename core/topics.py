"""Topic names and their creation; raw topics are upstream's contract, the rest are ours."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from core.errors import ServiceUnavailable
from core.settings import KefuSettings

log = logging.getLogger(__name__)

RAW_KINDS = ("chat", "refund", "order", "feedback")
_KIND_OF_TYPE = {
    "chat.message": "chat",
    "refund": "refund",
    "order": "order",
    "rating": "feedback",
    "complaint": "feedback",
}


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str

    def raw(self, kind: str) -> str:
        return f"{self.prefix}.raw.{kind}"

    @property
    def raw_all(self) -> list[str]:
        return [self.raw(kind) for kind in RAW_KINDS]

    def raw_for_type(self, event_type: object) -> str:
        """Where a producer sends an event; unknown types still go somewhere to be dead-lettered."""
        return self.raw(_KIND_OF_TYPE.get(str(event_type), "chat"))

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def changelog(self) -> str:
        return f"{self.prefix}.state-changelog"

    @property
    def inquiry_changes(self) -> str:
        return f"{self.prefix}.inquiry-changes"

    @property
    def dead_letters(self) -> str:
        return f"{self.prefix}.dead-letters"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}.alerts"

    @property
    def alerts_dead(self) -> str:
        """Alerts the notifier could not deliver after its retries, parked for a person."""
        return f"{self.prefix}.alerts-dead"

    @property
    def escalations(self) -> str:
        return f"{self.prefix}.escalations"

    @property
    def work_order_events(self) -> str:
        """Work-order lifecycle: people's actions (CLI, HTTP) and the stream's SLA clocks."""
        return f"{self.prefix}.work-order-events"

    @property
    def escalation_state(self) -> str:
        """Escalation-stage snapshots; partition N belongs to events partition N."""
        return f"{self.prefix}.escalation-state"

    @property
    def qc_findings(self) -> str:
        """Quality-inspection findings, keyed by the message's event id."""
        return f"{self.prefix}.qc-findings"

    @property
    def script_uses(self) -> str:
        """Agent replies matched to a script of the shop's library, keyed by event id."""
        return f"{self.prefix}.script-uses"

    @property
    def qc_state(self) -> str:
        """QC-stage snapshots; partition N belongs to events partition N."""
        return f"{self.prefix}.qc-state"

    @property
    def alert_controls(self) -> str:
        """Silences and acks of alerts (`kefu alerts silence|ack`), compacted by control id."""
        return f"{self.prefix}.alert-controls"

    @property
    def alarm_state(self) -> str:
        """Alarm state snapshots; partition N belongs to inquiry-changes partition N."""
        return f"{self.prefix}.alarm-state"


def topics_for(settings: KefuSettings) -> Topics:
    return Topics(settings.topic_prefix)


async def ensure_topics(bootstrap: str, settings: KefuSettings) -> None:
    """Create missing topics; the internal ones share one partition count on purpose.

    The state changelog partition N holds the state of events partition N, so both must
    have the same number of partitions.
    """
    topics = topics_for(settings)
    wanted = {name: settings.raw_partitions for name in topics.raw_all}
    wanted |= {
        topics.events: settings.partitions,
        topics.changelog: settings.partitions,
        topics.inquiry_changes: settings.partitions,
        topics.alarm_state: settings.partitions,
        topics.escalation_state: settings.partitions,
        topics.qc_state: settings.partitions,
        topics.qc_findings: settings.partitions,
        topics.script_uses: settings.partitions,
    }
    wanted |= {topics.dead_letters: 1, topics.alerts: 1, topics.alerts_dead: 1}
    # One partition each: low volume, and one book folds every order in arrival order.
    wanted |= {topics.escalations: 1, topics.work_order_events: 1}
    wanted |= {topics.alert_controls: 1}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name, num_partitions=n, replication_factor=1, topic_configs=_config(name))
            for name, n in wanted.items()
            if name not in existing
        ]
        if missing:
            await admin.create_topics(missing)
            log.info("created topics %s", [t.name for t in missing])
        await _wait_for_leaders(admin, wanted)
    except KafkaError as exc:
        msg = f"cannot create topics on Kafka at {bootstrap}: {exc}"
        raise ServiceUnavailable(msg) from exc
    finally:
        await admin.close()


# Every worker reads all controls from the start; compaction keeps the latest per id.
# The state changelog is read from its newest full snapshot; compaction removes the records
# its writer deleted, and nothing live ever expires (no time retention). Hour-long segments
# let the cleaner reach deleted records within hours rather than after a week-long segment.
_CONFIGS = {
    ".alert-controls": {"cleanup.policy": "compact"},
    ".state-changelog": {
        "cleanup.policy": "compact",
        "segment.ms": str(3600 * 1000),
        "delete.retention.ms": str(24 * 3600 * 1000),
        "min.cleanable.dirty.ratio": "0.5",
    },
}


def _config(topic: str) -> dict[str, str]:
    return next((c for suffix, c in _CONFIGS.items() if topic.endswith(suffix)), {})


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, wanted: dict[str, int], timeout: float = 30.0
) -> None:
    """Apache Kafka acknowledges a new topic before its partitions have leaders.

    A consumer that subscribes in that gap starts with part of its assignment, and ingest's
    watermark would then run ahead of the partitions it does not read yet.
    """
    deadline = time.monotonic() + timeout
    while True:
        described = await admin.describe_topics(list(wanted))
        ready = {
            d["topic"]
            for d in described
            if len(d["partitions"]) == wanted[d["topic"]]
            and all(p["leader"] >= 0 for p in d["partitions"])
        }
        if ready == set(wanted):
            return
        if time.monotonic() > deadline:
            msg = f"topics without leaders after {timeout:.0f}s: {sorted(set(wanted) - ready)}"
            raise ServiceUnavailable(msg)
        await asyncio.sleep(0.1)
