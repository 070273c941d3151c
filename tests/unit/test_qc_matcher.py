"""The QC matcher: rules, anchors, allow-lists, context rules, reload and configuration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.qc.context import Conversations
from agents.qc.dictionary import load_config, parse_config, reload
from agents.qc.findings import Finding, Message, inspect
from agents.qc.matcher import compile_rules
from agents.qc.model import (
    AGENT_CATEGORIES,
    BUYER_CATEGORIES,
    Promotion,
    QcConfig,
    Rule,
    ShopQc,
)

T0 = 1_795_392_000_000
S1 = ShopQc(
    "s1",
    rules=(Rule("s1.rival", "forbidden_claim", "warning", "shop s1", ("隔壁家",), (), "s1"),),
    allow=("顶级厨房", "400-820-8820", "13912345678"),
    promotions=(Promotion("满99减10", ("满99减10", "满减")),),
)
S3 = ShopQc("s3", promotions=(Promotion("新人券", ("新人券",), ends_at_ms=T0),))
RULES = reload(shops=[S1, ShopQc("s2"), S3])


def msg(
    text: str, sender: str = "agent", shop: str = "s1", n: int = 1, buyer: str = "b1"
) -> Message:
    agent = "" if sender == "buyer" else "a1"
    return Message(f"e{n}", shop, buyer, agent, sender, T0 + n * 1000, text)


def found(text: str, sender: str = "agent", shop: str = "s1") -> list[Finding]:
    return inspect(msg(text, sender, shop), RULES)


def categories(text: str, sender: str = "agent", shop: str = "s1") -> set[str]:
    return {f.category for f in found(text, sender, shop)}


@pytest.mark.parametrize(
    ("text", "category", "matched"),
    [
        ("加我微信 abc123", "off_platform", "加我微信"),
        ("亲，加V：abc_123", "off_platform", "V：abc_123"),
        ("扣扣 123456789", "off_platform", "扣扣 123456789"),
        ("打我电话 138 0013 8000", "off_platform", "138 0013 8000"),
        ("链接 http://shop.example.cn/x", "off_platform", "http://shop.example.cn"),
        ("爱买不买", "abusive", "爱买不买"),
        ("你烦不烦", "abusive", "你烦不烦"),
        ("这款全网最低", "forbidden_claim", "全网最低"),
        ("第一品牌，100%有效", "forbidden_claim", "第一品牌"),
        ("保证今天发货", "unauthorised_promise", "保证今天发货"),
        ("亲，不满意全额退款还送", "unauthorised_promise", "不满意全额退款"),
    ],
)
def test_agent_examples_of_quality_md(text: str, category: str, matched: str) -> None:
    hits = [f for f in found(text) if f.category == category]
    assert hits, text
    assert matched in {f.matched for f in hits}
    assert all(f.matched in text for f in hits)


@pytest.mark.parametrize(
    "text", ["我要投诉", "再不处理我就打12315", "去工商告你们", "给差评", "曝光你们"]
)
def test_buyer_threats(text: str) -> None:
    assert categories(text, "buyer") == {"complaint_threat"}
    assert categories(text, "agent") == set()


@pytest.mark.parametrize(
    "text",
    [
        "亲，您的订单号是240523-138001380001234",
        "充电宝有20000mAh和13800mAh两款",
        "快递单号SF1380013800012",
        "号码是138001380001",
        "货号abc12345",
        "可以微信支付的亲",
        "这款是V领的",
        "亲，最近很忙，最后一件了，最快明天到",
        "第一次买吗？上班后第一时间回复您",
        "可以用微波炉加热",
        "https://mobile.yangkeduo.com/goods.html?id=1",
    ],
)
def test_near_misses_raise_nothing(text: str) -> None:
    assert found(text) == []


def test_a_mobile_number_with_a_country_code_or_a_clause_after_it_counts() -> None:
    assert categories("+86 138-0013-8000") == {"off_platform"}
    assert categories("电话13800138000，1号发货") == {"off_platform"}


def test_allow_lists_are_per_shop() -> None:
    assert found("官方热线400-820-8820，售后13912345678", shop="s1") == []
    assert {f.rule_id for f in found("官方热线400-820-8820", shop="s2")} == {
        "off_platform.service_number"
    }
    assert found("顶级厨房的锅", shop="s1") == []
    assert categories("顶级厨房的锅", shop="s2") == {"forbidden_claim"}


def test_an_allow_listed_number_does_not_hide_another() -> None:
    hits = found("售后13912345678，私人13800138000", shop="s1")
    assert [f.matched for f in hits] == ["13800138000"]


def test_shop_additions_apply_to_their_shop_only() -> None:
    assert categories("比隔壁家好", shop="s1") == {"forbidden_claim"}
    assert categories("比隔壁家好", shop="s2") == set()


def test_negated_threats_are_not_threats() -> None:
    assert categories("我不会给差评的", "buyer") == set()
    assert categories("别逼我给差评", "buyer") == {"complaint_threat"}


def test_buyers_may_give_their_own_number_and_system_lines_are_not_inspected() -> None:
    assert found("我电话13800138000", "buyer") == []
    assert found("加我微信abc123", "system") == []


def test_one_finding_per_rule_at_its_first_match() -> None:
    hits = found("加我微信，加我微信，加我微信")
    assert [(f.rule_id, f.matched) for f in hits] == [("off_platform.add_contact", "加我微信")]


def test_findings_are_the_same_on_replay() -> None:
    lines = [msg("能便宜点吗", "buyer", n=1), msg("亲，价格很低了，加V abc123", n=2)]
    runs = []
    for _ in range(2):
        memory = Conversations()
        runs.append([f for m in lines for f in memory.inspect(m, RULES)])
    assert runs[0] == runs[1]
    assert {f.category for f in runs[0]} == {"off_platform", "missed_promotion"}


@pytest.mark.parametrize(
    "reply", ["不清楚", "亲，不知道呢", "看情况吧~", "这个我也不太清楚哦[捂脸]"]
)
def test_a_shrug_as_the_whole_reply_to_a_question(reply: str) -> None:
    memory = Conversations()
    assert memory.inspect(msg("能用多久？", "buyer", n=1), RULES) == ()
    hits = memory.inspect(msg(reply, n=2), RULES)
    assert [f.category for f in hits] == ["vague_answer"]
    assert hits[0].matched in reply


def test_a_shrug_inside_an_answer_or_without_a_question_is_not_vague() -> None:
    memory = Conversations()
    memory.inspect(msg("这款有货吗", "buyer", n=1), RULES)
    assert memory.inspect(msg("不清楚您说的是哪一款，麻烦发下链接", n=2), RULES) == ()
    assert memory.inspect(msg("不清楚", n=3), RULES) == ()


def _exchange(shop: str, reply: str, sender: str = "agent") -> list[str]:
    memory = Conversations()
    memory.inspect(msg("能便宜点吗", "buyer", shop, n=1), RULES)
    return [f.category for f in memory.inspect(msg(reply, sender, shop, n=2), RULES)]


def test_missed_promotion_needs_an_active_offer_left_unnamed() -> None:
    assert _exchange("s1", "亲，价格已经很低了") == ["missed_promotion"]
    assert _exchange("s1", "亲，现在满99减10哦") == []
    assert _exchange("s1", "亲，店铺首页可以领券") == []
    assert _exchange("s2", "亲，价格已经很低了") == []
    assert _exchange("s3", "亲，价格已经很低了") == []


def test_missed_promotion_quotes_the_buyers_price_word() -> None:
    memory = Conversations()
    memory.inspect(msg("能便宜点吗", "buyer", n=1), RULES)
    (hit,) = memory.inspect(msg("亲，价格已经很低了", n=2), RULES)
    assert (hit.rule_id, hit.matched, hit.severity) == (
        "missed_promotion.price_question",
        "便宜",
        "info",
    )


def test_a_bot_reply_does_not_answer_the_price_question() -> None:
    memory = Conversations()
    memory.inspect(msg("能便宜点吗", "buyer", n=1), RULES)
    assert memory.inspect(msg("亲，客服正在忙，请稍等", "bot", n=2), RULES) == ()
    assert [f.category for f in memory.inspect(msg("价格很低了", n=3), RULES)] == [
        "missed_promotion"
    ]
    assert memory.inspect(msg("价格真的很低了", n=4), RULES) == ()


def test_memory_forgets_old_questions() -> None:
    memory = Conversations()
    memory.inspect(msg("能便宜点吗", "buyer", n=1), RULES)
    memory.inspect(msg("在吗？", "buyer", n=2, buyer="b2"), RULES)
    assert memory.forget_before(T0 + 1500) == 1
    assert len(memory) == 1


def test_reload_builds_a_new_ruleset_and_leaves_the_old_one_working() -> None:
    old = reload()
    new = reload(
        shops=[ShopQc("s9", rules=(Rule("s9.x", "abusive", "critical", "t", ("呵呵",), (), "s9"),))]
    )
    line = msg("呵呵", shop="s9")
    assert inspect(line, old) == []
    assert [f.rule_id for f in inspect(line, new)] == ["s9.x"]


def test_defaults_name_a_source_for_every_rule_and_cover_every_category() -> None:
    config = load_config()
    sources = [r.source for r in config.rules] + [p.source for p in config.patterns]
    sources += [config.shrug.source, config.promotion.source]
    assert all(source.strip() for source in sources)
    covered = {r.category for r in config.rules} | {p.category for p in config.patterns}
    assert covered | {"vague_answer", "missed_promotion"} == {*AGENT_CATEGORIES, *BUYER_CATEGORIES}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: replace(c, rules=c.rules + c.rules[:1]), "defined twice"),
        (lambda c: replace(c, rules=(replace(c.rules[0], terms=("  ",)),)), "folds to nothing"),
        (
            lambda c: replace(c, patterns=(replace(c.patterns[0], pattern="(["),)),
            "does not compile",
        ),
    ],
)
def test_bad_configuration_names_the_entry(
    change: Callable[[QcConfig], QcConfig], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        compile_rules(change(load_config()))


def test_bad_yaml_entries_are_rejected() -> None:
    base: dict[str, object] = {"vague": {}, "promotion": {}}
    with pytest.raises((ValueError, KeyError)):
        parse_config(base)
    rule = {
        "rule_id": "x",
        "category": "rude",
        "severity": "critical",
        "source": "s",
        "terms": ["a"],
    }
    with pytest.raises(ValueError, match="unknown QC category"):
        parse_config({**base, "rules": [rule]})


PLANTS = st.sampled_from(["加我微信", "爱买不买", "全网最低", "保证今天发货", "13800138000"])
FILLERS = st.sampled_from(["", " ", "❤", "·", ".", "\u200b", "~", "～"])
NOISE = st.text(alphabet="亲的了吗，。好呀在 a1-", max_size=8)


@settings(max_examples=300, deadline=None)
@given(NOISE, PLANTS, FILLERS, NOISE, st.booleans())
def test_a_planted_term_in_any_disguise_is_found_and_quoted_from_the_original(
    before: str, plant: str, filler: str, after: str, wide: bool
) -> None:
    disguised = filler.join(plant)
    if wide:
        disguised = "".join(
            chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in disguised
        )
    text = f"{before}，{disguised}，{after}"
    hits = found(text)
    assert hits
    assert all(f.matched and f.matched in text for f in hits)
