"""The synthetic event generator: reproducible, valid per docs/events.md, noisy only on request."""

from __future__ import annotations

import gzip
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.errors import ConfigError
from pipeline.generator import GenConfig, Incident, generate, paced, write_jsonl

MIDNIGHT = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # 2026-11-23 00:00 in Shanghai
CHINA_MS = 8 * 3_600_000

# --- a checker written from the field tables of docs/events.md, independent of the generator ---

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
Check = Callable[[Any], bool]


def _str(value: Any) -> bool:
    return isinstance(value, str) and len(value) > 0


def _opt_str(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def _opt_one_of(*allowed: str) -> Check:
    return lambda value: value is None or value in allowed


def _amount(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value >= 0
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value):
        try:
            return Decimal(value) >= 0
        except InvalidOperation:
            return False
    return False


def _score(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


# type -> field -> (required, check)
FIELDS: dict[str, dict[str, tuple[bool, Check]]] = {
    "chat.message": {
        "buyer_id": (True, _str),
        "sender": (True, _one_of("buyer", "agent", "bot", "system")),
        "agent_id": (False, _opt_str),
        "msg_type": (False, _one_of("text", "image", "goods", "order", "emoji", "other")),
        "text": (False, _opt_str),
        "order_id": (False, _opt_str),
    },
    "refund": {
        "refund_id": (True, _str),
        "order_id": (True, _str),
        "buyer_id": (True, _str),
        "agent_id": (False, _opt_str),
        "status": (
            True,
            _one_of(
                "requested",
                "agreed",
                "rejected",
                "goods_returned",
                "refunded",
                "cancelled",
                "dispute_opened",
                "dispute_closed",
            ),
        ),
        "amount": (True, _amount),
        "responsibility": (False, _opt_one_of("merchant", "buyer", "platform", "none")),
    },
    "order": {
        "order_id": (True, _str),
        "buyer_id": (True, _str),
        "status": (
            True,
            _one_of("created", "paid", "grouped", "shipped", "completed", "cancelled"),
        ),
        "amount": (True, _amount),
    },
    "rating": {
        "buyer_id": (True, _str),
        "agent_id": (False, _opt_str),
        "score": (True, _score),
    },
    "complaint": {
        "complaint_id": (True, _str),
        "buyer_id": (True, _str),
        "agent_id": (False, _opt_str),
        "order_id": (False, _opt_str),
        "category": (True, _str),
    },
}


def occurred_ms(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and RFC3339.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return int(moment.timestamp() * 1000 + 0.5)
    return None


def when(event: dict[str, Any]) -> int:
    ms = occurred_ms(event["occurred_at"])
    assert ms is not None, event
    return ms


def problems(event: Any) -> list[str]:
    if not isinstance(event, dict):
        return ["not a JSON object"]
    found = []
    for name in ("event_id", "type", "shop_id", "occurred_at"):
        if name not in event:
            found.append(f"missing {name}")
    if found:
        return found
    if not _str(event["event_id"]) or len(event["event_id"]) > 128:
        found.append("bad event_id")
    if not _str(event["shop_id"]) or len(event["shop_id"]) > 64:
        found.append("bad shop_id")
    if occurred_ms(event["occurred_at"]) is None:
        found.append("bad occurred_at")
    fields = FIELDS.get(event["type"])
    if fields is None:
        return [*found, "unknown type"]
    for name, (required, check) in fields.items():
        if name not in event:
            if required:
                found.append(f"missing {name}")
        elif not check(event[name]):
            found.append(f"bad {name}")
    if event.get("sender") == "agent" and not _str(event.get("agent_id")):
        found.append("agent message without agent_id")
    return found


def line_problems(raw: bytes) -> list[str]:
    try:
        event = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return ["invalid JSON"]
    return problems(event)


# --- helpers over generated streams ---


def dicts(lines: Iterable[dict[str, Any] | bytes]) -> list[dict[str, Any]]:
    return [line for line in lines if isinstance(line, dict)]


def first_deliveries(lines: Iterable[dict[str, Any] | bytes]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    firsts = []
    for event in dicts(lines):
        if event["event_id"] not in seen:
            seen.add(event["event_id"])
            firsts.append(event)
    return firsts


def local_hour(event: dict[str, Any]) -> int:
    return (when(event) + CHINA_MS) % 86_400_000 // 3_600_000


def five_minute_rate(events: list[dict[str, Any]], shop: str, since: int, until: int) -> float:
    """docs/metrics.md#inquiries-and-response-time without service hours: inquiries opened in [since, until)."""
    chats: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for event in events:
        if event["type"] == "chat.message" and event["shop_id"] == shop:
            chats[event["buyer_id"]].append((when(event), event["event_id"], event["sender"]))
    inquiries = within = 0
    for messages in chats.values():
        opened: int | None = None
        for ms, _, sender in sorted(messages):
            if sender == "buyer" and opened is None:
                opened = ms
                inquiries += since <= ms < until
            elif sender == "agent" and opened is not None:
                within += since <= opened < until and ms - opened <= 300_000
                opened = None
    assert inquiries >= 20, f"too few inquiries in {shop} to judge: {inquiries}"
    return within / inquiries


# --- tests ---

DISORDER_S = 30.0
DUPLICATE_RATE = 0.01


def noisy(seed: int, days: float) -> GenConfig:
    """Starts at 09:00 local so even short runs have busy chats."""
    return GenConfig(
        seed=seed,
        start=MIDNIGHT + timedelta(hours=9),
        days=days,
        disorder_seconds=DISORDER_S,
        duplicate_rate=DUPLICATE_RATE,
        malformed_rate=0.003,
    )


@pytest.fixture(scope="module")
def noisy_day() -> list[dict[str, Any] | bytes]:
    return list(generate(noisy(7, 1.5)))


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    config = noisy(3, 0.1)
    write_jsonl(generate(config), tmp_path / "a.jsonl.gz")
    write_jsonl(generate(config), tmp_path / "b.jsonl.gz")
    write_jsonl(generate(config), tmp_path / "c.jsonl")
    write_jsonl(generate(noisy(4, 0.1)), tmp_path / "d.jsonl.gz")
    assert (tmp_path / "a.jsonl.gz").read_bytes() == (tmp_path / "b.jsonl.gz").read_bytes()
    plain = (tmp_path / "c.jsonl").read_bytes()
    assert gzip.decompress((tmp_path / "a.jsonl.gz").read_bytes()) == plain
    assert (tmp_path / "d.jsonl.gz").read_bytes() != (tmp_path / "a.jsonl.gz").read_bytes()


def test_noise_does_not_change_the_events() -> None:
    clean = dicts(generate(GenConfig(seed=3, start=MIDNIGHT + timedelta(hours=9), days=0.1)))
    delivered = first_deliveries(generate(noisy(3, 0.1)))
    assert sorted(clean, key=lambda e: e["event_id"]) == sorted(
        delivered, key=lambda e: e["event_id"]
    )


def test_every_event_follows_events_md(noisy_day: list[dict[str, Any] | bytes]) -> None:
    events = dicts(noisy_day)
    assert len(events) > 20_000
    bad = [(event, problems(event)) for event in events if problems(event)]
    assert bad == []
    chats = [e for e in events if e["type"] == "chat.message"]
    assert {e["type"] for e in events} == set(FIELDS)
    assert {e["sender"] for e in chats} == {"buyer", "agent", "bot", "system"}
    assert {"text", "image", "goods", "order", "emoji"} <= {
        e.get("msg_type", "text") for e in chats
    }
    assert all(e["text"] is None for e in chats if e.get("msg_type") == "image")
    assert all(e["order_id"] for e in chats if e.get("msg_type") == "order")
    buyer_agents = Counter(e["agent_id"] is None for e in chats if e["sender"] == "buyer")
    assert buyer_agents[False] > 2 * buyer_agents[True] > 0
    assert any("\u4e00" <= ch <= "\u9fff" for e in chats for ch in e["text"] or "")
    assert {type(e["occurred_at"]) for e in events} == {int, str}
    assert {type(e["amount"]) for e in events if "amount" in e} == {str, float}
    statuses = {(e["type"], e["status"]) for e in events if "status" in e}
    for status in ("created", "paid", "grouped", "shipped", "cancelled"):
        assert ("order", status) in statuses
    for status in ("requested", "agreed", "rejected", "refunded", "goods_returned"):
        assert ("refund", status) in statuses
    assert {e["score"] for e in events if e["type"] == "rating"} == {1, 2, 3, 4, 5}


def test_ids_are_unique_and_duplicates_are_exact_copies(
    noisy_day: list[dict[str, Any] | bytes],
) -> None:
    first: dict[str, bytes] = {}
    duplicates = 0
    for event in dicts(noisy_day):
        raw = orjson.dumps(event)
        if event["event_id"] in first:
            assert raw == first[event["event_id"]]
            duplicates += 1
        else:
            first[event["event_id"]] = raw
    assert 0.7 < duplicates / (len(first) * DUPLICATE_RATE) < 1.3


def test_disorder_stays_within_the_bound(noisy_day: list[dict[str, Any] | bytes]) -> None:
    latest = worst = 0
    for event in first_deliveries(noisy_day):
        ms = when(event)
        worst = max(worst, latest - ms)
        latest = max(latest, ms)
    assert 0 < worst <= DISORDER_S * 1000


def test_without_noise_delivery_is_time_order() -> None:
    lines = list(generate(GenConfig(seed=5, days=0.25)))
    assert all(isinstance(line, dict) for line in lines)
    times = [when(e) for e in dicts(lines)]
    assert times == sorted(times)
    assert len({e["event_id"] for e in dicts(lines)}) == len(lines)


def test_malformed_lines_are_really_malformed() -> None:
    config = GenConfig(seed=9, start=MIDNIGHT + timedelta(hours=9), days=0.2, malformed_rate=1.0)
    lines = list(generate(config))
    broken = [line for line in lines if isinstance(line, bytes)]
    events = dicts(lines)
    assert len(broken) == len(events)
    assert all(problems(event) == [] for event in events)
    details = Counter(reason for raw in broken for reason in line_problems(raw))
    assert details["invalid JSON"] > 0, details
    assert any(reason.startswith("missing ") for reason in details), details
    for reason in ("bad amount", "bad score", "bad occurred_at", "unknown type"):
        assert details[reason] > 0, details
    assert all(b"\n" not in raw for raw in broken)


def test_silent_agent_drags_its_shop_below_the_threshold() -> None:
    since, until = MIDNIGHT + timedelta(hours=10), MIDNIGHT + timedelta(hours=11)
    config = GenConfig(
        seed=21,
        start=MIDNIGHT + timedelta(hours=6),
        days=0.25,
        incidents=[Incident("s1", "s1-a1", since, until)],
    )
    events = list(generate(config))
    window = int(since.timestamp() * 1000), int(until.timestamp() * 1000)
    silent = [
        e
        for e in dicts(events)
        if e.get("agent_id") == "s1-a1"
        and e.get("sender") == "agent"
        and window[0] <= when(e) < window[1]
    ]
    assert silent == []
    assert five_minute_rate(dicts(events), "s1", *window) < 0.75
    assert five_minute_rate(dicts(events), "s2", *window) > 0.85
    assert five_minute_rate(dicts(events), "s3", *window) > 0.85


def test_the_day_has_peaks() -> None:
    per_hour = Counter(local_hour(e) for e in dicts(generate(GenConfig(seed=2, shops=1))))
    assert per_hour[21] > 5 * per_hour[4]
    assert per_hour[11] > 5 * per_hour[4]


def test_generation_streams() -> None:
    started = time.perf_counter()
    first = next(iter(generate(GenConfig(days=365))))
    assert isinstance(first, dict)
    assert time.perf_counter() - started < 1.0


def test_write_jsonl_writes_bytes_as_they_are(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | bytes] = [{"a": "亲"}, b'{"broken', {"b": 1}]
    assert write_jsonl(lines, tmp_path / "x.jsonl") == 3
    assert (tmp_path / "x.jsonl").read_bytes() == '{"a":"亲"}\n{"broken\n{"b":1}\n'.encode()


async def test_paced_restamps_to_wall_time() -> None:
    source = list(generate(GenConfig(seed=1, days=0.02, malformed_rate=0.05)))
    before = [orjson.dumps(e) if isinstance(e, dict) else e for e in source]
    now = 1_800_000_000.0
    out = [e async for e in paced(source, speedup=1e9, clock=lambda: now)]
    assert len(out) == len(source)
    assert [orjson.dumps(e) if isinstance(e, dict) else e for e in source] == before
    for old, new in zip(source, out, strict=True):
        if isinstance(old, bytes):
            assert new is old
            continue
        assert isinstance(new, dict)
        assert type(new["occurred_at"]) is type(old["occurred_at"])
        assert abs(when(new) - now * 1000) < 10
        assert {k: v for k, v in new.items() if k != "occurred_at"} == {
            k: v for k, v in old.items() if k != "occurred_at"
        }
        if isinstance(new["occurred_at"], str):
            assert new["occurred_at"].endswith("+08:00")


async def test_paced_keeps_the_spacing_divided_by_speedup() -> None:
    stamps = [1_795_399_200_000 + offset for offset in (0, 5_000, 10_000)]
    events = [
        {"event_id": f"e{i}", "type": "rating", "shop_id": "s1", "occurred_at": ms}
        for i, ms in enumerate(stamps)
    ]
    started = time.time()
    out = [e async for e in paced(events, speedup=100)]
    assert time.time() - started >= 0.09
    new = [e["occurred_at"] for e in out if isinstance(e, dict)]
    assert [b - a for a, b in zip(new, new[1:], strict=False)] == [50, 50]


@pytest.mark.parametrize(
    "change",
    [
        {"start": datetime(2026, 11, 23)},  # noqa: DTZ001 - the naive datetime is the point
        {"bot_share": 1.5},
        {"days": 0},
        {"incidents": [Incident("s1", "s1-a9", MIDNIGHT, MIDNIGHT + timedelta(hours=1))]},
        {"incidents": [Incident("s7", "s7-a1", MIDNIGHT, MIDNIGHT + timedelta(hours=1))]},
    ],
)
def test_bad_configuration_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        GenConfig(**change)
