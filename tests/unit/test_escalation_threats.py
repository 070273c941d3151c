"""The threat matcher finds dictionary words in their full-width, cased and spaced forms."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.escalation.threats import ThreatMatcher, normalise
from core.settings import DEFAULT_THREAT_WORDS

MATCHER = ThreatMatcher(DEFAULT_THREAT_WORDS)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("再不处理我就去投诉", ["投诉"]),
        ("打１２３１５", ["12315"]),
        ("我要打 1 2 3 1 5 举报你们", ["12315", "举报"]),
        ("给差评，还要曝光", ["差评", "曝光"]),
        ("去工商局", ["工商"]),
        ("投诉投诉投诉", ["投诉"]),
        ("请问什么时候发货", []),
        ("订单号 123 15", ["12315"]),
    ],
)
def test_finds_threats_in_their_forms(text: str, words: list[str]) -> None:
    assert MATCHER.find(text) == words


def test_case_folded_words_match_any_case() -> None:
    matcher = ThreatMatcher(["CCTV", "315晚会"])
    assert matcher.find("上cctv") == ["CCTV"]
    assert matcher.find("找３１５晚会") == ["315晚会"]


def test_empty_dictionary_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        ThreatMatcher([])
    with pytest.raises(ValueError, match="empty once normalised"):
        ThreatMatcher(["  "])


@given(st.text(max_size=40), st.sampled_from(DEFAULT_THREAT_WORDS), st.text(max_size=40))
def test_a_word_anywhere_is_found_like_a_substring_search(
    before: str, word: str, after: str
) -> None:
    text = before + word + after
    expected = [w for w in DEFAULT_THREAT_WORDS if normalise(w) in normalise(text)]
    assert sorted(MATCHER.find(text)) == sorted(expected)
