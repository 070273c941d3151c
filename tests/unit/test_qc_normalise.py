"""Folding for quality inspection: what it folds, and that findings can quote the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.qc.normalise import Normaliser

FOLD = Normaliser({"電": "电", "話": "话", "訴": "诉"})


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＡＢＣ１２３", "abc123"),
        ("加V abc_123", "加微信abc_123"),
        ("加 V：abc_123", "加微信:abc_123"),
        ("VX: Abc123", "微信:abc123"),
        ("加威 信", "加微信"),
        ("加薇", "加微"),
        ("微❤信", "微信"),
        ("加.微.信", "加微信"),
        ("扣扣 123456789", "qq 123456789"),
        ("打我電話 138 0013 8000", "打我电话13800138000"),
        ("138-0013-8000", "13800138000"),
        ("１３８－００１３－８０００", "13800138000"),
        ("一三八零零一三八零零零", "13800138000"),
        ("幺38 0013 8000", "13800138000"),
        ("①③⑧⓪⓪①③⑧⓪⓪⓪", "13800138000"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("我要投訴", "我要投诉"),
        ("NO.1", "no.1"),
        ("１００％有效", "100%有效"),
    ],
)
def test_folds_the_disguises_of_quality_md(text: str, folded: str) -> None:
    assert FOLD(text) == folded


@pytest.mark.parametrize(
    "text",
    ["亲，已经是活动最低价啦！", "vivo手机可以用", "[微笑]好的", "第一次买吗？", "稍微等一下"],
)
def test_leaves_ordinary_chat_as_it_is(text: str) -> None:
    assert FOLD(text) == text


def test_keeps_a_space_between_latin_words_and_drops_it_beside_chinese() -> None:
    assert FOLD("add me 在 vivo x") == "add me在vivo x"


def test_order_numbers_stay_one_long_run() -> None:
    assert FOLD("订单号：240523-012345678901234") == "订单号:240523012345678901234"


def test_trace_maps_a_folded_span_back_to_the_original() -> None:
    text = "亲，打我電話 138 0013 8000 哦"
    trace = FOLD.trace(text)
    start = trace.text.index("13800138000")
    assert trace.quote(start, start + 11) == "138 0013 8000"
    start = trace.text.index("电话")
    assert trace.quote(start, start + 2) == "電話"


def test_trace_of_a_substitution_quotes_the_whole_disguise() -> None:
    trace = FOLD.trace("加WeChat abc123")
    start = trace.text.index("微信")
    assert trace.quote(start, start + 2) == "WeChat"


def test_traditional_mapping_must_be_one_character_to_one() -> None:
    with pytest.raises(ValueError, match="one character"):
        Normaliser({"電話": "电话"})


def test_configured_substitutions_replace_the_defaults() -> None:
    fold = Normaliser(substitutions={"微信": ("绿泡泡",)})
    assert fold("加绿泡泡") == "加微信"
    assert fold("加V") == "加v"


CHAT = st.text(
    alphabet=st.sampled_from(
        list("加我微信薇威V vx扣qQ138０１２3-. ·❤★*电話最好的亲，。？！~～：:")
        + ["一", "三", "八", "零", "①", "\u3000", "\u200b", "Ａ", "a", "_"]
    ),
    max_size=40,
)


@settings(max_examples=3000, deadline=None)
@given(CHAT)
def test_folding_is_idempotent(text: str) -> None:
    once = FOLD(text)
    assert FOLD(once) == once


@settings(max_examples=3000, deadline=None)
@given(CHAT)
def test_trace_agrees_with_the_fast_path(text: str) -> None:
    trace = FOLD.trace(text)
    assert trace.text == FOLD(text)
    assert len(trace.starts) == len(trace.ends) == len(trace.text)
    for i in range(len(trace.text)):
        a, b = trace.span(i, i + 1)
        assert 0 <= a < b <= len(text)


@settings(max_examples=300, deadline=None)
@given(CHAT, st.data())
def test_every_folded_span_quotes_a_substring_of_the_original(
    text: str, data: st.DataObject
) -> None:
    trace = FOLD.trace(text)
    if not trace.text:
        return
    start = data.draw(st.integers(0, len(trace.text) - 1))
    end = data.draw(st.integers(start + 1, len(trace.text)))
    quoted = trace.quote(start, end)
    assert quoted and quoted in text
