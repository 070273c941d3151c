"""The chat fast path against pydantic: it accepts only what pydantic accepts, byte for byte."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import BadMessage
from schemas import fast_chat as fast
from schemas.packed import CanonicalEvent, canonical
from schemas.validate import parse_canonical, parse_event

MIN_MS, MAX_MS = 946_684_800_000, 4_102_444_800_000
FIELDS = ("event_id", "shop_id", "occurred_at", "type", "buyer_id", "sender")
OPTIONAL = ("agent_id", "msg_type", "text", "order_id")
ABSENT = object()
PROPERTY = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SPEC_EXAMPLE = {
    "event_id": "m-1",
    "type": "chat.message",
    "shop_id": "s1",
    "occurred_at": "2026-11-23T10:00:05.250+08:00",
    "buyer_id": "b1",
    "sender": "buyer",
    "agent_id": None,
    "text": "这款敏感肌能用吗？",
}


def encode(value: Any) -> bytes:
    """JSON as a source might write it, integers of any size included (orjson stops at 64 bits)."""
    if type(value) is int:
        return str(value).encode()
    if isinstance(value, list):
        return b"[" + b",".join(encode(v) for v in value) + b"]"
    if isinstance(value, dict):
        return b"{" + b",".join(orjson.dumps(k) + b":" + encode(v) for k, v in value.items()) + b"}"
    return orjson.dumps(value)


# --- strategies: values each field accepts, and values near them that it may not ---

plain_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
any_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(2**63, 2**80).map(lambda i: i * (-1) ** (i % 2))
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
not_a_string = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.lists(st.text(max_size=3), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


def sized(limit: int) -> st.SearchStrategy[Any]:
    edges = ["", "x" * limit, "x" * (limit + 1), "é" * limit, "😀" * (limit + 1), " s ", "\x00"]
    return st.text(max_size=limit + 2) | st.sampled_from(edges)


OFFSETS = [timezone(timedelta(minutes=m)) for m in (-1439, -480, 0, 330, 480, 1439)]
OFFSETS.append(timezone(timedelta(seconds=30)))


@st.composite
def rfc3339(draw: st.DrawFn, first: int = 1999, last: int = 2100) -> str:
    """Stamps as real sources write them, and the variants fromisoformat may or may not take."""
    since = datetime(first, 12, 31, tzinfo=UTC)
    span_ms = (datetime(last, 1, 1, 23, tzinfo=UTC) - since) // timedelta(milliseconds=1)
    moment = since + timedelta(
        milliseconds=draw(st.integers(0, span_ms)), microseconds=draw(st.integers(0, 999))
    )
    local = moment.astimezone(draw(st.sampled_from(OFFSETS)))
    spec = draw(st.sampled_from(["milliseconds"] * 4 + ["seconds", "microseconds", "minutes"]))
    text = local.isoformat(timespec=spec)
    variant = draw(st.sampled_from(["", "", "", "Z", "space", "naive", "lower", "comma"]))
    if variant == "Z":
        text = text.replace("+00:00", "Z")
    elif variant == "space":
        text = text.replace("T", " ")
    elif variant == "naive":
        text = text[:-6]
    elif variant == "lower":
        text = text.replace("T", "t").replace("+00:00", "z")
    elif variant == "comma":
        text = text.replace(".", ",")
    return text


def _valid_shape(stamp: str) -> bool:
    return "t" not in stamp and stamp[-6] in "+-Z" or stamp.endswith("Z")


TRICKY_STAMPS = [
    "1999-12-31T23:59:59.999Z",
    "2000-01-01T00:00:00.000Z",
    "2000-01-01T07:59:59.999+08:00",
    "2099-12-31T23:59:59.999Z",
    "2100-01-01T00:00:00.000Z",
    "2100-01-01T07:59:59.999+08:00",
    "2026-11-23T10:00:60.000+08:00",
    "2026-11-23T10:00:05.250+24:00",
    "2026-02-30T10:00:05.250+08:00",
    "2026-11-23T24:00:05.250+08:00",
    "２０２６-11-23T10:00:05.250+08:00",
    "2026-11-23T10:00:0٥.250+08:00",
    "2026-11-23T10:00:05.2٥0+08:00",
    "2026-11-23T10:00:05.250+0８:00",
    "2026-11-23T10:00:05.250+08:00:00",
    "2026-11-23T10:00:05.250+0800",
    "2026-W47-1T10:00:05.250+08:00",
    "20261123T100005.250+08:00",
    "2026-11-23T10:00: 5.250+08:00",
    "2026-11-23T10:00:+5.250+08:00",
    "2026-11-23T10:00:05.25 +08:00",
    "2026-11-23T10:00:05.250+08:00 ",
    "2026-11-23T10:00:05.250",
    "2026-11-23T10:00Z",
    "",
]
stamps = (
    st.integers(MIN_MS, MAX_MS - 1)
    | st.sampled_from([MIN_MS - 1, MIN_MS, MAX_MS - 1, MAX_MS, 1763863200, 2**64, -(2**63) - 1])
    | rfc3339()
    | st.sampled_from(TRICKY_STAMPS)
)
VALID = {
    "event_id": st.text(min_size=1, max_size=128),
    "shop_id": st.text(min_size=1, max_size=64),
    "occurred_at": st.integers(MIN_MS, MAX_MS - 1) | rfc3339(2000, 2099).filter(_valid_shape),
    "type": st.just("chat.message"),
    "buyer_id": st.text(max_size=12),
    "sender": st.sampled_from(["buyer", "bot", "system"]),
    "agent_id": st.none() | st.text(max_size=12) | st.just(ABSENT),
    "msg_type": st.sampled_from(["text", "image", "goods", "order", "emoji", "other", ABSENT]),
    "text": st.none() | st.text(max_size=20) | st.just(ABSENT),
    "order_id": st.none() | st.text(max_size=12) | st.just(ABSENT),
}
NEAR = {
    "event_id": sized(128) | not_a_string,
    "shop_id": sized(64) | not_a_string,
    "occurred_at": stamps | not_a_string | st.text(max_size=30),
    "type": st.sampled_from(["refund", "Chat.message", "chat.message ", "", None, 1]),
    "buyer_id": not_a_string,
    "sender": st.sampled_from(["agent", "robot", "", "Buyer", " buyer", None, 1, ["buyer"]]),
    "agent_id": st.sampled_from(["", 0, False, ["a"]]),
    "msg_type": st.sampled_from(["TEXT", "", "video", None, 1, ["text"]]),
    "text": st.integers() | st.booleans() | st.lists(st.text(max_size=2), max_size=1),
    "order_id": st.integers() | st.booleans() | st.dictionaries(st.text(max_size=2), st.none()),
}
extra_keys = st.text(max_size=6) | st.sampled_from(["channel", "_x", "__dict__", "model_config"])


@st.composite
def chat_fields(draw: st.DrawFn, near: bool) -> list[tuple[str, Any]]:
    """Key-value pairs in wire order: a valid message, or one with a field or two broken."""
    broken = draw(st.sets(st.sampled_from(FIELDS + OPTIONAL), max_size=2)) if near else set()
    values = {
        name: draw(st.just(ABSENT) | NEAR[name]) if name in broken else draw(VALID[name])
        for name in FIELDS + OPTIONAL
    }
    if values["sender"] == "agent" or (not near and draw(st.booleans())):
        values["sender"] = "agent"
        named = st.text(min_size=1, max_size=12)
        values["agent_id"] = draw(named | NEAR["agent_id"] if near else named)
    keys = extra_keys if near else extra_keys.filter(lambda key: key not in FIELDS + OPTIONAL)
    extras = draw(st.lists(st.tuples(keys, any_json if near else plain_json), max_size=3))
    pairs = [(k, v) for k, v in values.items() if v is not ABSENT] + extras
    pairs = draw(st.permutations(pairs))
    if near and pairs and draw(st.booleans()):  # a key twice: the last one counts, in both
        pairs.insert(draw(st.integers(0, len(pairs))), (draw(st.sampled_from(pairs))[0], "dup"))
    return pairs


def to_wire(pairs: list[tuple[str, Any]], comma: bytes = b",", colon: bytes = b":") -> bytes:
    return b"{" + comma.join(orjson.dumps(k) + colon + encode(v) for k, v in pairs) + b"}"


@st.composite
def raw_chats(draw: st.DrawFn) -> bytes:
    """Valid and near-valid chat messages, some of them with a byte inserted, changed or cut."""
    pairs = draw(chat_fields(near=True))
    comma, colon = draw(st.sampled_from([(b",", b":"), (b", ", b": "), (b",\n", b" :\t")]))
    raw = to_wire(pairs, comma, colon)
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(raw)))
        byte = bytes([draw(st.integers(0, 255))])
        raw = draw(
            st.sampled_from([raw[:at] + byte + raw[at:], raw[:at] + byte + raw[at + 1 :], raw[:at]])
        )
    return raw


# --- properties ---


@PROPERTY
@given(raw_chats())
def test_fast_path_gives_pydantic_bytes_or_declines(raw: bytes) -> None:
    found = fast.fast_chat(raw)
    if found is not None:
        assert found == canonical(parse_event(raw))


@PROPERTY
@given(chat_fields(near=False))
def test_valid_chat_messages_take_the_fast_path(pairs: list[tuple[str, Any]]) -> None:
    raw = to_wire(pairs)
    found = fast.fast_chat(raw)
    assert found is not None, raw
    assert found == canonical(parse_event(raw))


@given(raw_chats())
def test_parse_canonical_agrees_with_pydantic_on_reasons_too(raw: bytes) -> None:
    try:
        expected: CanonicalEvent | str = canonical(parse_event(raw))
    except BadMessage as exc:
        expected = str(exc)
    try:
        found: CanonicalEvent | str = parse_canonical(raw)
    except BadMessage as exc:
        found = str(exc)
    assert found == expected


# --- cases found while writing it, kept as examples ---


def test_the_fast_path_is_on() -> None:
    assert fast.ENABLED, (
        f"ChatMessage, schemas/timestamps.py or pydantic changed (fingerprint "
        f"{fast.model_fingerprint()}): re-check schemas/fast_chat.py against them, run these "
        "tests with many more examples, then update CHAT_MODEL_FINGERPRINT"
    )


def test_spec_example_in_every_wire_form() -> None:
    forms = [
        SPEC_EXAMPLE,
        {**SPEC_EXAMPLE, "occurred_at": 1795399205250},
        {**SPEC_EXAMPLE, "occurred_at": "2026-11-23T02:00:05.250Z"},
        {**SPEC_EXAMPLE, "occurred_at": "2026-11-23T10:00:05.250123+08:00"},
        {**SPEC_EXAMPLE, "sender": "agent", "agent_id": "s1-a1", "msg_type": "goods"},
        {**SPEC_EXAMPLE, "client": "ios", "tags": [1, {"a": None}], "vip": True},
    ]
    for form in forms:
        raw = orjson.dumps(form)
        found = fast.fast_chat(raw)
        assert found is not None and found == canonical(parse_event(raw))
        assert found[2] == 1795399205250


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_id":"a","x":1,"event_id":"b","type":"chat.message","shop_id":"s","x":2,'
        b'"occurred_at":1795399205250,"buyer_id":"b","sender":"buyer","type":"chat.message"}',
        # Over 16 keys: pydantic's parser looks them up in a hash map, not a list.
        b'{"event_id":"a",'
        + b"".join(b'"k%d":%d,' % (i, i) for i in range(20))
        + b'"type":"chat.message","shop_id":"s","occurred_at":1795399205250,"buyer_id":"b",'
        b'"sender":"buyer","k3":"again","event_id":"b","sender":"bot"}',
    ],
)
def test_duplicate_keys_resolve_as_pydantic_does(raw: bytes) -> None:
    found = fast.fast_chat(raw)
    assert found is not None and found == canonical(parse_event(raw))


@pytest.mark.parametrize(
    "extra",
    [
        b"18446744073709551616",  # orjson reads it as a float, pydantic as an exact integer
        b"-9223372036854775809",
        b"1.5",
        b"1e400",  # orjson refuses it, pydantic reads infinity and writes null
        b"NaN",
        b"[" * 17 + b"]" * 17,
        b"[" * 300 + b"]" * 300,  # deeper than pydantic's parser goes
    ],
)
def test_extras_it_cannot_copy_exactly_go_to_pydantic(extra: bytes) -> None:
    raw = orjson.dumps(SPEC_EXAMPLE)[:-1] + b',"x":' + extra + b"}"
    assert fast.fast_chat(raw) is None


def test_where_the_json_parsers_differ_pydantic_decides() -> None:
    """Every byte at every token boundary of a message: orjson must never accept more."""
    raw = to_wire([("event_id", "m"), ("type", "chat.message"), ("shop_id", "s")])[:-1]
    raw += b',"occurred_at":1795399205250,"buyer_id":"b","sender":"buyer","text":"t\xc3\xa9"}'
    cuts = [i for i, byte in enumerate(raw) if byte in b'{}[],:"\\' or byte >= 0x80]
    for at in cuts + [len(raw)]:
        for byte in range(256):
            mutated = raw[:at] + bytes([byte]) + raw[at:]
            found = fast.fast_chat(mutated)
            if found is not None:
                assert found == canonical(parse_event(mutated)), mutated


def test_minute_cache_stays_bounded() -> None:
    base = datetime(2026, 11, 23, tzinfo=UTC)
    for minute in range(fast._MAX_MINUTES + 10):
        stamp = (base + timedelta(minutes=minute)).isoformat(timespec="milliseconds")
        assert fast._epoch_ms(stamp) == int((base + timedelta(minutes=minute)).timestamp()) * 1000
    assert len(fast._MINUTES) <= fast._MAX_MINUTES
