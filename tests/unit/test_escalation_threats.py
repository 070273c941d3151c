"""Escalation threats are QC's complaint_threat findings: their disguised forms, their
negations, and a shop's own words."""

from __future__ import annotations

import pytest

from agents.qc.dictionary import reload
from agents.qc.model import Rule, ShopQc
from agents.qc.threats import complaint_threats, threat_finder

RULES = reload()


@pytest.mark.parametrize(
    ("text", "threats"),
    [
        ("再不处理我就去投诉", ["去投诉"]),
        ("打１２３１５", ["12315"]),
        ("我要打 1 2 3 1 5 举报你们", ["12315", "举报你们"]),
        ("给差评，还要曝光", ["给差评", "要曝光"]),
        ("我要去工商局", ["去工商", "工商局"]),
        ("请问什么时候发货", []),
        ("放心，我不会给差评的", []),
        ("订单号 2026112312315678", []),
    ],
)
def test_threats_in_their_forms(text: str, threats: list[str]) -> None:
    assert complaint_threats(RULES, "s1", text) == threats


def test_a_shops_own_words_count_only_in_that_shop() -> None:
    word = Rule("s7.cctv", "complaint_threat", "critical", "test", ("上cctv",), shop_id="s7")
    rules = reload(shops=[ShopQc("s7", rules=(word,))])
    find = threat_finder(lambda: rules)
    assert find("s7", "我要上ＣＣＴＶ") == ["上cctv"]
    assert find("s1", "我要上ＣＣＴＶ") == []
